"""Every text the backend shows or sends, in every language we speak: one flat JSON catalogue per language.

``<language>.json`` maps a dotted key ("validation.required", "email.code.subject") to a text with ``{named}``
placeholders (``str.format``). The catalogues must hold the same keys and the same placeholders
(``tests/unit/test_texts.py``), so a missing translation fails the suite, never a citizen's request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path

LANGUAGES: tuple[str, ...] = ("ca", "es", "en")
DEFAULT_LANGUAGE = "ca"
CATALOGUES = Path(__file__).parent


def language(value: object) -> str:
    """One of our languages: the value itself when we speak it, otherwise the council's default."""
    return value if isinstance(value, str) and value in LANGUAGES else DEFAULT_LANGUAGE


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    with (CATALOGUES / f"{lang}.json").open(encoding="utf-8") as handle:
        loaded: dict[str, str] = json.load(handle)
    return loaded


def say(key: str, lang: object, /, **params: object) -> str:
    """The text under ``key`` in ``lang`` (the default language for one we do not speak), placeholders filled."""
    return catalogue(language(lang))[key].format(**params)
