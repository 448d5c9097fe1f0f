"""Every validation message the code can raise has its text in every catalogue (issue 14, item 3).

``FieldError(field, key, ...)`` names ``validation.<key>``; a key missing from a catalogue would be a 500 in that
language instead of a 422. The keys are found in the source: each literal after a ``FieldError(`` field, each
upload refusal and each date window's key. A call site that passes a key held in a variable is one of the few known
relays below; a new one fails ``test_every_field_error_names_its_key_in_the_source``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.texts import CATALOGUES, LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "chalicelib").rglob("*.py"))
LITERAL = re.compile(r'FieldError\(\s*[^,()]+,\s*"([a-z_0-9]+)"')
REFUSAL = re.compile(r'_refuse\(\s*"([a-z_0-9]+)"|return "((?:pdf|image)_[a-z_]+)"')  # uploads: a refusal or _why's
WINDOW = re.compile(r'"(window_[a-z_]+)"')
ANY_CALL = re.compile(r"FieldError\(")
# Call sites that pass on a key chosen elsewhere (each of those keys is a literal the patterns above find).
RELAYS = {
    "chalicelib/domain/errors.py",  # the class itself
    "chalicelib/domain/bounds.py",  # Window.error: the window's key
    "chalicelib/documents/uploads.py",  # _refuse(key)
    "chalicelib/domain/procedures/instalment_plan.py",  # _in_data: the same error under data.
}


def _keys() -> set[str]:
    found: set[str] = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for pattern in (LITERAL, REFUSAL, WINDOW):
            for match in pattern.finditer(text):
                found.update(group for group in match.groups() if group)
    return found


def test_the_scan_finds_the_keys() -> None:
    keys = _keys()
    assert {"required", "one_of", "contact_needed", "pdf_javascript", "window_booking"} <= keys
    assert len(keys) > 60


def test_every_field_error_names_its_key_in_the_source() -> None:
    unnamed = []
    for path in SOURCES:
        relative = str(path.relative_to(ROOT))
        text = path.read_text(encoding="utf-8")
        literal = {match.start() for match in LITERAL.finditer(text)}
        for call in ANY_CALL.finditer(text):
            if call.start() not in literal and relative not in RELAYS:
                unnamed.append(f"{relative}:{text.count(chr(10), 0, call.start()) + 1}")
    assert unnamed == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_has_its_text_in_each_language(language: str) -> None:
    catalogue = json.loads((CATALOGUES / f"{language}.json").read_text(encoding="utf-8"))

    assert sorted(key for key in _keys() if not str(catalogue.get(f"validation.{key}", "")).strip()) == []
