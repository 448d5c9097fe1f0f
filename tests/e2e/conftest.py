"""Headless Chromium from Debian's package, driven by Playwright (which downloads no browser of its own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from dev.chromium import CHROMIUM, FLAGS

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"


# Module scope, not session: Playwright's sync API keeps an event loop alive in this thread until it stops,
# and asyncio tests collected after the browser tests need the thread free.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


def launch_chromium(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory, extra_flags: tuple[str, ...] = ()
) -> Browser:
    """Debian's Chromium, headless, with a throwaway home; `extra_flags` after the usual ones."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: `make setup` installs Debian's chromium package")
    home = tmp_path_factory.mktemp("chromium-home")
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*FLAGS, *extra_flags],
        env={"HOME": str(home), "TMPDIR": str(home)},
    )


@pytest.fixture(scope="module")
def browser(playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    browser = launch_chromium(playwright, tmp_path_factory)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="es-ES", viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, object]]:
    """Runs axe-core (from npm) on the page; returns the violations of the given impacts."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]
