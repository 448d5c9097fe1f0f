"""The identity check an agent records in a call before issuing a document with personal data.

A one-time code proves only that someone controls an email address or phone: anyone who knows another person's ID
number can sign in with it and their own address. So a document holding personal data (register or tax data) is
issued only when the appointment's citizen identified themselves at the substantial or high level (eID) for that
appointment, or the agent saw their DNI, NIE or passport on camera, compared the photo and the number, and recorded
it here. The basis that applied is stored with the procedure and its documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.domain.catalogue import Assurance


class CheckMethod(StrEnum):
    DNI_SHOWN = "dni_shown"
    NIE_SHOWN = "nie_shown"
    PASSPORT_SHOWN = "passport_shown"


@dataclass(frozen=True)
class IdentityCheck:
    """Who saw which identity document, and when."""

    method: CheckMethod
    by: str  # "staff:<username>"
    at: datetime

    def to_json(self) -> dict[str, str]:
        return {"method": self.method.value, "checked_by": self.by, "checked_at": self.at.isoformat()}

    def to_item(self) -> dict[str, str]:
        return {"method": self.method.value, "by": self.by, "at": self.at.isoformat()}

    @staticmethod
    def from_item(raw: dict[str, Any]) -> IdentityCheck:
        return IdentityCheck(CheckMethod(str(raw["method"])), str(raw["by"]), datetime.fromisoformat(str(raw["at"])))


def identity_basis(citizen_assurance: Assurance, check: IdentityCheck | None) -> dict[str, str] | None:
    """What proves the citizen's identity for this appointment (eID level first), or None when nothing does."""
    if citizen_assurance.satisfies(Assurance.SUBSTANTIAL):
        return {"basis": "eid", "level": citizen_assurance.value}
    if check is not None:
        return {
            "basis": "check",
            "method": check.method.value,
            "checked_by": check.by,
            "checked_at": check.at.isoformat(),
        }
    return None
