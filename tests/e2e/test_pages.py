"""Every page, as each kind of visitor sees it, in Catalan, Spanish and English, on a 360 px phone and a 1280 px desk:
axe finds nothing serious, and no text or control is drawn in (or near) its background's colour (contrast.js: text
4.5:1, control boundaries 3:1 — WCAG 1.4.3, 1.4.11). Also the layout promises of the phone: a signed-in header that
leaves the screen to the page, a menu that opens, the footer's legal pages.

One browser and the session's stack; each visitor signs in once (through the API, the session handed to the page as
the SPA keeps it), each page is loaded once per language and measured at both widths without reloading."""

from __future__ import annotations

import contextlib
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from dev.calls_now import seed_calls_now
from tests.e2e.conftest import axe_violations
from tests.e2e.contrast import contrast_failures
from tests.e2e.steps import citizen_token_by_code
from tests.integration.test_booking_race import staff_token
from tests.stack import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TIMEOUT = 15
LANGUAGES = ("ca", "es", "en")
PHONE: ViewportSize = {"width": 360, "height": 740}
DESK: ViewportSize = {"width": 1280, "height": 800}
WIDTHS = (PHONE, DESK)
# A fictional citizen no other browser test uses; the check letter is computed, not typed.
CITIZEN_NUMBER = 40000731
CITIZEN_ID = f"{CITIZEN_NUMBER}{'TRWAGMYFPDXBNJZSQVHLCKE'[CITIZEN_NUMBER % 23]}"
CITIZEN_EMAIL = "pages.walk@example.org"
# The walk's own call happening now (the demo calls are ended by the call tests): a fictional person of OGAT's, for
# agent.ogat2, so its agenda shows a "Join call" link and its citizen sees the device check.
CALL_NUMBER = 40000732
CALL_ID = f"{CALL_NUMBER}{'TRWAGMYFPDXBNJZSQVHLCKE'[CALL_NUMBER % 23]}"
CALL_EMAIL = "pages.call@example.org"
# Booked by the walking citizen: an OGAT service, so that agent.ogat2 can open it with its procedure form.
SERVICE = "payment-letter"

ANONYMOUS_PAGES = (
    "/",
    "/services/general-information",
    "/book/general-information",
    "/sign-in",
    "/staff/sign-in",
    "/verify",
    "/accessibility",
    "/privacy",
    "/legal-notice",
    "/staff/activate",
    "/offer",
    "/l",
    "/no-such-page",
)


def _book(stack: RunningStack, token: str) -> str:
    slots = requests.get(f"{stack.api_url}/services/{SERVICE}/slots", timeout=TIMEOUT).json()["items"]
    assert slots, f"no {SERVICE} slot is offered"
    booked = requests.post(
        f"{stack.api_url}/appointments",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        json={"service_id": SERVICE, "start": slots[-1]["start"], "contact": {"email": CITIZEN_EMAIL}},
        timeout=TIMEOUT,
    )
    assert booked.status_code == 201, booked.text
    return str(booked.json()["id"])


def _cancel(stack: RunningStack, token: str, appointment_id: str) -> None:
    requests.post(
        f"{stack.api_url}/appointments/{appointment_id}/cancel",
        headers={"Authorization": f"Bearer {token}"},
        json={},
        timeout=TIMEOUT,
    )


def _link_of_confirmation(stack: RunningStack, action: str) -> str:
    """The token of the walking citizen's confirmation link that does `action` (join, change, cancel)."""
    items = requests.get(f"{stack.api_url}/dev/outbox", params={"to": CITIZEN_EMAIL}, timeout=TIMEOUT).json()["items"]
    for item in items:
        for token in re.findall(r"/l#token=([A-Za-z0-9_-]{22})", item["body"]):
            described = requests.get(f"{stack.api_url}/links/{token}", timeout=TIMEOUT)
            if described.status_code == 200 and described.json()["action"] == action:
                return str(token)
    raise AssertionError(f"no {action} link in the confirmation")


def _visitor(browser: Browser, stack: RunningStack, token: str | None, kind: str = "citizen") -> BrowserContext:
    """A browser context whose pages start with the given session, as the SPA keeps it after signing in."""
    context = browser.new_context(viewport=PHONE, locale="ca-ES")
    context.grant_permissions(["camera", "microphone"], origin=stack.web_url)
    if token:
        expires = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
        session = json.dumps({"access_token": token, "expires_at": expires, "kind": kind})
        context.add_init_script(
            f"if (location.origin === {json.dumps(stack.web_url)} && !sessionStorage.getItem('va.session'))"
            f" sessionStorage.setItem('va.session', {json.dumps(session)})"
        )
    return context


def _settled(page: Page) -> None:
    """The page's heading is there, lazy chunks have come and nothing is still loading."""
    expect(page.locator("main h1").first).to_be_visible(timeout=TIMEOUT * 1000)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if not page.evaluate('Boolean(document.querySelector(\'[data-lazy-page="loading"], [aria-busy="true"]\'))'):
            break
        time.sleep(0.1)
    # A page that polls (the agenda) never goes quiet: what it shows by then is what is measured.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_load_state("networkidle", timeout=3000)


def _walk(page: Page, stack: RunningStack, paths: tuple[str, ...], problems: list[str]) -> None:
    """Each path in each language, checked at both widths; every problem found is added to `problems`."""
    for language in LANGUAGES:
        page.goto(f"{stack.web_url}/")
        page.evaluate("language => localStorage.setItem('va.lang', language)", language)
        for path in paths:
            page.set_viewport_size(PHONE)
            page.goto(f"{stack.web_url}{path}")
            _settled(page)
            assert page.evaluate("document.documentElement.lang") == language, (path, language)
            for width in WIDTHS:
                page.set_viewport_size(width)
                page.wait_for_timeout(100)
                where = f"{path} [{language}, {width['width']} px]"
                problems.extend(f"{where} axe: {v}" for v in axe_violations(page))
                problems.extend(f"{where} contrast: {f}" for f in contrast_failures(page))
            # The phone's menu, open, is a state of every page too.
            page.set_viewport_size(PHONE)
            menu = page.locator("#menu-button")
            menu.click()
            expect(page.locator("#site-menu")).to_be_visible()
            problems.extend(f"{path} [{language}, menu open] contrast: {f}" for f in contrast_failures(page))
            menu.click()


@pytest.fixture(scope="module")
def call_now(stack: RunningStack) -> str:
    """The id of the walk's own appointment happening now (its call window is open)."""
    person = ("OGAT", SERVICE, CALL_ID, "Pau Serra", CALL_EMAIL, "agent.ogat2")
    (made,) = seed_calls_now("dev", "eu-south-2", f"http://127.0.0.1:{stack.moto}", calls=(person,))
    return made.appointment_id


@pytest.fixture(scope="module")
def citizen(stack: RunningStack) -> Iterator[tuple[str, str]]:
    token = citizen_token_by_code(stack, CITIZEN_ID, CITIZEN_EMAIL)
    appointment_id = _book(stack, token)
    yield token, appointment_id
    _cancel(stack, token, appointment_id)


def test_every_public_page_is_readable_in_every_language_and_width(stack: RunningStack, browser: Browser) -> None:
    context = _visitor(browser, stack, None)
    page = context.new_page()
    problems: list[str] = []
    try:
        _walk(page, stack, ANONYMOUS_PAGES, problems)
    finally:
        context.close()
    assert problems == []


def test_every_citizen_page_is_readable_in_every_language_and_width(
    stack: RunningStack, browser: Browser, citizen: tuple[str, str]
) -> None:
    token, appointment_id = citizen
    context = _visitor(browser, stack, token)
    page = context.new_page()
    problems: list[str] = []
    try:
        paths = (
            "/me",
            "/appointments",
            f"/appointments/{appointment_id}",
            f"/book/{SERVICE}",
            "/documents",
            "/me/access-log",
            f"/appointments/{appointment_id}/call",
            "/waitlist",
            f"/waitlist?service={SERVICE}",
            f"/appointments/{appointment_id}/check",
            f"/l#token={_link_of_confirmation(stack, 'change')}",
        )
        _walk(page, stack, paths, problems)
    finally:
        context.close()
    assert problems == []


def test_every_staff_page_is_readable_in_every_language_and_width(
    stack: RunningStack, browser: Browser, citizen: tuple[str, str], call_now: str
) -> None:
    """An agent (their agenda with today's call, whose "Join call" must not be white on white; the citizen's
    appointment with its procedure form), a supervisor (with the dashboard and the appointments to rebook) and an
    administrator (the back office's pages); each signs in once (the auditor's
    pages are walked by tests/e2e/test_records.py: its sign-ins are spent there and in the schemathesis run). Staff
    sign-ins are limited (5 attempts per user and 15 minutes, two per sign-in): these users are ones the other browser
    and integration tests leave room for (agent.omac and agent.omac2 have none left)."""
    _, appointment_id = citizen
    visits: dict[str, tuple[str, ...]] = {
        "agent.ogat2": ("/agenda", f"/appointments/{appointment_id}", "/me"),
        "supervisor": ("/agenda", "/staff/recordings", "/staff/dashboard", "/staff/rebooking"),
        "admin": (
            "/me",
            "/staff/admin",
            "/staff/admin/offices",
            "/staff/admin/services",
            "/staff/admin/staff",
            "/staff/admin/staff/agent.omac",
            "/staff/admin/holidays",
        ),
    }
    problems: list[str] = []
    for username, paths in visits.items():
        context = _visitor(browser, stack, staff_token(stack, username), kind="staff")
        page = context.new_page()
        try:
            if username == "agent.ogat2":
                # The walk's call of this moment is on the agenda with its "Join call" link, in the secondary style
                # while nobody waits: the walk below measures it.
                page.goto(f"{stack.web_url}/agenda")
                expect(page.locator("a.button--secondary[id^=join-]").first).to_be_visible(timeout=TIMEOUT * 1000)
            _walk(page, stack, paths, problems)
        finally:
            context.close()
    assert problems == []


def _header_share(page: Page) -> float:
    header = "document.querySelector('header.site-header').getBoundingClientRect().height"
    return float(page.evaluate(f"{header} / innerHeight"))


def _in_viewport(page: Page, selector: str) -> bool:
    return bool(
        page.evaluate(
            """(selector) => {
              const e = document.querySelector(selector)
              if (!e) return false
              const r = e.getBoundingClientRect()
              return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0
                && r.bottom <= innerHeight && r.right <= innerWidth
            }""",
            selector,
        )
    )


def test_on_a_phone_the_signed_in_header_is_compact_and_join_shows_without_scrolling(
    stack: RunningStack, browser: Browser, citizen: tuple[str, str]
) -> None:
    token, _ = citizen
    context = _visitor(browser, stack, token)
    page = context.new_page()
    try:
        for language in LANGUAGES:
            page.goto(f"{stack.web_url}/")
            page.evaluate("language => localStorage.setItem('va.lang', language)", language)
            page.goto(f"{stack.web_url}/appointments")
            _settled(page)
            # WHEN signed in on a phone THEN the header is a line of identity and the languages, not 40 % of the screen
            assert _header_share(page) <= 0.25, (language, _header_share(page))
            expect(page.locator("header #council-name")).to_be_visible()
            expect(page.locator("#my-appointments")).to_be_hidden()
            # AND the navigation is one menu button away
            page.locator("#menu-button").click()
            expect(page.locator("#my-appointments")).to_be_visible()
            expect(page.locator("#menu-button")).to_have_attribute("aria-expanded", "true")
            page.keyboard.press("Escape")
            expect(page.locator("#my-appointments")).to_be_hidden()
            # AND every page's footer leads to the legal pages
            for link in ("#accessibility-link", "#privacy-link", "#legal-notice-link", "#footer-help"):
                expect(page.locator(f"footer {link}")).to_have_count(1)
    finally:
        context.close()


def test_the_device_check_shows_join_without_scrolling_on_a_phone(
    stack: RunningStack, browser: Browser, call_now: str
) -> None:
    """The walk's call of this moment (its window is open), as its citizen on a 360 x 740 phone."""
    token = citizen_token_by_code(stack, CALL_ID, CALL_EMAIL)
    context = _visitor(browser, stack, token)
    page = context.new_page()
    try:
        page.goto(f"{stack.web_url}/appointments/{call_now}/call")
        expect(page.locator("#join-call")).to_be_visible(timeout=TIMEOUT * 1000)
        assert _in_viewport(page, "#join-call"), "Join is below the fold on a 360 x 740 phone"
        assert page.evaluate("window.scrollY") == 0
    finally:
        context.close()
