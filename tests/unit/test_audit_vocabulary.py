"""Every action and purpose the service records has plain words in the SPA's three languages.

The access log and the audit table show an action by its label (web/src/i18n/records/*.json): the list of actions
(``AUDIT_ACTIONS``) must hold everything the code can record, and every entry needs its labels.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.domain.appointments import OUTCOMES
from chalicelib.domain.audit import AUDIT_ACTIONS, AUDIT_PURPOSES
from chalicelib.domain.procedures import REGISTRY
from chalicelib.services.booking import REMINDERS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "chalicelib").rglob("*.py"))
# Every language the SPA has a records catalogue for (a new one is checked without editing this file).
RECORDS = {path.stem: json.loads(path.read_text()) for path in sorted((ROOT / "web/src/i18n/records").glob("*.json"))}
# A dotted word of one of the families audit actions belong to, as a literal in the code.
ACTION_LITERAL = re.compile(
    r"\"((?:auth|appointment|call|recording|record|document|attachment|register|audit|procedure|stats|staff|waitlist|offer|link)\.[a-z_0-9.]+)\""
)


def test_every_action_literal_in_the_code_is_listed() -> None:
    found = {match for path in SOURCES for match in ACTION_LITERAL.findall(path.read_text(encoding="utf-8"))}

    assert found - AUDIT_ACTIONS == set()


def test_the_action_families_built_from_variables_are_listed() -> None:
    families = {
        *(f"procedure.{kind}" for kind in REGISTRY),
        *(f"appointment.outcome.{status.value}" for status in OUTCOMES),
        *(f"appointment.reminder.{which}" for which, _ in REMINDERS),
        # The room events the calls service keeps in the trail (CallService._audit_report).
        *("call.waiting", "call.admitted", "call.ended", "recording.complete", "recording.failed"),
    }

    assert families - AUDIT_ACTIONS == set()


def test_every_fixed_purpose_is_listed() -> None:
    literals = {
        match for path in SOURCES for match in re.findall(r'purpose="([^"]+)"', path.read_text(encoding="utf-8"))
    }
    procedures = {procedure.purpose for procedure in REGISTRY.values()}

    assert (literals | procedures) - AUDIT_PURPOSES == set()


@pytest.mark.parametrize("language", sorted(RECORDS))
def test_every_action_and_purpose_has_words_in_each_language(language: str) -> None:
    catalogue = RECORDS[language]
    keys = {
        *(f"access.action.{action}" for action in AUDIT_ACTIONS),
        *(f"audit.act.{action}" for action in AUDIT_ACTIONS),
        *(f"purpose.{purpose.replace(' ', '_')}" for purpose in AUDIT_PURPOSES),
        "access.action.unknown",
        "audit.act.unknown",
        "purpose.stated",
    }

    assert sorted(k for k in keys if not catalogue.get(k, "").strip()) == []
    # No label is the code it stands for.
    assert [a for a in AUDIT_ACTIONS if a in (catalogue[f"access.action.{a}"], catalogue[f"audit.act.{a}"])] == []


def test_the_records_catalogues_are_found() -> None:
    assert {"ca", "es", "en"} <= RECORDS.keys()
