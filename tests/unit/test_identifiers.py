"""What citizens type to identify themselves and to be reached: ID numbers, email addresses, mobile numbers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.identifiers import Channel, destination, id_number, masked


def _field_errors(call: Callable[[], object]) -> list[FieldError]:
    with pytest.raises(ValidationFailed) as raised:
        call()
    return raised.value.errors


# --- ID numbers -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("valid", ["12345678Z", "00000000T", "54362315K", "X1234567L", "Y1234567X", "Z1234567R"])
def test_a_valid_dni_or_nie_is_kept_as_typed(valid: str) -> None:
    assert id_number(valid) == valid


@pytest.mark.parametrize(
    ("typed", "compact"),
    [
        ("12345678z", "12345678Z"),
        ("x1234567l", "X1234567L"),
        (" 12345678 Z ", "12345678Z"),
        ("12345678-Z", "12345678Z"),
        ("X-1234567-L", "X1234567L"),
        ("y 1234567 x", "Y1234567X"),
    ],
)
def test_case_spaces_and_hyphens_do_not_matter(typed: str, compact: str) -> None:
    assert id_number(typed) == compact


@pytest.mark.parametrize(
    "invalid",
    [
        pytest.param("54362315Z", id="wrong check letter"),
        pytest.param("X1234567X", id="NIE with wrong check letter"),
        pytest.param("1234567Z", id="seven digits"),
        pytest.param("123456789Z", id="nine digits"),
        pytest.param("12345678", id="no letter"),
        pytest.param("A1234567L", id="unknown NIE prefix"),
        pytest.param("ABCDEFGHZ", id="letters"),
    ],
)
def test_an_invalid_id_number_names_the_field_and_the_check_letter(invalid: str) -> None:
    assert _field_errors(lambda: id_number(invalid)) == [FieldError("id_number", "id_number_letter")]


@pytest.mark.parametrize("missing", [None, 12345678, ["12345678Z"], "", "   "])
def test_a_missing_or_non_text_id_number_asks_for_one(missing: object) -> None:
    assert _field_errors(lambda: id_number(missing)) == [FieldError("id_number", "id_number_format")]


def test_the_error_names_the_field_the_caller_gives() -> None:
    errors = _field_errors(lambda: id_number("54362315Z", field="representative_id"))

    assert [e.field for e in errors] == ["representative_id"]


# --- destinations ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("anna@example.cat", "anna@example.cat"),
        ("Anna.Puig@Example.CAT", "anna.puig@example.cat"),
        ("  anna@example.cat\n", "anna@example.cat"),
        ("anna+cita@correu.ajuntament.example.cat", "anna+cita@correu.ajuntament.example.cat"),
    ],
)
def test_an_email_address_is_kept_lower_case_and_trimmed(typed: str, kept: str) -> None:
    assert destination(Channel.EMAIL, typed) == kept


@pytest.mark.parametrize(
    "invalid",
    [
        pytest.param("anna", id="no at"),
        pytest.param("anna@", id="no domain"),
        pytest.param("@example.cat", id="no local part"),
        pytest.param("anna@example", id="no dot in domain"),
        pytest.param("anna@example.", id="trailing dot"),
        pytest.param("anna puig@example.cat", id="space"),
        pytest.param("anna@-example.cat", id="domain starts with hyphen"),
        pytest.param("anna@example.cat\nBcc: x@evil.example", id="header injection"),
        pytest.param("a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63, id="over 254 characters"),
        pytest.param("600000000", id="a phone number"),
    ],
)
def test_an_invalid_email_address_is_refused(invalid: str) -> None:
    assert _field_errors(lambda: destination(Channel.EMAIL, invalid)) == [FieldError("destination", "email")]


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        pytest.param("600000000", "+34600000000", id="Spanish mobile without prefix"),
        pytest.param("712 345 678", "+34712345678", id="7xx mobile with spaces"),
        pytest.param("+34 600-00-00-00", "+34600000000", id="with +34 and hyphens"),
        pytest.param("(+34) 600 00 00 00", "+34600000000", id="parentheses"),
        pytest.param("0034 600 000 000", "+34600000000", id="0034 prefix"),
        pytest.param("0034600000000", "+34600000000", id="0034 prefix, no spaces"),
        pytest.param("+44 7700 900123", "+447700900123", id="foreign number"),
        pytest.param("00447700900123", "+447700900123", id="foreign number with 00"),
    ],
)
def test_a_mobile_number_becomes_e164(typed: str, e164: str) -> None:
    assert destination(Channel.SMS, typed) == e164


@pytest.mark.parametrize(
    "invalid",
    [
        pytest.param("60000", id="too short"),
        pytest.param("60000000", id="eight digits"),
        pytest.param("+3460000", id="too short with prefix"),
        pytest.param("+1234567890123456", id="over 15 digits"),
        pytest.param("6000000ab", id="letters"),
        pytest.param("600 ABC 000", id="letters inside"),
        pytest.param("34600000000", id="country code without + or 00"),
        pytest.param("500000000", id="not a Spanish mobile or landline prefix"),
        pytest.param("6+00000000", id="plus inside"),
        pytest.param("", id="empty"),
    ],
)
def test_an_invalid_phone_number_is_refused(invalid: str) -> None:
    assert _field_errors(lambda: destination(Channel.SMS, invalid)) == [FieldError("destination", "mobile")]


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("raw", [None, 600000000, {"to": "anna@example.cat"}])
def test_a_destination_that_is_not_text_is_refused(channel: Channel, raw: object) -> None:
    assert _field_errors(lambda: destination(channel, raw)) == [FieldError("destination", "text")]


def test_a_destination_error_names_the_field_the_caller_gives() -> None:
    errors = _field_errors(lambda: destination(Channel.SMS, "12", field="notify_to"))

    assert [e.field for e in errors] == ["notify_to"]


# --- what a screen may show -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("+34600001234", "****1234"),
        ("anna@example.cat", "****.cat"),
        ("12345678Z", "****678Z"),
    ],
)
def test_only_the_last_four_characters_are_shown(value: str, shown: str) -> None:
    # only the last four characters are shown; four stars stand for the rest, whatever its length
    assert masked(value) == shown
