"""A whole video call in the browser: two Chromium contexts (citizen on a phone-sized screen, agent at a desk) with
fake camera and microphone, through the SPA, the API and the media node of the running stack. The citizen checks
devices, reads the recording notice and waits; the agent sees it on the agenda and lets them in; both receive video;
chat; the citizen's connection is cut and comes back; the agent ends the call with an outcome; the recording lands in
S3 with its manifest."""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from dev.calls_now import DEMO_CALLS
from dev.chromium import WEBRTC_FLAGS
from infra.resources import physical_name
from tests.e2e.conftest import axe_violations, launch_chromium
from tests.e2e.contrast import contrast_failures
from tests.e2e.steps import (
    citizen_signs_in_by_code,
    citizen_signs_in_with_eid,
    media_context,
    session_token,
    staff_signs_in,
    until,
)
from tests.integration.test_call import _agenda_call, _s3
from tests.stack import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# The OGAT demo appointment: the integration test of the call uses OMAC's, and no other test signs in as agent.ogat.
OFFICE, _, ID_NUMBER, _, EMAIL, AGENT = DEMO_CALLS[1]
CHAT = "Bon dia, em veieu bé?"
PHONE = {"width": 360, "height": 740}


# Sum of the video frames decoded by the current peer connection's receivers (-1: no peer connection).
FRAMES_DECODED = """async () => {
  const pc = window.__videoatencionCall && window.__videoatencionCall.pc
  if (!pc || pc.connectionState === 'closed') return -1
  const report = await pc.getStats()
  let frames = 0
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0
  })
  return frames
}"""

# The SRTP protection profile (and DTLS cipher and version) the current peer connection's DTLS handshake agreed with
# the media node; null until the transport is connected.
SRTP = """async () => {
  const pc = window.__videoatencionCall && window.__videoatencionCall.pc
  if (!pc || pc.connectionState === 'closed') return null
  const report = await pc.getStats()
  let found = null
  report.forEach((s) => {
    if (s.type === 'transport' && s.dtlsState === 'connected' && s.srtpCipher)
      found = {
        srtpCipher: s.srtpCipher, dtlsCipher: s.dtlsCipher || null, tlsVersion: s.tlsVersion || null,
        dtlsRole: s.dtlsRole || null,
      }
  })
  return found
}"""
# The profiles WebRTC negotiates (RFC 7714's AEAD ones, RFC 5764's), by the names both the browser's stats and the media
# node's (passthrough.srtp_profile) give them; which one Chromium ends on is recorded, not fixed.
SRTP_PROFILES = {"SRTP_AEAD_AES_256_GCM", "SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_HMAC_SHA1_80"}


@pytest.fixture(scope="module")
def browser(playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    browser = launch_chromium(playwright, tmp_path_factory, WEBRTC_FLAGS)
    yield browser
    browser.close()


def _frames(page: Page) -> int:
    return int(page.evaluate(FRAMES_DECODED))


def _srtp(page: Page, who: str) -> dict[str, Any]:
    """The call's SRTP profile as the browser's stats report it, asserted known and printed for the run's log."""
    transport: dict[str, Any] = until(lambda: page.evaluate(SRTP), 10, f"the {who}'s DTLS transport")
    print(
        f"\n{who}: SRTP {transport['srtpCipher']}, DTLS {transport['dtlsCipher']}"
        f" (version {transport['tlsVersion']}, browser as DTLS {transport['dtlsRole']})"
    )
    assert transport["srtpCipher"] in SRTP_PROFILES, transport
    return transport


def _call_state(page: Page) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => {
              const c = window.__videoatencionCall
              return {status: c ? c.status : null, room: c ? c.room : null}
            }"""
        )
    )


def _overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def _citizen_opens_the_call(stack: RunningStack, page: Page) -> str:
    """Signs in with a code, goes from "My appointments" to the appointment and its call; returns its id."""
    citizen_signs_in_by_code(stack, page, ID_NUMBER, EMAIL, "/appointments", language="English")

    appointment = page.locator("li.appointment").first
    expect(appointment).to_be_visible()
    appointment_id = appointment.get_attribute("data-id") or ""
    appointment.locator("a").first.click()
    page.locator("a#go-to-call").click()
    expect(page).to_have_url(f"{stack.web_url}/appointments/{appointment_id}/call")
    return appointment_id


def _agent_opens_the_agenda(stack: RunningStack, page: Page) -> str:
    """Password and emailed code, straight to the agenda; returns the session's access token (for the API)."""
    staff_signs_in(stack, page, AGENT, return_to="/agenda")
    expect(page.get_by_role("heading", level=1)).to_have_text("Day agenda")
    return session_token(page)


def test_a_citizen_waits_is_admitted_talks_reconnects_and_the_call_is_recorded(
    stack: RunningStack, browser: Browser
) -> None:
    citizen_context = media_context(browser, stack, locale="ca-ES", viewport=PHONE, is_mobile=True, has_touch=True)
    agent_context = media_context(browser, stack, locale="es-ES", viewport={"width": 1280, "height": 800})
    try:
        citizen = citizen_context.new_page()
        agent = agent_context.new_page()
        _run_the_call(stack, citizen, agent)
    finally:
        citizen_context.close()
        agent_context.close()


def _run_the_call(stack: RunningStack, citizen: Page, agent: Page) -> None:
    # GIVEN the citizen in the waiting room of today's appointment: devices checked, recording explained
    appointment_id = _citizen_opens_the_call(stack, citizen)
    expect(citizen.locator("#recording-notice")).to_be_visible()
    expect(citizen.locator("#recording-retention")).to_contain_text(re.compile(r"\d+ days"))
    expect(citizen.locator("#camera-check")).to_contain_text("working")
    expect(citizen.locator("#preview-video")).to_be_visible()
    expect(citizen.locator("#mic-check")).to_be_visible()
    expect(citizen.locator("meter#mic-level")).to_be_attached()
    expect(citizen.locator("#test-speakers")).to_be_enabled()
    expect(citizen.locator("#network-check")).to_contain_text(re.compile("good|slow"))
    expect(citizen.locator("#join-audio-only")).not_to_be_checked()
    assert axe_violations(citizen) == []
    assert _overflow(citizen) <= 0

    # AND the agent on the day's agenda, where the appointment has no call yet
    token = _agent_opens_the_agenda(stack, agent)
    row = agent.locator(f"tr[data-id='{appointment_id}']")
    expect(row).to_have_attribute("data-call", "idle")

    # WHEN the citizen joins
    citizen.locator("#join-call").click()
    expect(citizen.locator("#waiting-title")).to_be_visible()
    until(lambda: _call_state(citizen)["status"] == "connected", 10, "the citizen's connection")
    you = until(lambda: _call_state(citizen)["room"]["you"], 10, "the citizen's place in the room")
    expect(citizen.locator("#waiting-status")).to_have_text(re.compile("let you in"))
    # (The demo appointment started 5 to 10 minutes before the stack did.)
    expect(citizen.locator("#agent-late")).to_be_visible()
    assert axe_violations(citizen) == []

    # THEN the agenda shows them waiting, with the alert, live
    expect(row).to_have_attribute("data-call", "waiting", timeout=12_000)
    expect(agent.locator("#waiting-alert")).to_contain_text("is waiting")
    expect(agent.locator("#chime-toggle")).to_be_visible()
    assert axe_violations(agent) == []

    # WHEN the agent joins the call and lets the citizen in
    agent.locator(f"a#join-{appointment_id}").click()
    expect(agent.locator("aside#procedure-panel")).to_be_visible()
    # (at a desk, "Admit" and "End call" are on screen without scrolling)
    expect(agent.locator(f"#admit-{you}")).to_be_in_viewport(ratio=1)
    expect(agent.locator("#hang-up")).to_be_in_viewport(ratio=1)
    assert agent.evaluate("window.scrollY") == 0
    agent.locator(f"#admit-{you}").click()

    # THEN both receive the other's video
    expect(citizen.locator('video[data-testid="remote-video"]')).to_be_visible()
    until(lambda: _frames(citizen) > 0, 10, "video decoded by the citizen")
    until(lambda: _frames(agent) > 0, 10, "video decoded by the agent")
    agent_id = _call_state(agent)["room"]["you"]
    # AND the media is protected with a known SRTP profile (which one Chromium picked is printed)
    for who, page in (("citizen", citizen), ("agent", agent)):
        _srtp(page, who)
    expect(citizen.locator("#call-quality")).to_be_visible()
    assert axe_violations(citizen) == []
    assert _overflow(citizen) <= 0, "the call screen scrolls sideways on a 360 px phone"
    assert axe_violations(agent) == []
    # AND on the phone the call is the screen: no site header, the video fills it, the controls within reach
    expect(citizen.locator("header.site-header")).to_be_hidden()
    video = citizen.locator('video[data-testid="remote-video"]').bounding_box()
    assert video is not None
    assert video["width"] >= PHONE["width"] - 1
    assert video["height"] >= PHONE["height"] * 0.9
    for control in ("#hang-up", "#toggle-mute", "#chat-toggle", "#self-view-move"):
        expect(citizen.locator(control)).to_be_in_viewport(ratio=1)
    assert contrast_failures(citizen) == []

    # AND an empty chat message is refused where it was typed, a real one reaches the agent (the chat is a sheet)
    citizen.locator("#chat-toggle").click()
    expect(citizen.locator("#chat-input")).to_be_in_viewport()
    assert contrast_failures(citizen) == []
    citizen.locator("#chat-send").click()
    expect(citizen.locator("#chat-error")).to_be_visible()
    citizen.fill("#chat-input", CHAT)
    citizen.locator("#chat-send").click()
    expect(agent.locator('[data-testid="chat-log"]')).to_contain_text(CHAT)
    expect(citizen.locator("#chat-error")).to_have_count(0)

    # WHEN the citizen's connection is cut: its peer connection is gone, as when a phone moves from wifi to 4G.
    # (Playwright's offline mode does not touch WebRTC: frames keep flowing through it.)
    citizen.evaluate("window.__cutPc = window.__videoatencionCall.pc; window.__cutPc.close()")
    cut_at = time.monotonic()
    stalled = _frames(agent)
    # THEN the citizen's page builds a new peer connection, and the agent's video flows again within 5 s
    until(
        lambda: citizen.evaluate(
            "() => { const pc = window.__videoatencionCall.pc;"
            " return pc !== null && pc !== window.__cutPc && pc.connectionState === 'connected' }"
        ),
        5,
        "the citizen's new peer connection",
    )
    until(lambda: _frames(agent) > stalled + 10, 5 - (time.monotonic() - cut_at), "the citizen's video again")
    recovered = time.monotonic() - cut_at
    assert recovered < 5, f"the call took {recovered:.1f} s to recover"
    until(lambda: _frames(citizen) > 0, 5, "the citizen receiving video on the new connection")
    expect(citizen.locator("#call-reconnecting")).to_have_count(0)

    # (the sheet closes, and the controls are there again)
    citizen.locator("#call-sheet-chat .call-sheet__close").click()
    expect(citizen.locator("#hang-up")).to_be_in_viewport()

    # WHEN the agent ends the call with an outcome
    agent.locator("#hang-up").click()
    agent.locator("#call-outcome-completed").check()
    agent.fill("#call-notes", "Certificat lliurat.")
    agent.locator("#confirm-end-call").click()

    # THEN both see it ended, the outcome is saved
    expect(agent.locator("#outcome-saved")).to_be_visible()
    expect(citizen.locator("#call-ended-title")).to_be_visible()

    # AND the recording is complete, with its manifest and every segment in the bucket
    until(
        lambda: _agenda_call(stack, token, appointment_id).get("recording") == "complete",
        60,
        "the recording completing",
        every=1,
    )
    s3 = _s3(stack)
    bucket = physical_name("dev", "recordings")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"recordings/{appointment_id}/").get("Contents", [])
    keys = {o["Key"] for o in listed}
    manifest_key = next(k for k in keys if k.endswith("/manifest.json"))
    manifest_object = s3.get_object(Bucket=bucket, Key=manifest_key)
    assert manifest_object["ServerSideEncryption"] == "aws:kms"
    manifest = json.loads(manifest_object["Body"].read())
    assert manifest["appointment_id"] == appointment_id
    assert manifest["status"] == "complete"
    assert {p["id"] for p in manifest["participants"]} == {you, agent_id}
    assert any(line["text"] == CHAT and line["participant_id"] == you for line in manifest["chat"])
    assert any(e["type"] == "reconnected" and e["participant_id"] == you for e in manifest["events"])
    prefix = manifest_key.removesuffix("manifest.json")
    for segment in manifest["segments"]:
        data = s3.get_object(Bucket=bucket, Key=prefix + segment["file"])["Body"].read()
        assert hashlib.sha256(data).hexdigest() == segment["sha256"]
    segments = {who: [s for s in manifest["segments"] if s["participant"] == who] for who in (you, agent_id)}
    # The citizen's new peer connection started a new segment; both sides' video is in the recording.
    assert len(segments[you]) >= 2, manifest["segments"]
    assert all("video" in s["kinds"] for who in segments for s in segments[who])


def test_the_call_of_an_appointment_that_does_not_exist_is_not_found(stack: RunningStack, browser: Browser) -> None:
    context = media_context(browser, stack, locale="en-GB")
    page = context.new_page()
    # Signed in through the fake eID provider (no code to spend), straight back to the call's address.
    citizen_signs_in_with_eid(stack, page, "12345678Z", f"/appointments/{uuid.uuid4()}/call")

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("not found", re.IGNORECASE))
    expect(page.locator("#join-call")).to_have_count(0)
    violations = axe_violations(page)
    context.close()
    assert violations == []
