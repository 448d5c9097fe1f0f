"""The contrast check of tests/e2e/contrast.js, from Python: every visible text and control of the page against the
colour actually behind it (WCAG 2.1 1.4.3: text 4.5:1, large text 3:1; 1.4.11: control boundaries 3:1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

SOURCE = (Path(__file__).with_name("contrast.js")).read_text(encoding="utf-8")


def contrast_report(page: Page) -> dict[str, Any]:
    """`{"checked": n, "failures": [...], "skipped": [...]}` for the page as it is drawn now."""
    return dict(page.evaluate(f"({SOURCE.strip().rstrip(';')})()"))


def contrast_failures(page: Page) -> list[dict[str, Any]]:
    """Every text or control drawn with too little contrast against its background (empty when all is readable)."""
    report = contrast_report(page)
    assert report["checked"] > 0, "the contrast check found nothing to check: is the page drawn?"
    return list(report["failures"])
