"""A cancellation through the one-tap link of a confirmation frees a time, and a citizen waiting for that day books it
from the offer the waitlist sends them (issue 16), in Chromium: the booking page's "Join the waitlist", the offer
page `/offer#token=…` with its countdown and one confirmation, the slot then theirs, and the other of the same batch
told it is gone. For a service that asks for the digital identity, the offer leads through eID and back to itself."""

from __future__ import annotations

import re
import time
import uuid
from datetime import date, datetime, timedelta

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import axe_violations
from tests.e2e.steps import (
    api,
    citizen_signs_in_by_code,
    citizen_signs_in_with_eid,
    citizen_token_by_code,
    outbox,
    session_token,
)
from tests.stack import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TIMEOUT = 15
SERVICE = "change-of-address"
LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
# Fictional citizens no other browser test uses; the check letter is computed, not typed.
HOLDER_NUMBER, WAITER_NUMBER, OTHER_NUMBER = 40000761, 40000762, 40000763
HOLDER_ID = f"{HOLDER_NUMBER}{LETTERS[HOLDER_NUMBER % 23]}"
WAITER_ID = f"{WAITER_NUMBER}{LETTERS[WAITER_NUMBER % 23]}"
OTHER_ID = f"{OTHER_NUMBER}{LETTERS[OTHER_NUMBER % 23]}"
LINK = re.compile(r"/l#token=([A-Za-z0-9_-]+)")
OFFER = re.compile(r"/offer#token=([A-Za-z0-9_-]+)")


def _wait_for_link(stack: RunningStack, to: str, pattern: re.Pattern[str]) -> str:
    """The first match of ``pattern`` in the newest message to ``to`` that has one, once it has been sent."""
    deadline = time.monotonic() + TIMEOUT * 4
    while time.monotonic() < deadline:
        for message in outbox(stack, to):
            match = pattern.search(message["body"])
            if match:
                return match.group(0)
        time.sleep(0.25)
    raise AssertionError(f"nothing matching {pattern.pattern} was sent to {to}")


def _fits(page: Page) -> bool:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def _a_later_slot(stack: RunningStack) -> str:
    """A free time of the service at least two days ahead (not the soonest: other tests book those)."""
    today = date.today()
    response = requests.get(
        f"{stack.api_url}/services/{SERVICE}/slots",
        params={"from": (today + timedelta(days=2)).isoformat(), "to": (today + timedelta(days=20)).isoformat()},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items, f"no {SERVICE} time is offered"
    return str(items[len(items) // 2]["start"])


def test_a_cancel_link_frees_a_time_and_a_waitlisted_citizen_books_it_from_the_offer(
    stack: RunningStack, browser: Browser
) -> None:
    suffix = uuid.uuid4().hex[:8]
    holder_email, waiter_email = f"holder.{suffix}@example.org", f"waiter.{suffix}@example.org"
    start = _a_later_slot(stack)
    day = start[:10]

    # GIVEN citizen A has booked that time (and their confirmation carries the one-tap links)
    holder = browser.new_context(locale="en-GB", viewport={"width": 360, "height": 740})
    waiter = browser.new_context(locale="en-GB", viewport={"width": 360, "height": 740})
    try:
        a = holder.new_page()
        citizen_signs_in_by_code(stack, a, HOLDER_ID, holder_email, "/me", language="English")
        expect(a.get_by_role("heading", level=1)).to_have_text("My area")
        booked = requests.post(
            f"{stack.api_url}/appointments",
            json={"service_id": SERVICE, "start": start, "contact": {"email": holder_email}, "language": "en"},
            headers={"Authorization": f"Bearer {session_token(a)}", "Idempotency-Key": str(uuid.uuid4())},
            timeout=TIMEOUT,
        )
        assert booked.status_code == 201, booked.text
        held = booked.json()

        # AND citizen B, finding no time that suits, joins the waitlist for that day from the booking page
        b = waiter.new_page()
        citizen_signs_in_by_code(stack, b, WAITER_ID, waiter_email, f"/book/{SERVICE}", language="English")
        join = b.locator("a#waitlist-join")
        expect(join).to_have_text("No time suits you? Join the waitlist", timeout=TIMEOUT * 1000)
        join.click()
        expect(b.get_by_role("heading", level=1)).to_have_text("Join the waitlist")
        expect(b.locator("#wl-email")).to_have_value(waiter_email)
        assert _fits(b), "the waitlist form is wider than a 360 px phone"
        b.fill("#wl-from", day)
        b.fill("#wl-to", day)
        assert axe_violations(b) == []
        b.locator("#wl-submit").click()
        expect(b.locator("#wl-joined")).to_contain_text("You are on the waitlist", timeout=TIMEOUT * 1000)
        expect(b.locator("#wl-entries li")).to_have_count(1)
        assert axe_violations(b) == []

        # AND, after B, citizen C waits for the same day (the offer goes to both: one batch)
        other_email = f"other.{suffix}@example.org"
        other = citizen_token_by_code(stack, OTHER_ID, other_email)
        joined = api(
            "POST",
            stack,
            "/waitlist",
            other,
            json={"service_id": SERVICE, "from": day, "to": day, "contact": {"email": other_email}, "language": "en"},
        )
        assert joined.status_code == 201, joined.text

        # WHEN A cancels through the cancel link of their confirmation, in the browser, after one confirmation
        # (the link alone: a low-assurance service); which of its links cancels is asked of the API, as the page does
        confirmation = next(m for m in outbox(stack, holder_email) if len(LINK.findall(m["body"])) >= 3)
        tokens = LINK.findall(confirmation["body"])
        actions = {t: requests.get(f"{stack.api_url}/links/{t}", timeout=TIMEOUT).json().get("action") for t in tokens}
        cancel = next(t for t, action in actions.items() if action == "cancel")
        a.goto(f"{stack.web_url}/l#token={cancel}")
        a.locator("#link-cancel").click()
        expect(a.locator("#link-cancel-title")).to_be_focused()
        a.locator("#link-cancel-confirm").click()
        expect(a.locator("#link-done")).to_be_visible(timeout=TIMEOUT * 1000)
        assert api("GET", stack, f"/appointments/{held['id']}", session_token(a)).json()["status"] == "cancelled"

        # THEN B is sent an offer with its one-tap link, and opens it: the time, held for B with a countdown
        link = _wait_for_link(stack, waiter_email, OFFER)
        b.goto(f"{stack.web_url}{link}")
        expect(b.get_by_role("heading", level=1)).to_have_text("A time for you", timeout=TIMEOUT * 1000)
        expect(b.locator("#offer-time")).to_contain_text(start[11:16])
        expect(b.locator("#offer-left")).to_contain_text("left")
        assert "token" not in b.url
        assert _fits(b), "the offer is wider than a 360 px phone"
        assert axe_violations(b) == []

        # WHEN B books it, after one confirmation
        b.locator("#offer-book").click()
        expect(b.locator("#offer-confirm-title")).to_be_focused()
        assert axe_violations(b) == []
        b.locator("#offer-confirm").click()

        # THEN the time is B's: the page says so and leads to the appointment, booked at that time
        expect(b.locator("#offer-done")).to_contain_text("the time is yours", timeout=TIMEOUT * 1000)
        assert axe_violations(b) == []
        b.locator("#offer-appointment").click()
        expect(b.locator("#appointment-status")).to_have_text("Booked", timeout=TIMEOUT * 1000)
        expect(b.locator("#appointment-when")).to_contain_text(start[11:16])
        mine = api("GET", stack, "/appointments", session_token(b)).json()["items"]
        assert [datetime.fromisoformat(x["start"]) for x in mine if x["status"] == "booked"] == [
            datetime.fromisoformat(start)
        ]
        # AND B has left the waitlist; A's appointment stays cancelled; the offer link works only once
        assert api("GET", stack, "/waitlist", session_token(b)).json()["items"] == []
        assert api("GET", stack, f"/appointments/{held['id']}", session_token(a)).json()["status"] == "cancelled"
        again = requests.post(f"{stack.api_url}/offers/{link.split('=', 1)[1]}/accept", json={}, timeout=TIMEOUT)
        assert again.status_code == 410, again.text

        # AND C, opening their offer of the same time too late, is told in plain words and stays on the waitlist
        theirs = _wait_for_link(stack, other_email, OFFER)
        c = waiter.new_page()  # a tab of its own: nobody signed in, the language (English) remembered
        c.goto(f"{stack.web_url}{theirs}")
        expect(c.locator("#offer-taken")).to_contain_text(
            "Someone else booked this time first. You stay on the waitlist", timeout=TIMEOUT * 1000
        )
        assert axe_violations(c) == []
        assert len(api("GET", stack, "/waitlist", other).json()["items"]) == 1
    finally:
        holder.close()
        waiter.close()


def test_an_offer_of_a_service_that_asks_for_eid_is_booked_after_signing_in_and_coming_back(
    stack: RunningStack, browser: Browser
) -> None:
    """The offer's link opened on another device (nobody signed in): the page sends the person through eID and back
    to the same offer (the token kept in the tab, never in the return address), which then books for them."""
    service = "tax-information"  # asks for the digital identity
    today = date.today()
    slots = requests.get(
        f"{stack.api_url}/services/{service}/slots",
        params={"from": (today + timedelta(days=3)).isoformat(), "to": (today + timedelta(days=20)).isoformat()},
        timeout=TIMEOUT,
    ).json()["items"]
    assert slots, f"no {service} time is offered"
    start = str(slots[len(slots) // 3]["start"])
    suffix = uuid.uuid4().hex[:8]
    holder_email, waiter_email = f"holder.eid.{suffix}@example.org", f"waiter.eid.{suffix}@example.org"

    holder = browser.new_context(locale="en-GB")
    waiter = browser.new_context(locale="en-GB")
    elsewhere = browser.new_context(locale="en-GB", viewport={"width": 360, "height": 740})
    try:
        # GIVEN A (eID) holds the time, and B (eID) waits for that day
        a = holder.new_page()
        citizen_signs_in_with_eid(stack, a, "99584529A", "/me")
        expect(a.get_by_role("heading", level=1)).to_have_text("My area")
        booked = requests.post(
            f"{stack.api_url}/appointments",
            json={"service_id": service, "start": start, "contact": {"email": holder_email}, "language": "en"},
            headers={"Authorization": f"Bearer {session_token(a)}", "Idempotency-Key": str(uuid.uuid4())},
            timeout=TIMEOUT,
        )
        assert booked.status_code == 201, booked.text
        b = waiter.new_page()
        citizen_signs_in_with_eid(stack, b, "99301193G", "/me")
        expect(b.get_by_role("heading", level=1)).to_have_text("My area")
        waiting = {"service_id": service, "from": start[:10], "to": start[:10], "contact": {"email": waiter_email}}
        joined = api("POST", stack, "/waitlist", session_token(b), json={**waiting, "language": "en"})
        assert joined.status_code == 201, joined.text

        # WHEN A cancels, B is offered the time; B opens the link where nobody is signed in
        cancelled = api("POST", stack, f"/appointments/{booked.json()['id']}/cancel", session_token(a), json={})
        assert cancelled.status_code == 200, cancelled.text
        link = _wait_for_link(stack, waiter_email, OFFER)
        page = elsewhere.new_page()
        page.goto(f"{stack.web_url}{link}")
        page.get_by_role("button", name="English").click()

        # THEN the page asks for the digital identity first, and comes back to the same offer after it
        expect(page.locator("#offer-eid")).to_contain_text("digital identity", timeout=TIMEOUT * 1000)
        assert "token" not in page.url
        assert axe_violations(page) == []
        page.locator("a#eid-start").click()
        page.locator("label:has-text('99301193G')").click()
        page.get_by_role("button", name="Identifica't").click()
        expect(page).to_have_url(f"{stack.web_url}/offer", timeout=TIMEOUT * 1000)
        expect(page.locator("#offer-time")).to_contain_text(start[11:16], timeout=TIMEOUT * 1000)

        # AND books it for B
        page.locator("#offer-book").click()
        page.locator("#offer-confirm").click()
        expect(page.locator("#offer-done")).to_contain_text("the time is yours", timeout=TIMEOUT * 1000)
        mine = api("GET", stack, "/appointments", session_token(b)).json()["items"]
        assert datetime.fromisoformat(start) in [
            datetime.fromisoformat(x["start"]) for x in mine if x["status"] == "booked" and x["service_id"] == service
        ]
    finally:
        holder.close()
        waiter.close()
        elsewhere.close()
