"""Retention rules: how long documents and call recordings are kept, and a configuration that cannot be misread."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.procedures import REGISTRY
from chalicelib.domain.retention import CONFIG, Period, RetentionConfigError, RetentionRules

RAW: dict[str, Any] = json.loads(CONFIG.read_text(encoding="utf-8"))
CALL = datetime(2025, 3, 10, 11, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules() -> RetentionRules:
    return RetentionRules.load()


def test_every_procedure_type_has_a_retention(rules: RetentionRules) -> None:
    assert (
        set(rules.procedures)
        == set(REGISTRY)
        == {
            "residence_certificate",
            "payment_letter",
            "direct_debit",
            "instalment_plan",
        }
    )


def test_a_call_with_no_procedure_is_kept_for_the_default(rules: RetentionRules) -> None:
    assert rules.recording_until(CALL, []) == datetime(2025, 4, 9, 11, 30, tzinfo=UTC)


def test_what_a_service_tells_citizens_is_what_the_sweep_keeps(rules: RetentionRules) -> None:
    for procedure in ("residence_certificate", "payment_letter", "direct_debit", "instalment_plan", None):
        told = rules.of_service(procedure)
        assert told.recording.after(CALL) == rules.recording_until(CALL, [procedure] if procedure else [])
        assert told.documents.after(CALL) == rules.document_until(CALL, procedure)


def test_a_recording_follows_the_longest_retention_of_the_procedures_carried_out_in_the_call(
    rules: RetentionRules,
) -> None:
    certificate = rules.recording_until(CALL, ["residence_certificate"])
    both = rules.recording_until(CALL, ["residence_certificate", "instalment_plan"])
    assert certificate > rules.recording_until(CALL, [])
    assert both == rules.recording_until(CALL, ["instalment_plan"]) > certificate
    assert rules.recording_until(CALL, ["instalment_plan", "residence_certificate"]) == both


def test_tax_documents_outlive_the_four_year_prescription(rules: RetentionRules) -> None:
    for kind in ("payment_letter", "instalment_plan"):
        assert rules.document_until(CALL, kind) >= datetime(2029, 3, 10, 11, 30, tzinfo=UTC)
    # Supporting documents of an appointment without a procedure have their own default.
    assert rules.document_until(CALL, None) == datetime(2026, 3, 10, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        (Period(years=4), datetime(2024, 2, 29, tzinfo=UTC), datetime(2028, 2, 29, tzinfo=UTC)),
        (Period(years=1), datetime(2024, 2, 29, tzinfo=UTC), datetime(2025, 2, 28, tzinfo=UTC)),
        (Period(months=1), datetime(2025, 1, 31, tzinfo=UTC), datetime(2025, 2, 28, tzinfo=UTC)),
        (Period(months=14), datetime(2025, 11, 15, tzinfo=UTC), datetime(2027, 1, 15, tzinfo=UTC)),
        (Period(years=5, months=2, days=3), datetime(2025, 12, 30, tzinfo=UTC), datetime(2031, 3, 3, tzinfo=UTC)),
    ],
)
def test_periods_are_calendar_periods(period: Period, start: datetime, end: datetime) -> None:
    assert period.after(start) == end


def _broken(change: Any) -> str:
    raw = copy.deepcopy(RAW)
    change(raw)
    with pytest.raises(RetentionConfigError) as caught:
        RetentionRules.from_config(raw, REGISTRY)
    return str(caught.value)


def test_a_missing_procedure_type_is_named() -> None:
    message = _broken(lambda raw: raw["procedures"].pop("direct_debit"))
    assert "procedures.direct_debit: missing" in message


def test_a_misspelt_procedure_type_or_unit_is_named() -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["procedures"]["payment_leter"] = raw["procedures"]["payment_letter"]
        raw["procedures"]["payment_letter"]["documents"] = {"yaers": 4}

    message = _broken(change)
    assert "procedures.payment_leter: not a procedure type" in message
    assert "procedures.payment_letter.documents.yaers: unknown setting" in message


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"years": -1}, "recording_default.years: must be a whole number, 0 or more"),
        ({"days": "30"}, "recording_default.days: must be a whole number, 0 or more"),
        ({"days": 1.5}, "recording_default.days: must be a whole number, 0 or more"),
        ({}, "recording_default: must be longer than nothing"),
        (30, "recording_default: must be an object"),
    ],
)
def test_bad_periods_are_refused_with_every_problem_named(value: Any, problem: str) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["recording_default"] = value
        raw["procedures"]["instalment_plan"]["recording"] = {"months": True}

    message = _broken(change)
    assert problem in message
    assert "procedures.instalment_plan.recording.months" in message


def test_the_shipped_configuration_loads_and_comments_are_ignored() -> None:
    raw = copy.deepcopy(RAW)
    raw["_reviewed"] = "2025-03"
    rules = RetentionRules.from_config(raw, REGISTRY)
    assert rules.procedures["payment_letter"].documents == Period(years=4, months=1)
