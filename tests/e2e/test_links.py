"""One-tap links in the browser (issue 16): the cancel link of a booking's confirmation, read from the dev outbox,
cancels the appointment after one confirmation; opened again, it is refused in plain words, and so is the change link
of the same message. A join link, nobody signed in, leads through the device check into the call's waiting room with
the session it opens for that appointment only."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import Browser, Page, Playwright, expect

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo.links import DynamoLinkStore
from chalicelib.adapters.dynamo.models import AuthItem, bound
from chalicelib.auth import codes
from chalicelib.services.links import PURPOSE, TOKEN_BYTES, StoredLink
from dev.calls_now import seed_calls_now
from dev.chromium import WEBRTC_FLAGS
from infra.resources import RESOURCES, parameter_path, physical_name
from tests.e2e.conftest import axe_violations, launch_chromium
from tests.e2e.steps import api, citizen_token_by_code, outbox, session_token
from tests.stack import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TIMEOUT = 15
# A fictional citizen no other browser test uses; the check letter is computed, not typed.
NUMBER = 40000751
ID_NUMBER = f"{NUMBER}{'TRWAGMYFPDXBNJZSQVHLCKE'[NUMBER % 23]}"
EMAIL = "links.e2e@example.org"
SERVICE = "residence-certificate"  # low assurance: the link alone acts
LINK = re.compile(r"/l#token=([A-Za-z0-9_-]{22})")
# The join link's own appointment happening now: a fictional person of OMAC's no other test books for.
JOIN_NUMBER = 40000753
JOIN_ID = f"{JOIN_NUMBER}{'TRWAGMYFPDXBNJZSQVHLCKE'[JOIN_NUMBER % 23]}"
REGION = "eu-south-2"


@pytest.fixture(scope="module")
def browser(playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    browser = launch_chromium(playwright, tmp_path_factory, WEBRTC_FLAGS)
    yield browser
    browser.close()


def _book(stack: RunningStack, token: str) -> str:
    slots = requests.get(f"{stack.api_url}/services/{SERVICE}/slots", timeout=TIMEOUT).json()["items"]
    assert slots, f"no {SERVICE} slot is offered"
    booked = requests.post(
        f"{stack.api_url}/appointments",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        # The middle of what is offered: the other browser tests take the first times, the race test the last.
        json={"service_id": SERVICE, "start": slots[len(slots) // 2]["start"], "contact": {"email": EMAIL}},
        timeout=TIMEOUT,
    )
    assert booked.status_code == 201, booked.text
    return str(booked.json()["id"])


def _links_of_confirmation(stack: RunningStack) -> dict[str, str]:
    """The confirmation's links by what they do (asked of the API, as the page does)."""
    items = outbox(stack, EMAIL)
    confirmation = next(item for item in items if LINK.search(item["body"]))
    found: dict[str, str] = {}
    for token in LINK.findall(confirmation["body"]):
        described = requests.get(f"{stack.api_url}/links/{token}", timeout=TIMEOUT)
        assert described.status_code == 200, described.text
        found[described.json()["action"]] = token
    return found


def test_a_cancel_link_from_the_confirmation_cancels_once_and_is_then_refused(stack: RunningStack, page: Page) -> None:
    # GIVEN a booking and its confirmation in the outbox, with its join, change and cancel links
    token = citizen_token_by_code(stack, ID_NUMBER, EMAIL)
    appointment_id = _book(stack, token)
    links = _links_of_confirmation(stack)
    assert set(links) == {"join", "change", "cancel"}

    # WHEN the citizen opens the cancel link (nobody signed in) in English
    page.goto(f"{stack.web_url}/")
    page.evaluate("localStorage.setItem('va.lang', 'en')")
    page.goto(f"{stack.web_url}/l#token={links['cancel']}")

    # THEN the page names the appointment in plain words, the token gone from the address bar
    expect(page.locator("#link-intro")).to_have_text("This link lets you cancel your appointment.")
    expect(page.locator("#link-status")).to_have_text("Booked")
    expect(page.locator("#link-facts")).to_contain_text("Certificate of registered residence")
    assert "token" not in page.url
    assert axe_violations(page) == []

    # AND one confirmation cancels it
    page.locator("#link-cancel").click()
    expect(page.locator("#link-cancel-title")).to_be_focused()
    assert axe_violations(page) == []
    page.locator("#link-cancel-confirm").click()
    expect(page.locator("#link-done")).to_contain_text("Your appointment has been cancelled.")
    mine = api("GET", stack, f"/appointments/{appointment_id}", token)
    assert mine.json()["status"] == "cancelled"

    # AND the same link, opened again, is refused in plain words; so is the change link of the same message
    for action in ("cancel", "change"):
        page.goto(f"{stack.web_url}/l#token={links[action]}")
        expect(page.locator("#link-expired")).to_contain_text("This link has already been used or has expired.")
    assert axe_violations(page) == []
    assert api("GET", stack, f"/appointments/{appointment_id}", token).json()["status"] == "cancelled"


def _join_link_now(stack: RunningStack) -> tuple[str, str]:
    """An appointment happening now and a join link for it, as the 1-hour reminder would carry (the stack sends no
    reminder on demand): stored as the API stores one, keyed by the stage's pepper. Returns (appointment id, token)."""
    endpoint = f"http://127.0.0.1:{stack.moto}"
    person = ("OMAC", SERVICE, JOIN_ID, "Joan Prat", "links.join@example.org", "agent.omac")
    (made,) = seed_calls_now("dev", REGION, endpoint, calls=(person,))
    pepper_name = next(p for p in RESOURCES.parameters if p.name == "auth/otp-pepper").name
    ssm = aws.client("ssm", REGION, endpoint)
    pepper = ssm.get_parameter(Name=parameter_path("dev", pepper_name), WithDecryption=True)["Parameter"]["Value"]
    token = codes.new_link_token(TOKEN_BYTES)
    store = DynamoLinkStore(bound(AuthItem, physical_name("dev", "auth"), region=REGION, host=endpoint))
    expires = int((datetime.now(UTC) + timedelta(hours=2)).timestamp())
    store.put(codes.link_digest(pepper.encode(), token, PURPOSE), StoredLink(made.appointment_id, "join", expires))
    return made.appointment_id, token


def test_a_join_link_leads_through_the_device_check_into_the_waiting_room(
    stack: RunningStack, browser: Browser
) -> None:
    # GIVEN a join link of an appointment whose call is open, nobody signed in, on a phone
    appointment_id, token = _join_link_now(stack)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    context.grant_permissions(["camera", "microphone"], origin=stack.web_url)
    try:
        page = context.new_page()
        page.goto(f"{stack.web_url}/")
        page.evaluate("localStorage.setItem('va.lang', 'en')")
        page.goto(f"{stack.web_url}/l#token={token}")
        expect(page.locator("#link-intro")).to_have_text("This link takes you into your appointment's video call.")
        assert axe_violations(page) == []

        # WHEN they follow it, THEN the call page checks their devices, with the session the link opened
        page.locator("#link-join").click()
        expect(page).to_have_url(f"{stack.web_url}/appointments/{appointment_id}/call")
        expect(page.locator("#camera-check")).to_contain_text("working", timeout=TIMEOUT * 1000)
        scoped = session_token(page)
        # AND that session reaches this appointment and nothing else
        assert api("GET", stack, f"/appointments/{appointment_id}", scoped).status_code == 200
        assert api("GET", stack, "/appointments", scoped).status_code == 404

        # AND "Join" takes them into the waiting room
        page.locator("#join-call").click()
        expect(page.locator("#waiting-title")).to_be_visible(timeout=TIMEOUT * 1000)
        expect(page.locator("#waiting-status")).to_have_text(re.compile("let you in"), timeout=TIMEOUT * 1000)
        page.locator("#leave-waiting").click()
    finally:
        context.close()
