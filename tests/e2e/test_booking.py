"""A citizen books, finds, changes and cancels an appointment in the browser; an agent sees the day's agenda."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import axe_violations
from tests.e2e.steps import citizen_signs_in_by_code, outbox, staff_signs_in
from tests.stack import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def _choose_first_slot(page: Page) -> str:
    day = page.locator("button.day").first
    expect(day).to_be_visible()
    day.click()
    slot = page.locator("input[name=slot]").first
    expect(slot).to_be_visible()
    value = slot.get_attribute("value") or ""
    slot.check()
    return value


def test_a_citizen_books_changes_and_cancels(stack: RunningStack, page: Page) -> None:
    email = "booker@example.org"
    citizen_signs_in_by_code(stack, page, "00000000T", email, "/me")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("My area|El meu espai|Mi espacio"))
    page.get_by_role("button", name="English").click()

    # GIVEN the service's page, WHEN the citizen books the first time offered
    page.goto(f"{stack.web_url}/services/general-information")
    page.locator("a#book-appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book an appointment")
    assert axe_violations(page) == []
    start = _choose_first_slot(page)
    assert axe_violations(page) == []
    page.locator("form#slot-form button[type=submit]").click()
    page.fill("#contact-email", email)
    assert axe_violations(page) == []
    page.locator("button#confirm-booking").click()

    # THEN the appointment page shows it booked, at the council's time
    expect(page.locator("#appointment-status")).to_have_text("Booked")
    expect(page.locator("#appointment-when")).to_contain_text(start[11:16])
    assert axe_violations(page) == []
    appointment_id = page.url.rsplit("/", 1)[-1]

    # AND the confirmation email carries a valid calendar file for that time
    message = outbox(stack, email)[0]
    event = next(iter(Calendar.from_ical(message["attachments"][0]["content"]).walk("VEVENT")))
    assert event.decoded("dtstart").isoformat() == start

    # AND it is listed under "My appointments"
    page.locator("a#my-appointments").click()
    expect(page.locator(f"li.appointment[data-id='{appointment_id}']")).to_be_visible()
    assert axe_violations(page) == []

    # WHEN the citizen moves it to another time
    page.goto(f"{stack.web_url}/appointments/{appointment_id}")
    page.locator("button#reschedule").click()
    new_start = _choose_first_slot(page)
    page.locator("form#slot-form button[type=submit]").click()
    page.locator("button#confirm-reschedule").click()
    expect(page.locator("#appointment-when")).to_contain_text(new_start[11:16])

    # AND cancels it
    page.locator("button#cancel-appointment").click()
    page.locator("button#confirm-cancel").click()
    expect(page.locator("#appointment-status")).to_have_text("Cancelled")


def test_an_agent_sees_the_days_agenda(stack: RunningStack, page: Page) -> None:
    staff_signs_in(stack, page, "agent.omac")
    # An agent lands straight on the day agenda.
    expect(page).to_have_url(f"{stack.web_url}/agenda")
    expect(page.get_by_role("heading", level=1)).to_have_text("Day agenda")
    expect(page.locator("table#agenda, .agenda-empty, p").first).to_be_visible()
    assert axe_violations(page) == []


def test_the_booking_page_fits_a_360_px_phone(stack: RunningStack, browser: Browser) -> None:
    context = browser.new_context(locale="ca-ES", viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{stack.web_url}/book/residence-certificate")
    expect(page.locator("button.day").first).to_be_visible()
    page.locator("button.day").first.click()
    expect(page.locator("input[name=slot]").first).to_be_visible()

    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    violations = axe_violations(page)
    context.close()

    assert overflow <= 0
    assert violations == []
