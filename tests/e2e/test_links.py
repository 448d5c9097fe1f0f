"""One-tap links in the browser (issue 16): the cancel link of a booking's confirmation, read from the dev outbox,
cancels the appointment after one confirmation; opened again, it is refused in plain words, and so is the change link
of the same message."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.conftest import axe_violations
from tests.e2e.steps import api, latest_code
from tests.stack import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TIMEOUT = 15
# A fictional citizen no other browser test uses; the check letter is computed, not typed.
NUMBER = 40000751
ID_NUMBER = f"{NUMBER}{'TRWAGMYFPDXBNJZSQVHLCKE'[NUMBER % 23]}"
EMAIL = "links.e2e@example.org"
SERVICE = "residence-certificate"  # low assurance: the link alone acts
LINK = re.compile(r"/l#token=([A-Za-z0-9_-]{22})")


def _citizen_token(stack: RunningStack) -> str:
    sent = requests.post(
        f"{stack.api_url}/auth/otp",
        json={"id_number": ID_NUMBER, "channel": "email", "destination": EMAIL},
        timeout=TIMEOUT,
    )
    assert sent.status_code == 202, sent.text
    verified = requests.post(
        f"{stack.api_url}/auth/otp/verify",
        json={"challenge_id": sent.json()["challenge_id"], "code": latest_code(stack, EMAIL)},
        timeout=TIMEOUT,
    )
    assert verified.status_code == 200, verified.text
    return str(verified.json()["access_token"])


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
    items = requests.get(f"{stack.api_url}/dev/outbox", params={"to": EMAIL}, timeout=TIMEOUT).json()["items"]
    confirmation = next(item for item in items if LINK.search(item["body"]))
    found: dict[str, str] = {}
    for token in LINK.findall(confirmation["body"]):
        described = requests.get(f"{stack.api_url}/links/{token}", timeout=TIMEOUT)
        assert described.status_code == 200, described.text
        found[described.json()["action"]] = token
    return found


def test_a_cancel_link_from_the_confirmation_cancels_once_and_is_then_refused(stack: RunningStack, page: Page) -> None:
    # GIVEN a booking and its confirmation in the outbox, with its join, change and cancel links
    token = _citizen_token(stack)
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
