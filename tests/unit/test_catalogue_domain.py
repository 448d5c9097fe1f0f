"""The catalogue's rules: texts by language (the council's always), well-formed services, ordered levels of
assurance."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.catalogue import Assurance, Service, Text
from chalicelib.domain.errors import ValidationFailed

NAME = {"ca": "Carta de pagament", "es": "Carta de pago", "en": "Payment letter"}


def _service(**overrides: Any) -> Service:
    fields: dict[str, Any] = {
        "id": "payment-letter",
        "office": "OGAT",
        "name": Text(**NAME),
        "description": Text(ca="Per pagar", es="Para pagar", en="To pay"),
        "duration_minutes": 15,
        "min_assurance": Assurance.LOW,
    }
    return Service(**(fields | overrides))


def _fields(failure: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [error.field for error in failure.value.errors]


def test_a_text_in_the_three_languages_parses() -> None:
    text = Text.parse(NAME, "name")

    assert text == Text(ca="Carta de pagament", es="Carta de pago", en="Payment letter")
    assert text.as_dict() == NAME


def test_a_text_without_the_councils_language_is_named_with_its_field() -> None:
    raw = {lang: value for lang, value in NAME.items() if lang != "ca"}

    with pytest.raises(ValidationFailed) as failure:
        Text.parse(raw, "description")

    assert _fields(failure) == ["description.ca"]


@pytest.mark.parametrize("missing", ["es", "en"])
def test_a_language_a_text_lacks_reads_as_the_councils(missing: str) -> None:
    # Data written before a language was added still reads in it, in the council's language, until translated.
    text = Text.parse({lang: value for lang, value in NAME.items() if lang != missing}, "description")

    assert text.in_language(missing) == NAME["ca"]
    assert missing not in text.as_dict()


@pytest.mark.parametrize("blank", ["", "   ", None, 7])
def test_an_empty_or_non_text_language_is_rejected(blank: Any) -> None:
    with pytest.raises(ValidationFailed) as failure:
        Text.parse({**NAME, "es": blank}, "name")

    assert _fields(failure) == ["name.es"]


def test_every_bad_language_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as failure:
        Text.parse({"fr": "Lettre de paiement", "es": " ", "en": 7}, "name")

    assert sorted(_fields(failure)) == ["name.ca", "name.en", "name.es"]


@pytest.mark.parametrize("raw", ["Carta de pagament", ["ca", "es", "en"], None])
def test_a_text_that_is_not_an_object_is_rejected(raw: Any) -> None:
    with pytest.raises(ValidationFailed) as failure:
        Text.parse(raw, "name")

    assert _fields(failure) == ["name"]


def test_an_unknown_language_falls_back_to_catalan() -> None:
    text = Text(**NAME)

    assert text.in_language("en") == "Payment letter"
    assert text.in_language("fr") == "Carta de pagament"


def test_a_well_formed_service_is_accepted() -> None:
    service = _service(id="instalment-plan-2", duration_minutes=240, buffer_minutes=0)

    assert service.active
    assert service.required_documents == ()


@pytest.mark.parametrize("service_id", ["", "Payment-Letter", "payment_letter", "payment letter", "carta/pagament"])
def test_a_service_id_must_be_lower_case_letters_digits_and_hyphens(service_id: str) -> None:
    with pytest.raises(ValidationFailed) as failure:
        _service(id=service_id)

    assert _fields(failure) == ["id"]


def test_a_service_id_outside_ascii_is_rejected() -> None:
    with pytest.raises(ValidationFailed):
        _service(id="証明")


@pytest.mark.parametrize("minutes", [0, 3, 17, 245, 300, -5])
def test_a_duration_must_be_a_multiple_of_five_between_5_and_240(minutes: int) -> None:
    with pytest.raises(ValidationFailed) as failure:
        _service(duration_minutes=minutes)

    assert _fields(failure) == ["duration_minutes"]


@pytest.mark.parametrize(("duration", "buffer"), [(240, 5), (200, 45), (185, 60)])
def test_an_appointment_holds_its_agent_at_most_240_minutes_buffer_included(duration: int, buffer: int) -> None:
    """Moving an appointment to another agent is one transaction of at most 100 items: the old agent's units
    deleted, the new one's put, the appointment updated (2 x 48 + 1 for 240 minutes of five-minute units)."""
    with pytest.raises(ValidationFailed) as failure:
        _service(duration_minutes=duration, buffer_minutes=buffer)

    assert [(e.field, e.key) for e in failure.value.errors] == [("duration_minutes", "held_too_long")]
    assert _service(duration_minutes=duration, buffer_minutes=240 - duration).duration_minutes == duration


def test_the_demo_catalogue_holds_agents_within_the_limit() -> None:
    from chalicelib.domain.catalogue import MAX_HELD_MINUTES
    from tests.unit.test_demo_data import _demo

    for raw in _demo("catalogue.json")["services"]:
        assert raw["duration_minutes"] + raw.get("buffer_minutes", 5) <= MAX_HELD_MINUTES, raw["id"]


def test_a_bad_id_and_duration_are_reported_together() -> None:
    with pytest.raises(ValidationFailed) as failure:
        _service(id="Bad Id", duration_minutes=7)

    assert _fields(failure) == ["id", "duration_minutes"]


@pytest.mark.parametrize(
    ("held", "required", "enough"),
    [
        (Assurance.LOW, Assurance.LOW, True),
        (Assurance.LOW, Assurance.SUBSTANTIAL, False),
        (Assurance.LOW, Assurance.HIGH, False),
        (Assurance.SUBSTANTIAL, Assurance.LOW, True),
        (Assurance.SUBSTANTIAL, Assurance.SUBSTANTIAL, True),
        (Assurance.SUBSTANTIAL, Assurance.HIGH, False),
        (Assurance.HIGH, Assurance.LOW, True),
        (Assurance.HIGH, Assurance.SUBSTANTIAL, True),
        (Assurance.HIGH, Assurance.HIGH, True),
    ],
)
def test_a_higher_level_of_assurance_satisfies_a_lower_requirement(
    held: Assurance, required: Assurance, enough: bool
) -> None:
    assert held.satisfies(required) is enough
