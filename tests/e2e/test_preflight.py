"""The pre-flight check in Chromium with its fake camera and microphone (issue 16): the citizen checks their devices
and their connection to the running media node (its probe: round trip, bitrate each way), ticks the documents and
sends it; the server says all is well. With the media node out of reach the check is weak, and the citizen asks for
sound only and a phone call; the agent's agenda shows the result and both requests."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, expect

from dev.chromium import WEBRTC_FLAGS
from tests.e2e.conftest import axe_violations, launch_chromium
from tests.e2e.steps import api, citizen_token_by_code
from tests.stack import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TIMEOUT = 15
# A fictional citizen no other browser test uses; the check letter is computed, not typed.
NUMBER = 40000752
ID_NUMBER = f"{NUMBER}{'TRWAGMYFPDXBNJZSQVHLCKE'[NUMBER % 23]}"
EMAIL = "preflight.e2e@example.org"
# An OMAC service, low assurance: its agenda is seen by the OMAC agent whose one sign-in the integration and browser
# tests share (omac_agent_token, tests/conftest.py: staff sign-ins are limited per user, every agent's are spent).
SERVICE = "residence-certificate"
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def browser(playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    browser = launch_chromium(playwright, tmp_path_factory, WEBRTC_FLAGS)
    yield browser
    browser.close()


def _book(stack: RunningStack, token: str) -> dict[str, str]:
    slots = requests.get(f"{stack.api_url}/services/{SERVICE}/slots", timeout=TIMEOUT).json()["items"]
    assert len(slots) > 2, f"too few {SERVICE} slots are offered"
    booked = requests.post(
        f"{stack.api_url}/appointments",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        # Neither the first times (other browser tests) nor the last (the race test), nor test_links.py's.
        json={"service_id": SERVICE, "start": slots[len(slots) // 2 + 1]["start"], "contact": {"email": EMAIL}},
        timeout=TIMEOUT,
    )
    assert booked.status_code == 201, booked.text
    return dict(booked.json())


def _signed_in(browser: Browser, stack: RunningStack, token: str, kind: str, **options: object) -> BrowserContext:
    """A context whose pages start in English with the given session, as the SPA keeps it after signing in."""
    context = browser.new_context(**options)  # type: ignore[arg-type]
    context.grant_permissions(["camera", "microphone"], origin=stack.web_url)
    expires = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    session = json.dumps({"access_token": token, "expires_at": expires, "kind": kind})
    context.add_init_script(
        f"if (location.origin === {json.dumps(stack.web_url)}) {{"
        f" if (!sessionStorage.getItem('va.session')) sessionStorage.setItem('va.session', {json.dumps(session)});"
        " localStorage.setItem('va.lang', 'en') }"
    )
    return context


def _run_check(page: Page) -> None:
    expect(page.locator("#camera-check")).to_contain_text("working", timeout=TIMEOUT * 1000)
    expect(page.locator("#pre-network")).not_to_have_attribute("aria-busy", "true", timeout=40_000)
    page.locator("#test-speakers").click()
    page.locator("#pre-heard-yes").check()
    page.locator("#pre-doc-0").check()
    page.locator("#pre-send").click()


def test_the_check_measures_the_media_node_and_the_agenda_shows_a_weak_result_with_the_citizens_requests(
    stack: RunningStack, browser: Browser, omac_agent_token: str
) -> None:
    token = citizen_token_by_code(stack, ID_NUMBER, EMAIL)
    appointment = _book(stack, token)
    appointment_id = appointment["id"]
    citizen = _signed_in(browser, stack, token, "citizen", viewport=PHONE)
    try:
        page = citizen.new_page()
        # GIVEN the check page of their appointment, with Chromium's fake camera and microphone
        page.goto(f"{stack.web_url}/appointments/{appointment_id}/check")
        expect(page.get_by_role("heading", level=1)).to_have_text("Check before your video call")

        # WHEN the check runs against the running media node, THEN it measured it and the server says all is well
        _run_check(page)
        expect(page.locator("#pre-network")).to_have_text("The video call server was reached.")
        expect(page.locator("#pre-network-figures")).to_contain_text(" kbps")
        expect(page.locator("#pre-result-text")).to_have_text("All set: the video call should work well for you.")
        expect(page.locator("#pre-result-title")).to_be_focused()
        assert axe_violations(page) == []
        stored = api("GET", stack, f"/appointments/{appointment_id}/preflight", token).json()
        assert stored["result"] == "ok", stored
        assert stored["network"]["media_node"] is True
        assert isinstance(stored["network"]["down_kbps"], int)
        assert isinstance(stored["network"]["up_kbps"], int)
        assert stored["checklist"] == [0]
        assert stored["speaker"] is True

        # WHEN the media node cannot be reached (its probe refused on the way), THEN the check is weak
        def refuse(route: Route) -> None:
            route.abort()

        page.route("**/probe**", refuse)
        page.reload()
        _run_check(page)
        expect(page.locator("#pre-network")).to_have_text("The video call server could not be reached.")
        expect(page.locator("#pre-result-text")).to_contain_text("Your connection seems too weak for video.")

        # AND the citizen asks for sound only and a phone call instead, sent with the report
        page.locator("#pre-audio-only").check()
        page.locator("#pre-call-me").check()
        page.fill("#pre-phone", "612 345 678")
        assert axe_violations(page) == []
        page.locator("#pre-options-send").click()
        expect(page.locator("#pre-choice-sent")).to_have_text(
            "You will join with sound only. The agent will call you on +34612345678."
        )
        stored = api("GET", stack, f"/appointments/{appointment_id}/preflight", token).json()
        assert (stored["result"], stored["audio_only"], stored["callback_phone"]) == (
            "weak_network",
            True,
            "+34612345678",
        )
    finally:
        citizen.close()

    # AND the agent's agenda of that day shows the result and both requests
    agent = _signed_in(browser, stack, omac_agent_token, "staff", viewport={"width": 1280, "height": 800})
    try:
        page = agent.new_page()
        page.goto(f"{stack.web_url}/agenda")
        page.fill("#agenda-date", appointment["start"][:10])
        row = page.locator(f"tr[data-id='{appointment_id}']")
        expect(row.locator(".preflight-tag")).to_have_text("Pre-flight check: weak network", timeout=TIMEOUT * 1000)
        expect(row.locator(".preflight-ask")).to_have_text(["sound only", "asks for a phone call: +34612345678"])
        assert axe_violations(page) == []
    finally:
        agent.close()
        api("POST", stack, f"/appointments/{appointment_id}/cancel", token, json={})
