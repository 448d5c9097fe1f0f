"""Every text the backend shows or sends, in every language we speak: one flat JSON catalogue per language.

``<language>.json`` maps a dotted key ("validation.required", "email.code.subject") to a text with ``{named}``
placeholders (``str.format``). The catalogues must hold the same keys and the same placeholders
(``tests/unit/test_texts.py``), so a missing translation fails the suite, never a citizen's request.

The languages we speak are the catalogues in this folder: adding one is adding its file (the README's "Add a
language"); nothing else in the backend names a language. The council's own language comes first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path

DEFAULT_LANGUAGE = "ca"
CATALOGUES = Path(__file__).parent


def languages_in(folder: Path) -> tuple[str, ...]:
    """The languages whose catalogues are in ``folder``: the council's first, then the others by code."""
    found = sorted(path.stem for path in folder.glob("*.json"))
    return (DEFAULT_LANGUAGE, *(lang for lang in found if lang != DEFAULT_LANGUAGE))


LANGUAGES: tuple[str, ...] = languages_in(CATALOGUES)


def language(value: object) -> str:
    """One of our languages: the value itself when we speak it, otherwise the council's default."""
    return value if isinstance(value, str) and value in LANGUAGES else DEFAULT_LANGUAGE


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages an ``Accept-Language`` header asks for, by weight ("es-ES,es;q=0.9" → es)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and weight > 0:
            ranked.append((-weight, position, primary))
    return min(ranked)[2] if ranked else None


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    with (CATALOGUES / f"{lang}.json").open(encoding="utf-8") as handle:
        loaded: dict[str, str] = json.load(handle)
    return loaded


def say(key: str, lang: object, /, **params: object) -> str:
    """The text under ``key`` in ``lang`` (the default language for one we do not speak), placeholders filled."""
    return catalogue(language(lang))[key].format(**params)


def has(key: str) -> bool:
    """Whether the catalogues hold ``key`` (they all hold the same keys)."""
    return key in catalogue(DEFAULT_LANGUAGE)
