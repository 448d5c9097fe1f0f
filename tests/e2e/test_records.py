"""Records in the browser: a citizen sees that an agent looked up their register data for their appointment, and why;
an auditor searches the day's events and verifies the trail of the running stack."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.e2e.conftest import axe_violations
from tests.e2e.steps import api, citizen_signs_in_with_eid, staff_signs_in
from tests.integration.test_booking_race import staff_token
from tests.stack import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# A person of the demo padrón the fake eID provider signs in (level high); no other browser test uses them. The
# agent is agent.ogat2, whom no other test signs in (5 sign-ins per user and 15 minutes).
CITIZEN, CITIZEN_NAME = "99584529A", "Arnau Mas Garcia"
AGENT = "agent.ogat2"
SERVICE = "payment-letter"
TIMEOUT = 15
DESK: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 740}


def _book_and_look_up(stack: RunningStack, token: str) -> str:
    """The citizen phoned the tax office; the agent books them and opens the procedure form (which reads the
    registers for the procedure: an access to the citizen's data, with its purpose)."""
    slots = requests.get(f"{stack.api_url}/services/{SERVICE}/slots", timeout=TIMEOUT).json()["items"]
    assert slots, "no payment-letter slot is offered"
    start = slots[len(slots) // 3]["start"]
    booked = api(
        "POST",
        stack,
        "/appointments",
        token,
        json={
            "service_id": SERVICE,
            "start": start,
            "language": "en",
            "citizen": {"id_number": CITIZEN, "name": CITIZEN_NAME},
            "contact": {"email": "arnau.records@example.org"},
        },
    )
    assert booked.status_code == 201, booked.text
    appointment_id = str(booked.json()["id"])
    form = api("GET", stack, f"/appointments/{appointment_id}/procedure-form", token)
    assert form.status_code == 200, form.text
    return appointment_id


def test_a_citizen_sees_who_accessed_their_data_and_why(stack: RunningStack, browser: Browser) -> None:
    token = staff_token(stack, AGENT)
    appointment_id = _book_and_look_up(stack, token)
    context = browser.new_context(locale="en-GB", viewport=PHONE)
    page = context.new_page()
    try:
        # WHEN the citizen signs in with their digital identity and opens "Who accessed my data"
        citizen_signs_in_with_eid(stack, page, CITIZEN, "/me/access-log")
        expect(page).to_have_url(f"{stack.web_url}/me/access-log")
        expect(page.get_by_role("heading", level=1)).to_have_text("Who accessed my data")

        # THEN the agent's look-up of their registers is there: by role, with its purpose, never by name
        log = page.get_by_test_id("access-log")
        entry = log.locator("li[data-action='register.read']").first
        expect(entry).to_be_visible(timeout=TIMEOUT * 1000)
        expect(entry.locator(".access-entry__who")).to_contain_text("An agent of the office")
        expect(entry.locator(".access-entry__what")).to_have_text(
            "Looked up your details in the municipal or tax register"
        )
        expect(entry.locator(".access-entry__why")).to_have_text("Payment letter")
        # AND the booking the agent made for them
        expect(log.locator("li[data-action='appointment.book']")).to_have_count(1)
        assert AGENT not in log.inner_text()
        assert axe_violations(page) == []
    finally:
        context.close()
        api("POST", stack, f"/appointments/{appointment_id}/cancel", token, json={}).raise_for_status()


def _auditor_signs_in(stack: RunningStack, page: Page) -> None:
    staff_signs_in(stack, page, "auditor", return_to="/staff/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")


def test_an_auditor_searches_the_days_events_and_verifies_the_trail(stack: RunningStack, browser: Browser) -> None:
    context = browser.new_context(locale="en-GB", viewport=DESK)
    page = context.new_page()
    try:
        _auditor_signs_in(stack, page)
        assert axe_violations(page) == []

        # WHEN they search today's events (the form's default period)
        page.locator("form#audit-search button[type=submit]").click()

        # THEN the day's events are listed, their own sign-in among them
        results = page.get_by_test_id("audit-results")
        expect(results).to_be_visible(timeout=TIMEOUT * 1000)
        expect(results).to_contain_text("auth.staff.login")
        expect(results).to_contain_text("staff:auditor")

        # WHEN they narrow it to one action
        page.fill("#audit-action", "auth.staff.login")
        page.locator("form#audit-search button[type=submit]").click()
        expect(results.locator("tbody tr").first).to_contain_text("auth.staff.login")
        assert axe_violations(page) == []

        # WHEN they verify the trail of the period
        page.locator("#verify-trail").click()

        # THEN the chain of signed digests and the log files it lists are intact
        summary = page.get_by_test_id("verify-result")
        expect(summary).to_contain_text("no problems", timeout=TIMEOUT * 1000)
        expect(summary).to_contain_text("Verified:")
        assert axe_violations(page) == []
    finally:
        context.close()
