"""Steps the browser tests share: signing in as a citizen (by code or through the fake eID provider) or as staff, the
code read from the stack's outbox, and the API called with a session's token."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.stack import STAFF_PASSWORD, RunningStack

TIMEOUT = 15
T = TypeVar("T")


def until(check: Callable[[], T | None], timeout: float, what: str, every: float = 0.2) -> T:
    """Wait for ``check`` to answer something truthy (and return it), however long a busy machine takes, up to a
    generous ``timeout``: the condition, never a duration, is what a test asserts."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(every)


def media_context(browser: Browser, stack: RunningStack, **options: Any) -> BrowserContext:
    """A browser context whose pages may use the (fake) camera and microphone on the stack's web origin."""
    context = browser.new_context(**options)
    context.grant_permissions(["camera", "microphone"], origin=stack.web_url)
    return context


def outbox(stack: RunningStack, to: str | None = None) -> list[dict[str, Any]]:
    """The messages in the stack's outbox (to `to`, where given), newest first, once there is one."""
    params = {"to": to} if to else {}

    def messages() -> list[dict[str, Any]] | None:
        # The outbox lives in the stack's moto S3, which a machine busy with other suites can leave unanswered for a
        # while (the dev API then answers 500): read it again until it answers with a message.
        response = requests.get(f"{stack.api_url}/dev/outbox", params=params, timeout=TIMEOUT)
        items: list[dict[str, Any]] | None = response.json().get("items") if response.ok else None
        return items or None

    return until(messages, 60, f"a message in the outbox{f' to {to}' if to else ''}")


def latest_code(stack: RunningStack, to: str | None = None) -> str:
    """The one-time code of the newest message in the stack's outbox (to `to`, where given)."""
    items = outbox(stack, to)
    match = re.search(r"\b(\d{6})\b", items[0]["body"])
    assert match
    return match.group(1)


def citizen_token_by_code(stack: RunningStack, id_number: str, email: str) -> str:
    """A citizen signed in by a code sent to ``email``, through the API (the browser's sign-in is tested elsewhere)."""
    sent = requests.post(
        f"{stack.api_url}/auth/otp",
        json={"id_number": id_number, "channel": "email", "destination": email},
        timeout=TIMEOUT,
    )
    assert sent.status_code == 202, sent.text
    verified = requests.post(
        f"{stack.api_url}/auth/otp/verify",
        json={"challenge_id": sent.json()["challenge_id"], "code": latest_code(stack, email)},
        timeout=TIMEOUT,
    )
    assert verified.status_code == 200, verified.text
    return str(verified.json()["access_token"])


def api(method: str, stack: RunningStack, path: str, token: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method, f"{stack.api_url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT, **kwargs
    )


def citizen_signs_in_by_code(
    stack: RunningStack, page: Page, id_number: str, email: str, return_to: str, *, language: str | None = None
) -> None:
    """The sign-in page (in `language`, where given), a code by email read from the outbox, back to `return_to`."""
    page.goto(f"{stack.web_url}/sign-in?return_to={return_to}")
    if language:
        page.get_by_role("button", name=language).click()
    page.fill("#id-number", id_number)
    page.check("input[name=channel][value=email]")
    page.fill("#destination", email)
    page.locator("form#otp-request button[type=submit]").click()
    expect(page.locator("form#otp-verify")).to_be_visible()
    page.fill("#otp-code", latest_code(stack, email))
    page.locator("form#otp-verify button[type=submit]").click()


def citizen_signs_in_with_eid(stack: RunningStack, page: Page, id_number: str, path: str) -> None:
    """Opens `path` in English and signs in through the fake eID provider (no one-time code to spend), which sends the
    browser back to `path`."""
    page.goto(f"{stack.web_url}{path}")
    page.get_by_role("button", name="English").click()
    page.locator("a#eid-start").click()
    page.locator(f"label:has-text('{id_number}')").click()
    page.get_by_role("button", name="Identifica't").click()


def staff_signs_in(stack: RunningStack, page: Page, username: str, return_to: str | None = None) -> None:
    """The staff sign-in page in English: password, then the code emailed to the user, read from the outbox."""
    page.goto(f"{stack.web_url}/staff/sign-in" + (f"?return_to={return_to}" if return_to else ""))
    page.get_by_role("button", name="English").click()
    page.fill("#username", username)
    page.fill("#password", STAFF_PASSWORD)
    page.locator("form#staff-login button[type=submit]").click()
    expect(page.locator("form#staff-otp")).to_be_visible()
    page.fill("#staff-otp-code", latest_code(stack, f"{username}@vilademo.example"))
    page.locator("form#staff-otp button[type=submit]").click()


def session_token(page: Page) -> str:
    """The access token of the page's signed-in session (for calling the API as that user)."""
    return str(page.evaluate("JSON.parse(sessionStorage.getItem('va.session')).access_token"))
