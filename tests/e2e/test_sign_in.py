"""People sign in as they would in a browser: a citizen with a code or eID, an agent with two factors."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import axe_violations
from tests.e2e.steps import latest_code
from tests.stack import STAFF_PASSWORD, RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_a_citizen_signs_in_with_a_code_read_from_the_outbox(stack: RunningStack, page: Page) -> None:
    page.goto(stack.web_url + "/sign-in")
    page.get_by_role("button", name="Català").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Identificació")
    assert axe_violations(page) == []

    page.fill("#id-number", "12345678z")
    page.check("input[name=channel][value=email]")
    page.fill("#destination", "rosa@example.org")
    page.locator("form#otp-request button[type=submit]").click()

    expect(page.locator("form#otp-verify")).to_be_visible()
    expect(page.locator("section#dev-outbox li").first).to_contain_text("El vostre codi és")
    assert axe_violations(page) == []
    page.fill("#otp-code", latest_code(stack, "rosa@example.org"))
    page.locator("form#otp-verify button[type=submit]").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("El meu espai")
    expect(page.locator("#citizen-id")).to_contain_text("678Z")
    assert axe_violations(page) == []

    page.locator("button#sign-out").click()
    expect(page.locator("a#my-area")).to_have_count(0)


def test_a_wrong_code_says_how_many_attempts_are_left(stack: RunningStack, page: Page) -> None:
    page.goto(stack.web_url + "/sign-in")
    page.get_by_role("button", name="English").click()
    page.fill("#id-number", "00000000T")
    page.check("input[name=channel][value=email]")
    page.fill("#destination", "wrong@example.org")
    page.locator("form#otp-request button[type=submit]").click()
    expect(page.locator("form#otp-verify")).to_be_visible()
    code = latest_code(stack, "wrong@example.org")

    page.fill("#otp-code", "000000" if code != "000000" else "111111")
    page.locator("form#otp-verify button[type=submit]").click()

    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".error-summary")).to_contain_text("4")
    expect(page.locator(".error-summary")).to_be_focused()
    assert axe_violations(page) == []


# The level is shown to citizens as how they signed in, never by its eIDAS name.
@pytest.mark.parametrize(
    ("person", "level"),
    [("12345678Z", "Code by email or SMS"), ("99301193G", "Digital identity (idCAT Mòbil or Cl@ve)")],
)
def test_a_citizen_signs_in_through_the_eid_provider(stack: RunningStack, page: Page, person: str, level: str) -> None:
    page.goto(stack.web_url + "/sign-in")
    page.get_by_role("button", name="English").click()

    page.locator("a#eid-start").click()
    expect(page).to_have_url(re.compile(rf"^http://127\.0\.0\.1:{stack.eid}/o/oauth2/auth\?"))
    page.locator(f"label:has-text('{person}')").click()
    page.get_by_role("button", name="Identifica't").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My area")
    assert "#" not in page.url  # the token does not linger in the address bar
    expect(page.locator("#assurance")).to_contain_text(level)
    assert axe_violations(page) == []


def test_cancelling_at_the_eid_provider_explains_what_happened(stack: RunningStack, page: Page) -> None:
    page.goto(stack.web_url + "/sign-in")
    page.get_by_role("button", name="English").click()
    page.locator("a#eid-start").click()

    page.get_by_role("button", name="Cancel·la").click()

    expect(page.locator("#eid-error")).to_be_visible()
    assert axe_violations(page) == []


def test_an_agent_signs_in_with_password_and_emailed_code(stack: RunningStack, page: Page) -> None:
    page.goto(stack.web_url + "/staff/sign-in")
    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acceso del personal")
    assert axe_violations(page) == []

    page.fill("#username", "agent.omac")
    page.fill("#password", STAFF_PASSWORD)
    page.locator("form#staff-login button[type=submit]").click()
    expect(page.locator("form#staff-otp")).to_be_visible()
    assert axe_violations(page) == []
    page.fill("#staff-otp-code", latest_code(stack, "agent.omac@vilademo.example"))
    page.locator("form#staff-otp button[type=submit]").click()

    # An agent lands on their day agenda (issue 13, item 18); their staff area is one link away.
    expect(page).to_have_url(f"{stack.web_url}/agenda")
    expect(page.get_by_role("heading", level=1)).to_have_text("Agenda del día")
    assert axe_violations(page) == []
    page.locator("a#my-area").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Área de personal")
    expect(page.locator("#office")).to_contain_text("Oficina Municipal de Atención Ciudadana")


def test_a_wrong_staff_password_is_told_without_saying_which_part(stack: RunningStack, page: Page) -> None:
    page.goto(stack.web_url + "/staff/sign-in")
    page.get_by_role("button", name="English").click()
    page.fill("#username", "agent.omac")
    page.fill("#password", "not-the-password")
    page.locator("form#staff-login button[type=submit]").click()

    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("form#staff-otp")).to_have_count(0)
