"""The back office in the browser (issue 15): an administrator opens a new office with one service and one agent, the
agent sets their password from the invitation and signs in, a citizen books, the administrator records the agent's
leave on that day, and the citizen is sent a message with one-tap links to choose another time or cancel."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import axe_violations
from tests.e2e.steps import TIMEOUT, citizen_signs_in_by_code, latest_code, outbox, staff_signs_in
from tests.stack import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

WEEKDAYS = [str(day) for day in range(1, 8)]
AGENT_PASSWORD = "a long and unusual sentence 42"


def _link(stack: RunningStack, to: str, path: str) -> str:
    """The newest message to `to` that carries a link to `path`, that link."""
    for message in outbox(stack, to):
        pattern = rf"https?://\S+{re.escape(path)}#token=[A-Za-z0-9_\-]+(?:&purpose=\w+)?"
        found = re.search(pattern, str(message["body"]))
        if found:
            return found.group(0)
    raise AssertionError(f"no message to {to} links to {path}")


def _rebooking_link(stack: RunningStack, to: str, action: str) -> str:
    """The one-tap ``action`` link (change, cancel) of the message telling `to` their appointment needs a new time."""
    line = {"change": "To change the time", "cancel": "To cancel the appointment"}[action]
    for message in outbox(stack, to):
        text = str(message["body"])
        found = re.search(rf"{line}: (https?://\S+/l#token=[A-Za-z0-9_\-]+)", text)
        if "can no longer take place" in text and found:
            return found.group(1)
    raise AssertionError(f"no rebooking message to {to}")


def _every_day_open(page: Page, week: str) -> None:
    """Each weekday of the week grid `week` gets one interval (the editor proposes 09:00 to 14:00)."""
    for day in WEEKDAYS:
        page.locator(f"#{week}-{day}-add").click()
        expect(page.locator(f"#{week}-{day}-0")).to_have_value("09:00")


def _save(page: Page, button: str, status: str) -> None:
    """Saves a form that may first show the appointments the change affects, then waits for the outcome."""
    page.locator(f"#{button}").click()
    confirm = page.locator(f"#{status}-confirm")
    done = page.locator(f"#{status}-done")
    expect(confirm.or_(done)).to_be_visible(timeout=TIMEOUT * 1000)
    if confirm.is_visible():
        confirm.click()
    expect(done).to_be_visible(timeout=TIMEOUT * 1000)


def test_a_new_office_service_and_agent_then_leave_asks_the_citizen_to_rebook(
    stack: RunningStack, browser: Browser
) -> None:
    suffix = uuid.uuid4().hex[:6]
    office, service, agent = f"E{suffix.upper()}"[:10], f"e2e-{suffix}", f"agent.{suffix}"
    agent_email = f"{agent}@vilademo.example"
    admin = browser.new_page(locale="en-GB")

    # GIVEN an administrator, WHEN they open a new office every day of the week
    staff_signs_in(stack, admin, "admin", "/staff/admin/offices")
    expect(admin.get_by_role("heading", level=1)).to_be_visible()
    admin.locator("#new-office").click()
    admin.fill("#office-id", office)
    for language, name in (("ca", "Oficina de proves"), ("es", "Oficina de pruebas"), ("en", "Test office")):
        admin.fill(f"#office-name-{language}", f"{name} {suffix}")
    admin.fill("#office-address", "Carrer de Prova, 1")
    _every_day_open(admin, "office-opening_hours")
    assert axe_violations(admin) == []
    _save(admin, "office-save", "office-status")

    # AND a service there that needs no digital identity
    admin.goto(f"{stack.web_url}/staff/admin/services")
    admin.locator("#new-service").click()
    admin.fill("#service-id", service)
    admin.select_option("#service-office", office)
    for language, name in (("ca", "Consulta de prova"), ("es", "Consulta de prueba"), ("en", "Test enquiry")):
        admin.fill(f"#service-name-{language}", f"{name} {suffix}")
        admin.fill(f"#service-description-{language}", f"{name}: {suffix}")
    admin.fill("#service-duration_minutes", "15")
    admin.select_option("#service-min_assurance", "low")
    assert axe_violations(admin) == []
    _save(admin, "service-save", "service-status")

    # AND an agent of that office, invited by email, who works there every day
    admin.goto(f"{stack.web_url}/staff/admin/staff")
    admin.fill("#invite-username", agent)
    admin.fill("#invite-name", f"Agent {suffix}")
    admin.fill("#invite-email", agent_email)
    admin.locator("#invite-roles-agent").check()
    admin.select_option("#invite-office", office)
    admin.locator("#invite-send").click()
    expect(admin.locator("#invite-done")).to_be_visible(timeout=TIMEOUT * 1000)
    admin.goto(f"{stack.web_url}/staff/admin/staff/{agent}")
    expect(admin.locator("#schedule-form")).to_be_visible(timeout=TIMEOUT * 1000)
    admin.select_option("#schedule-office", office)
    _every_day_open(admin, "schedule-weekly")
    assert axe_violations(admin) == []
    _save(admin, "schedule-save", "schedule-status")

    # THEN the agent sets a password from the invitation's link and signs in as usual (password, then emailed code)
    agent_page = browser.new_page(locale="en-GB")
    agent_page.goto(_link(stack, agent_email, "/staff/activate"))
    expect(agent_page.locator("#activate-password")).to_be_visible()
    expect(agent_page).not_to_have_url(re.compile("token"))  # the link's secret leaves the address bar
    agent_page.fill("#activate-password", AGENT_PASSWORD)
    agent_page.locator("#activate-form button[type=submit]").click()
    expect(agent_page.locator("#activate-done")).to_be_visible(timeout=TIMEOUT * 1000)
    assert axe_violations(agent_page) == []
    agent_page.goto(f"{stack.web_url}/staff/sign-in")
    agent_page.fill("#username", agent)
    agent_page.fill("#password", AGENT_PASSWORD)
    agent_page.locator("form#staff-login button[type=submit]").click()
    expect(agent_page.locator("form#staff-otp")).to_be_visible()
    agent_page.fill("#staff-otp-code", latest_code(stack, agent_email))
    agent_page.locator("form#staff-otp button[type=submit]").click()
    expect(agent_page.locator("#sign-out").or_(agent_page.get_by_role("heading", level=1))).to_be_visible()

    # AND a citizen books the new service at the first time it offers
    email = f"rebook.{suffix}@example.org"
    citizen = browser.new_page(locale="en-GB")
    citizen_signs_in_by_code(stack, citizen, "00000000T", email, "/me", language="English")
    expect(citizen.get_by_role("heading", level=1)).to_have_text("My area")
    citizen.goto(f"{stack.web_url}/book/{service}")
    day = citizen.locator("button.day").first
    expect(day).to_be_visible(timeout=TIMEOUT * 1000)
    day.click()
    slot = citizen.locator("input[name=slot]").first
    start = slot.get_attribute("value") or ""
    slot.check()
    citizen.locator("form#slot-form button[type=submit]").click()
    citizen.fill("#contact-email", email)
    citizen.locator("button#confirm-booking").click()
    expect(citizen.locator("#appointment-status")).to_have_text("Booked")

    # WHEN the administrator records the agent's leave for that whole day: the form shows who it affects first
    admin.goto(f"{stack.web_url}/staff/admin/staff/{agent}")
    admin.fill("#exception-date", start[:10])
    admin.locator("#exception-kind-leave").check()
    admin.locator("#exception-save").click()
    expect(admin.locator("#exception-status-preview-list")).to_contain_text("The citizen must choose another time")
    assert axe_violations(admin) == []
    admin.locator("#exception-status-confirm").click()
    expect(admin.locator("#exception-status-done")).to_be_visible(timeout=TIMEOUT * 1000)

    # THEN the citizen is sent a message with one-tap links to choose another time or cancel; the change link's page
    # says why in plain words, and the appointment says so
    citizen.goto(_rebooking_link(stack, email, "change"))
    expect(citizen.locator("#link-intro")).to_contain_text("The office had to change its hours", timeout=TIMEOUT * 1000)
    expect(citizen).not_to_have_url(re.compile("token"))
    expect(citizen.locator("#link-status")).to_have_text("Choose another time")
    expect(citizen.locator("button.day").first).to_be_visible(timeout=TIMEOUT * 1000)
    assert axe_violations(citizen) == []
    citizen.goto(f"{stack.web_url}/appointments")
    expect(citizen.get_by_text("Choose another time").first).to_be_visible(timeout=TIMEOUT * 1000)
