"""The backend's catalogues are complete: the same keys and the same placeholders in every language."""

from __future__ import annotations

import string

import pytest

from chalicelib.texts import DEFAULT_LANGUAGE, LANGUAGES, catalogue, language, say


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_every_key_with_the_same_placeholders(lang: str) -> None:
    reference = catalogue(DEFAULT_LANGUAGE)
    texts = catalogue(lang)
    assert set(texts) == set(reference), (
        f"{lang}: missing {set(reference) - set(texts)}, extra {set(texts) - set(reference)}"
    )
    for key, text in texts.items():
        assert text.strip(), f"{lang}: {key} is empty"
        assert _placeholders(text) == _placeholders(reference[key]), f"{lang}: {key} has other placeholders"


def test_say_speaks_the_language_asked_and_falls_back_to_the_default() -> None:
    assert say("validation.invalid", "es") == "La solicitud tiene campos no válidos."
    assert say("validation.invalid", "xx") == say("validation.invalid", DEFAULT_LANGUAGE)
    assert language(None) == DEFAULT_LANGUAGE
