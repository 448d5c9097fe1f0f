"""Instalment plans (fraccionamiento; LGT art. 65, RGR arts. 44-54): the schedule, its interest and its guarantee.

The rules are configuration (``chalicelib/config/instalments.json``): minimum debt, bands of amount → maximum months,
minimum fraction, guarantee threshold and margin, interest rates per year, due days. A plan pays the debt in monthly
fractions on the 5th or the 20th; a due date on a weekend or holiday moves to the next working day.

Interest of fraction k (DOMAIN.md): ``I_k = F_k · r · d_k / 365``, d_k = days from the end of the voluntary period to
the fraction's (moved) due date; when the rate changes, the days are split by calendar year, each year at its own rate,
and the sum is rounded once to cents, half up. r is the interés de demora, or the interés legal del dinero when the
taxpayer offers a bank guarantee (aval). Arithmetic is exact (fractions of integers), never binary floating point.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction as Exact
from pathlib import Path
from typing import Any

from chalicelib.domain.calendar import HolidayCalendar
from chalicelib.domain.errors import FieldError, ValidationFailed

RULES_FILE = Path(__file__).resolve().parents[1] / "config" / "instalments.json"
GUARANTEES = ("none", "aval")
_DAYS_PER_YEAR = 365  # DOMAIN.md's formula divides by 365 in leap years too
_MAX_SHIFT_DAYS = 31  # a due date never moves further than this to reach a working day


@dataclass(frozen=True)
class InstalmentRules:
    minimum_cents: int
    bands: tuple[tuple[int | None, int], ...]  # (up to this amount inclusive, or None = no limit; maximum months)
    min_fractions: int
    min_fraction_cents: int
    guarantee_threshold_cents: int  # a plan for more than this needs a guarantee
    guarantee_margin_percent: Decimal  # the guarantee covers debt + interest + this share of both
    due_days: tuple[int, ...]
    demora_rates: Mapping[int, Decimal]  # year → percent per year (interés de demora)
    legal_rates: Mapping[int, Decimal]  # year → percent per year (interés legal del dinero)
    unverified_years: frozenset[int]  # years whose rates are carried forward, not yet checked against the law

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> InstalmentRules:
        bands = tuple((b["up_to_cents"], int(b["max_months"])) for b in raw["bands"])
        limits = [limit for limit, _ in bands]
        if not bands or limits[-1] is not None or None in limits[:-1]:
            raise ValueError("instalment bands: only the last band may (and must) have no upper limit")
        if limits[:-1] != sorted(limits[:-1]) or len(set(limits)) != len(limits):
            raise ValueError("instalment bands must be in increasing order of amount")
        due_days = tuple(int(d) for d in raw["due_days"])
        if not due_days or not all(1 <= d <= 28 for d in due_days):
            raise ValueError("instalment due days must be days 1 to 28 (every month has them)")
        rules = cls(
            minimum_cents=int(raw["minimum_cents"]),
            bands=bands,
            min_fractions=int(raw["min_fractions"]),
            min_fraction_cents=int(raw["min_fraction_cents"]),
            guarantee_threshold_cents=int(raw["guarantee_threshold_cents"]),
            guarantee_margin_percent=Decimal(raw["guarantee_margin_percent"]),
            due_days=due_days,
            demora_rates={int(y): Decimal(r) for y, r in raw["rates"]["demora"].items()},
            legal_rates={int(y): Decimal(r) for y, r in raw["rates"]["legal"].items()},
            unverified_years=frozenset(int(y) for y in raw.get("unverified_years", ())),
        )
        if any(r < 0 for r in (*rules.demora_rates.values(), *rules.legal_rates.values())):
            raise ValueError("interest rates cannot be negative")
        return rules

    @classmethod
    def load(cls, path: Path = RULES_FILE) -> InstalmentRules:
        return cls.parse(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    @functools.cache
    def current(cls) -> InstalmentRules:
        """The council's rules file, read once per process (it changes only with a deployment)."""
        return cls.load()

    def max_months(self, amount_cents: int) -> int:
        for limit, months in self.bands:
            if limit is None or amount_cents <= limit:
                return months
        raise AssertionError("the last band has no limit")  # parse() guarantees it

    def rates(self, guarantee: str) -> Mapping[int, Decimal]:
        return self.legal_rates if guarantee == "aval" else self.demora_rates


@dataclass(frozen=True)
class Fraction:
    due: date
    principal_cents: int
    interest_cents: int
    total_cents: int


@dataclass(frozen=True)
class Plan:
    items: tuple[Fraction, ...]
    interest_cents: int
    total_cents: int
    guarantee_required: bool
    guarantee_cents: int  # what the guarantee must cover; 0 when none is required or offered


def working_days(calendar: HolidayCalendar) -> Callable[[date], bool]:
    """Monday to Friday except the calendar's holidays (Saturdays are non-working days for administrations)."""
    return lambda day: day.weekday() < 5 and not calendar.is_holiday(day)


@dataclass(frozen=True, slots=True)
class InstalmentRequest:
    """What a citizen asks for: ``amount_cents`` in ``fractions`` monthly payments from ``first_due`` (on
    ``day_of_month``), the debts' voluntary period having ended on ``voluntary_period_end``, with a ``guarantee``."""

    amount_cents: int
    fractions: int
    voluntary_period_end: date
    first_due: date
    day_of_month: int
    guarantee: str


def plan(request: InstalmentRequest, rules: InstalmentRules, is_working_day: Callable[[date], bool]) -> Plan:
    """The schedule of ``fractions`` monthly payments of ``amount_cents`` from ``first_due`` (nominal, on
    ``day_of_month``), or ValidationFailed naming every broken rule at once.

    Principal: the amount split evenly; the cents left over go to the **last** fraction.
    """
    _check(request, rules)
    amount_cents, fractions, first_due = request.amount_cents, request.fractions, request.first_due
    voluntary_period_end, guarantee = request.voluntary_period_end, request.guarantee
    dues = [_next_working_day(_add_months(first_due, k), is_working_day) for k in range(fractions)]
    rates = rules.rates(guarantee)
    _check_rates(rates, voluntary_period_end, dues[-1])
    base = amount_cents // fractions
    principals = [base] * (fractions - 1) + [amount_cents - base * (fractions - 1)]
    items = []
    for due, principal in zip(dues, principals, strict=True):
        interest = _interest(principal, voluntary_period_end, due, rates)
        items.append(Fraction(due, principal, interest, principal + interest))
    interest_cents = sum(item.interest_cents for item in items)
    required = amount_cents > rules.guarantee_threshold_cents
    guarantee_cents = 0
    if required or guarantee == "aval":
        covered = amount_cents + interest_cents
        guarantee_cents = _half_up(covered * (1 + Exact(rules.guarantee_margin_percent) / 100))
    return Plan(tuple(items), interest_cents, amount_cents + interest_cents, required, guarantee_cents)


def _check(request: InstalmentRequest, rules: InstalmentRules) -> None:
    amount_cents, fractions, first_due = request.amount_cents, request.fractions, request.first_due
    day_of_month, guarantee = request.day_of_month, request.guarantee
    errors: list[FieldError] = []
    amount_ok = _is_int(amount_cents) and amount_cents >= rules.minimum_cents
    if not amount_ok:
        errors.append(FieldError("amount_cents", "at_least", minimum=_euros(rules.minimum_cents)))
    if not _is_int(fractions) or fractions < rules.min_fractions:
        errors.append(FieldError("fractions", "at_least", minimum=rules.min_fractions))
    elif amount_ok:
        months = rules.max_months(amount_cents)
        if fractions > months:
            errors.append(FieldError("fractions", "fraction_count", months=months, amount=_euros(amount_cents)))
        elif amount_cents // fractions < rules.min_fraction_cents:
            errors.append(FieldError("fractions", "fraction_minimum", minimum=_euros(rules.min_fraction_cents)))
    day_ok = _is_int(day_of_month) and day_of_month in rules.due_days
    if not day_ok:
        errors.append(FieldError("day_of_month", "one_of", choices=", ".join(str(d) for d in rules.due_days)))
    if first_due <= request.voluntary_period_end:
        errors.append(FieldError("first_due", "after_voluntary_period"))
    elif day_ok and first_due.day != day_of_month:
        errors.append(FieldError("first_due", "due_day", day=day_of_month))
    if guarantee not in GUARANTEES:
        errors.append(FieldError("guarantee", "one_of", choices=", ".join(GUARANTEES)))
    elif amount_ok and guarantee == "none" and amount_cents > rules.guarantee_threshold_cents:
        limit = _euros(rules.guarantee_threshold_cents)
        errors.append(FieldError("guarantee", "guarantee_required", limit=limit))
    if errors:
        raise ValidationFailed(errors)


def _check_rates(rates: Mapping[int, Decimal], start: date, last_due: date) -> None:
    missing = [year for year in range(start.year, last_due.year + 1) if year not in rates]
    if not missing:
        return
    if missing[0] < min(rates, default=missing[0] + 1):
        raise ValidationFailed([FieldError("voluntary_period_end", "no_interest_rate", year=missing[0])])
    raise ValidationFailed([FieldError("fractions", "no_interest_rate_yet", year=missing[0])])


def _interest(principal_cents: int, start: date, due: date, rates: Mapping[int, Decimal]) -> int:
    """I = F · Σ_year(r_year · days in that year) / 365, days counted in (start, due], rounded half up."""
    rate_days = Exact(0)
    for year in range(start.year, due.year + 1):
        from_day = max(start, date(year - 1, 12, 31))
        to_day = min(due, date(year, 12, 31))
        rate_days += Exact(rates[year]) * (to_day - from_day).days
    return _half_up(principal_cents * rate_days / (100 * _DAYS_PER_YEAR))


def _half_up(value: Exact) -> int:
    return int((value + Exact(1, 2)) // 1)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)  # due days ≤ 28 exist in every month


def _next_working_day(day: date, is_working_day: Callable[[date], bool]) -> date:
    for shift in range(_MAX_SHIFT_DAYS + 1):
        candidate = day + timedelta(days=shift)
        if is_working_day(candidate):
            return candidate
    raise ValueError(f"no working day within {_MAX_SHIFT_DAYS} days of {day}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _euros(cents: int) -> str:
    return f"{cents / 100:,.2f} €"
