"""A citizen opens the app, reads the catalogue, switches to Catalan, and the page stays accessible."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import axe_violations
from tests.stack import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_catalogue_in_the_browser_language_then_catalan(stack: RunningStack, page: Page) -> None:
    page.goto(stack.web_url + "/")

    # GIVEN a Spanish browser, the catalogue arrives from the API in Spanish
    expect(page.get_by_role("heading", level=1)).to_have_text("Catálogo de trámites")
    expect(page.locator("li.service-card[data-service-id='payment-letter'] h3")).to_have_text("Carta de pago")
    expect(page.locator("li.service-card")).to_have_count(7)

    # WHEN the citizen switches to Catalan
    page.get_by_role("button", name="Català").click()

    # THEN every text, from the app and from the API, is Catalan, and the page says so
    expect(page.get_by_role("heading", level=1)).to_have_text("Catàleg de tràmits")
    expect(page.locator("li.service-card[data-service-id='payment-letter'] h3")).to_have_text("Carta de pagament")
    expect(page.locator("html")).to_have_attribute("lang", "ca")
    expect(page.get_by_role("button", name="Català")).to_have_attribute("aria-pressed", "true")

    # AND the choice is remembered on the next visit
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Catàleg de tràmits")


@pytest.mark.parametrize("language", ["ca", "es", "en"])
def test_catalogue_has_no_serious_accessibility_violations(stack: RunningStack, page: Page, language: str) -> None:
    page.goto(stack.web_url + "/")
    page.locator(f"button[lang={language}]").click()
    expect(page.locator("li.service-card").first).to_be_visible()

    assert axe_violations(page) == []


def test_keyboard_user_can_skip_to_content_and_open_a_service(stack: RunningStack, page: Page) -> None:
    page.goto(stack.web_url + "/")
    expect(page.locator("li.service-card").first).to_be_visible()

    page.keyboard.press("Tab")
    expect(page.locator("a.skip-link")).to_be_focused()

    page.locator("li.service-card[data-service-id='residence-certificate'] a.service-link").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Certificado de empadronamiento")
    expect(heading).to_be_focused()
    expect(page.locator("ul.documents li")).to_have_count(2)
    assert axe_violations(page) == []


def test_at_200_percent_zoom_nothing_needs_sideways_scrolling(stack: RunningStack, browser) -> None:
    # A 640 px wide window at 200 % zoom lays the page out in 320 CSS pixels (WCAG 1.4.4 and 1.4.10).
    context = browser.new_context(locale="ca-ES", viewport={"width": 320, "height": 640}, device_scale_factor=2)
    page = context.new_page()
    page.goto(stack.web_url + "/")
    expect(page.locator("li.service-card").first).to_be_visible()

    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    context.close()

    assert overflow <= 0
