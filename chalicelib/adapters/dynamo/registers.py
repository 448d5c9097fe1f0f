"""The council's registers on DynamoDB: the padrón (people, households) and the tax ledger.

In production these would be other adapters of the same ports (e.g. the padrón service of Catalonia's consortium);
locally and in tests they are tables holding the fictional seed data. Reads only: who read what, and why, is the
use case's audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.adapters.dynamo.errors import unavailable
from chalicelib.adapters.dynamo.models import LedgerItem, OpenItem, PersonItem


class DynamoRegisters:
    def __init__(self, padron: type[PersonItem], ledger: type[LedgerItem]) -> None:
        self._padron = padron
        self._ledger = ledger

    def person(self, id_number: str) -> dict[str, Any] | None:
        found = _read(self._padron.by_id_number.query(id_number))
        return found[0] if found else None

    def household(self, household_id: str) -> list[dict[str, Any]]:
        return _read(self._padron.by_household.query(household_id))

    def ledger(self, taxpayer_id: str) -> list[dict[str, Any]]:
        return _read(self._ledger.query(taxpayer_id))


def _read(items: Iterable[OpenItem]) -> list[dict[str, Any]]:
    with unavailable("The council's register could not be read."):
        return [item.as_dict() for item in items]
