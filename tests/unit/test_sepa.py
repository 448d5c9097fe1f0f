"""Direct debit: the debtor's IBAN and bank, the council's creditor identifier, mandate references and the date an
order takes effect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.sepa import bank_of, creditor_identifier, effective_from, iban, mandate_reference


def _errors(call: Callable[[], object]) -> list[FieldError]:
    with pytest.raises(ValidationFailed) as raised:
        call()
    return raised.value.errors


# --- IBAN ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["ES9121000418450200051332", "es91 2100 0418 4502 0005 1332", " ES91-2100-0418-4502-0005-1332 "],
)
def test_a_valid_spanish_iban_is_kept_compact(typed: str) -> None:
    assert iban(typed) == "ES9121000418450200051332"


def test_an_account_elsewhere_in_the_sepa_area_is_accepted() -> None:
    assert iban("DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"


def test_a_mistyped_iban_fails_its_check_digits() -> None:
    assert _errors(lambda: iban("ES1212341234161234567890")) == [FieldError("iban", "iban_check")]


def test_a_spanish_iban_with_wrong_ccc_digits_is_rejected_even_when_mod_97_holds() -> None:
    # ES91 2100 0418 45 … with the CCC's "45" changed to "46" and the IBAN check digits recomputed (mod 97 holds).
    assert _errors(lambda: iban("ES2921000418460200051332")) == [FieldError("iban", "iban_ccc")]


def test_an_account_outside_the_sepa_area_is_rejected() -> None:
    assert _errors(lambda: iban("BR1800360305000010009795493C1")) == [FieldError("iban", "iban_sepa")]


@pytest.mark.parametrize("value", ["", "   ", None, 12345])
def test_a_missing_iban_is_named_with_the_callers_field(value: object) -> None:
    assert [e.field for e in _errors(lambda: iban(value, field="data.iban"))] == ["data.iban"]


def test_bank_and_bic_come_from_the_iban() -> None:
    assert bank_of("ES9121000418450200051332") == ("CAIXABANK, S.A.", "CAIXESBB")


def test_a_bank_the_registry_does_not_know_gives_nothing() -> None:
    # Bank code 9999 with valid CCC and IBAN digits.
    assert bank_of("ES7899990001410123456789") == (None, None)


# --- creditor identifier (AT-02) --------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["ES23ZZZ47690558N", "es 23 zzz 47690558n"])
def test_a_valid_creditor_identifier(typed: str) -> None:
    assert creditor_identifier(typed) == "ES23ZZZ47690558N"


def test_the_business_code_is_not_part_of_the_check() -> None:
    assert creditor_identifier("ES2300147690558N") == "ES2300147690558N"


@pytest.mark.parametrize("bad", ["ES24ZZZ47690558N", "ES23ZZZ47690558", "", "ZZZ47690558N"])
def test_a_wrong_creditor_identifier(bad: str) -> None:
    assert [e.field for e in _errors(lambda: creditor_identifier(bad))] == ["creditor_identifier"]


def test_a_spanish_creditor_identifier_must_embed_a_valid_nif() -> None:
    # Check digits right for "12345678A", whose NIF letter is wrong (12345678Z).
    assert _errors(lambda: creditor_identifier("ES54ZZZ12345678A")) == [
        FieldError("creditor_identifier", "creditor_nif")
    ]


# --- mandate reference ------------------------------------------------------------------------------------------------


def test_mandate_reference_joins_prefix_and_unique_part() -> None:
    assert mandate_reference("OGAT-DD", "2026-000123") == "OGAT-DD-2026-000123"


def test_the_longest_mandate_reference() -> None:
    assert len(mandate_reference("P", "X" * 33)) == 35


@pytest.mark.parametrize(
    ("prefix", "unique"),
    [
        ("P", "X" * 34),  # 36 characters
        ("OGAT", ""),
        ("OGAT", "ÑANDÚ"),  # outside the SEPA Latin subset
        ("OGAT", "a_b"),
        ("", "//0001"),
        ("", "/0001"),
        ("OGAT", "0001/"),
        ("OGAT", "00//01"),
        ("OGAT", "0001 "),
    ],
)
def test_invalid_mandate_references(prefix: str, unique: str) -> None:
    with pytest.raises(ValueError, match="mandate reference"):
        mandate_reference(prefix, unique)


# --- effective date (RGR art. 25: two months before the collection period) --------------------------------------------

PERIODS = [(date(2026, 9, 1), date(2026, 11, 30)), (date(2026, 3, 1), date(2026, 5, 31))]


def test_an_order_two_months_before_the_period_applies_to_it() -> None:
    assert effective_from(date(2026, 1, 1), PERIODS) == date(2026, 3, 1)


def test_an_order_later_than_that_waits_for_the_next_period() -> None:
    assert effective_from(date(2026, 1, 2), PERIODS) == date(2026, 9, 1)
    assert effective_from(date(2026, 4, 15), PERIODS) == date(2026, 9, 1)


def test_two_months_before_the_end_of_a_month_is_that_months_last_day() -> None:
    periods = [(date(2026, 4, 30), date(2026, 6, 30)), (date(2026, 10, 30), date(2026, 12, 30))]

    assert effective_from(date(2026, 2, 28), periods) == date(2026, 4, 30)
    assert effective_from(date(2026, 3, 1), periods) == date(2026, 10, 30)


def test_no_known_period_far_enough_ahead() -> None:
    assert [e.field for e in _errors(lambda: effective_from(date(2026, 7, 2), PERIODS))] == ["collection_periods"]
