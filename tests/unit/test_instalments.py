"""Instalment plans: the schedule, interest per fraction and year, the guarantee, and every rule a request can break."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.calendar import HolidayCalendar
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.instalments import RULES_FILE, InstalmentRequest, InstalmentRules, Plan, plan, working_days


def weekdays(day: date) -> bool:
    return day.weekday() < 5


def every_day(day: date) -> bool:
    return True


@pytest.fixture(scope="module")
def rules() -> InstalmentRules:
    return InstalmentRules.load()


def _errors(call: Callable[[], object]) -> list[FieldError]:
    with pytest.raises(ValidationFailed) as raised:
        call()
    return raised.value.errors


def _plan(rules: InstalmentRules, is_working_day: Callable[[date], bool] = weekdays, **overrides: Any) -> Plan:
    arguments: dict[str, Any] = {
        "amount_cents": 120_000,
        "voluntary_period_end": date(2025, 7, 21),
        "fractions": 6,
        "first_due": date(2025, 9, 5),
        "day_of_month": 5,
        "guarantee": "none",
    }
    return plan(InstalmentRequest(**(arguments | overrides)), rules, is_working_day)


# --- DOMAIN.md's worked example ---------------------------------------------------------------------------------------


def test_worked_example(rules: InstalmentRules) -> None:
    result = _plan(rules)

    assert [item.due for item in result.items] == [
        date(2025, 9, 5),
        date(2025, 10, 6),  # 5 October 2025 is a Sunday
        date(2025, 11, 5),
        date(2025, 12, 5),
        date(2026, 1, 5),
        date(2026, 2, 5),
    ]
    assert [item.principal_cents for item in result.items] == [20_000] * 6
    assert [item.interest_cents for item in result.items] == [102, 171, 238, 305, 374, 443]
    assert [item.total_cents for item in result.items] == [20_102, 20_171, 20_238, 20_305, 20_374, 20_443]
    assert result.interest_cents == 1_633
    assert result.total_cents == 121_633
    assert (result.guarantee_required, result.guarantee_cents) == (False, 0)


def test_worked_example_with_the_shipped_holiday_calendar(rules: InstalmentRules) -> None:
    calendar = working_days(HolidayCalendar.load())

    assert _plan(rules, is_working_day=calendar).total_cents == 121_633


def test_a_due_date_on_a_holiday_after_a_weekend_moves_past_both() -> None:
    calendar = working_days(HolidayCalendar.load())

    assert not calendar(date(2026, 4, 5))  # Sunday
    assert not calendar(date(2026, 4, 6))  # Easter Monday (Catalonia)
    assert calendar(date(2026, 4, 7))


def test_holidays_move_due_dates(rules: InstalmentRules) -> None:
    result = _plan(
        rules,
        voluntary_period_end=date(2026, 3, 20),
        first_due=date(2026, 4, 5),
        fractions=3,
        is_working_day=working_days(HolidayCalendar.load()),
    )

    assert [item.due for item in result.items] == [date(2026, 4, 7), date(2026, 5, 5), date(2026, 6, 5)]


# --- principal, interest and rounding ---------------------------------------------------------------------------------


def test_leftover_cents_go_to_the_last_fraction(rules: InstalmentRules) -> None:
    result = _plan(rules, amount_cents=100_000, fractions=3)

    assert [item.principal_cents for item in result.items] == [33_333, 33_333, 33_334]
    assert result.total_cents == 100_000 + result.interest_cents


def _open_rules(rules: InstalmentRules, **changes: Any) -> InstalmentRules:
    """The shipped rules without minimums, so that small exact examples are allowed."""
    return dataclasses.replace(rules, minimum_cents=1, min_fraction_cents=1, **changes)


def test_interest_splits_the_days_by_year_when_the_rate_changes(rules: InstalmentRules) -> None:
    changing = _open_rules(
        rules, demora_rates={2025: Decimal(4), 2026: Decimal(5)}, guarantee_threshold_cents=1_000_000
    )

    result = _plan(
        changing,
        amount_cents=730_000,
        voluntary_period_end=date(2025, 12, 27),
        first_due=date(2026, 1, 5),
        fractions=2,
        is_working_day=every_day,
    )

    # 365,000 cents · (4 % · 4 days of 2025 + 5 % · 5 days of 2026) / 365 = 10 · (16 + 25) cents.
    assert result.items[0].interest_cents == 410
    # Due 5 February: 4 days at 4 % and 36 at 5 % → 10 · (16 + 180).
    assert result.items[1].interest_cents == 1_960


def test_interest_is_rounded_half_up(rules: InstalmentRules) -> None:
    five_percent = _open_rules(rules, demora_rates={2026: Decimal(5)})

    result = _plan(
        five_percent,
        amount_cents=36_500,
        voluntary_period_end=date(2026, 1, 4),
        first_due=date(2026, 1, 5),
        fractions=2,
        is_working_day=every_day,
    )

    # 18,250 cents · 5 % · 1 day / 365 = 2.5 cents → 3 (banker's rounding would give 2).
    assert result.items[0].interest_cents == 3
    assert result.items[1].interest_cents == 80  # 32 days: exactly 80


def test_a_bank_guarantee_applies_the_legal_interest_rate(rules: InstalmentRules) -> None:
    demora = _plan(rules)
    legal = _plan(rules, guarantee="aval")

    assert legal.interest_cents < demora.interest_cents
    # 200.00 € · 3.25 % · 46 days / 365 = 0.819… → 0.82
    assert legal.items[0].interest_cents == 82


def test_above_the_threshold_the_guarantee_covers_debt_interest_and_a_quarter(rules: InstalmentRules) -> None:
    result = _plan(rules, amount_cents=400_000, fractions=12, guarantee="aval")

    assert result.guarantee_required
    covered = 400_000 + result.interest_cents
    assert result.guarantee_cents == (covered * 125 + 50) // 100


def test_a_guarantee_offered_below_the_threshold_is_sized_but_not_required(rules: InstalmentRules) -> None:
    result = _plan(rules, guarantee="aval")

    assert not result.guarantee_required
    assert result.guarantee_cents > result.total_cents


# --- the rules --------------------------------------------------------------------------------------------------------


def test_amount_below_the_minimum(rules: InstalmentRules) -> None:
    assert _errors(lambda: _plan(rules, amount_cents=9_999, fractions=2)) == [
        FieldError("amount_cents", "at_least", minimum="100.00 €")
    ]


@pytest.mark.parametrize(
    ("amount_cents", "months"), [(10_000, 6), (60_000, 6), (60_001, 12), (300_000, 12), (300_001, 18), (600_001, 24)]
)
def test_bands_give_the_maximum_number_of_monthly_fractions(
    rules: InstalmentRules, amount_cents: int, months: int
) -> None:
    open_rules = _open_rules(rules)
    guarantee = "aval" if amount_cents > rules.guarantee_threshold_cents else "none"

    assert len(_plan(open_rules, amount_cents=amount_cents, fractions=months, guarantee=guarantee).items) == months
    errors = _errors(lambda: _plan(open_rules, amount_cents=amount_cents, fractions=months + 1, guarantee=guarantee))
    assert [e.field for e in errors] == ["fractions"]
    assert errors[0].key == "fraction_count"
    assert f"at most {months}" in errors[0].message("en")


def test_a_fraction_below_the_minimum(rules: InstalmentRules) -> None:
    # 100.00 € in 6 fractions is 16.66 € each; the shipped minimum fraction is 30.00 €.
    assert _errors(lambda: _plan(rules, amount_cents=10_000, fractions=6)) == [
        FieldError("fractions", "fraction_minimum", minimum="30.00 €")
    ]


def test_one_fraction_is_not_a_plan(rules: InstalmentRules) -> None:
    assert [e.field for e in _errors(lambda: _plan(rules, fractions=1))] == ["fractions"]


def test_the_first_due_date_must_follow_the_voluntary_period(rules: InstalmentRules) -> None:
    errors = _errors(lambda: _plan(rules, first_due=date(2025, 7, 5)))

    assert errors == [FieldError("first_due", "after_voluntary_period")]


def test_the_first_due_date_must_be_on_the_chosen_day(rules: InstalmentRules) -> None:
    errors = _errors(lambda: _plan(rules, first_due=date(2025, 9, 20)))

    assert errors == [FieldError("first_due", "due_day", day=5)]


def test_due_day_5_or_20(rules: InstalmentRules) -> None:
    assert _errors(lambda: _plan(rules, day_of_month=10, first_due=date(2025, 9, 10))) == [
        FieldError("day_of_month", "one_of", choices="5, 20")
    ]
    assert _plan(rules, day_of_month=20, first_due=date(2025, 9, 20)).items[-1].due == date(2026, 2, 20)


def test_an_unknown_guarantee(rules: InstalmentRules) -> None:
    assert [e.field for e in _errors(lambda: _plan(rules, guarantee="mortgage"))] == ["guarantee"]


def test_above_the_threshold_a_guarantee_is_required(rules: InstalmentRules) -> None:
    errors = _errors(lambda: _plan(rules, amount_cents=300_001, fractions=12))

    assert errors == [FieldError("guarantee", "guarantee_required", limit="3,000.00 €")]


def test_every_broken_rule_is_named_at_once(rules: InstalmentRules) -> None:
    errors = _errors(
        lambda: _plan(rules, amount_cents=5_000, fractions=0, day_of_month=7, first_due=date(2025, 1, 7), guarantee="x")
    )

    assert [e.field for e in errors] == ["amount_cents", "fractions", "day_of_month", "first_due", "guarantee"]


def test_a_voluntary_period_before_the_configured_rates(rules: InstalmentRules) -> None:
    errors = _errors(lambda: _plan(rules, voluntary_period_end=date(2022, 7, 21)))

    assert errors == [FieldError("voluntary_period_end", "no_interest_rate", year=2022)]


def test_a_plan_reaching_a_year_without_a_rate(rules: InstalmentRules) -> None:
    last = max(rules.demora_rates)
    errors = _errors(lambda: _plan(rules, voluntary_period_end=date(last, 7, 21), first_due=date(last, 9, 5)))

    assert errors == [FieldError("fractions", "no_interest_rate_yet", year=last + 1)]


# --- configuration ----------------------------------------------------------------------------------------------------


def test_shipped_rules(rules: InstalmentRules) -> None:
    assert rules.minimum_cents == 10_000
    assert rules.bands == ((60_000, 6), (300_000, 12), (600_000, 18), (None, 24))
    assert rules.guarantee_threshold_cents == 300_000
    assert rules.guarantee_margin_percent == 25
    assert rules.due_days == (5, 20)
    assert all(rules.demora_rates[y] == Decimal("4.0625") for y in (2023, 2024, 2025))
    assert all(rules.legal_rates[y] == Decimal("3.25") for y in (2023, 2024, 2025))
    assert 2026 in rules.unverified_years
    assert not rules.unverified_years & {2023, 2024, 2025}


def _raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    return raw


@pytest.mark.parametrize(
    "bands",
    [
        [{"up_to_cents": 60_000, "max_months": 6}],  # no open-ended last band
        [{"up_to_cents": None, "max_months": 6}, {"up_to_cents": None, "max_months": 12}],
        [
            {"up_to_cents": 300_000, "max_months": 12},
            {"up_to_cents": 60_000, "max_months": 6},
            {"up_to_cents": None, "max_months": 24},
        ],
    ],
)
def test_malformed_bands_fail_at_load(bands: list[dict[str, Any]]) -> None:
    with pytest.raises(ValueError, match="bands"):
        InstalmentRules.parse(_raw() | {"bands": bands})


def test_due_days_must_exist_in_every_month() -> None:
    with pytest.raises(ValueError, match="due days"):
        InstalmentRules.parse(_raw() | {"due_days": [5, 30]})
