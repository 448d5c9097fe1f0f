"""Contract of the council's registers (Registers): the in-memory fake and DynamoRegisters on moto alike."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.adapters.dynamo.models import LedgerItem, PersonItem
from chalicelib.services.ports import Registers
from tests.api.tables import both, dev_table
from tests.fakes import InMemoryRegisters

PEOPLE: list[dict[str, Any]] = [
    {"person_id": "P2", "id_number": "87654321X", "household_id": "H1", "name": "Pau", "born": "1990-01-02"},
    {"person_id": "P1", "id_number": "12345678Z", "household_id": "H1", "name": "Laia", "authorises": True},
    {"person_id": "P3", "id_number": "11111111H", "household_id": "H2", "name": "Jan", "moved_out": None},
]
LEDGER: list[dict[str, Any]] = [
    {"taxpayer_id": "12345678Z", "item_id": "RCPT#2025#IBI", "amount_cents": 45000, "paid": False},
    {"taxpayer_id": "12345678Z", "item_id": "OBJ#IBI#1", "address": "C/ Major, 1", "share": 0.5},
    {"taxpayer_id": "87654321X", "item_id": "DEBT#1", "amount_cents": 1200},
]


def _dynamodb() -> Registers:
    from tests.api.tables import dev_container

    for row in PEOPLE:
        dev_table(PersonItem, "padron")(**row).save()
    for row in LEDGER:
        dev_table(LedgerItem, "tax-ledger")(**row).save()
    return dev_container().registers


@pytest.fixture(params=["memory", "dynamodb"])
def registers(request: pytest.FixtureRequest) -> Iterator[Registers]:
    yield from both(request, lambda: InMemoryRegisters(PEOPLE, LEDGER), lambda _: _dynamodb())


def test_a_person_is_found_by_id_number(registers: Registers) -> None:
    assert registers.person("12345678Z") == PEOPLE[1]
    assert registers.person("00000000T") is None


def test_a_household_lists_its_people_by_person_id(registers: Registers) -> None:
    assert registers.household("H1") == [PEOPLE[1], PEOPLE[0]]
    assert registers.household("H2") == [{k: v for k, v in PEOPLE[2].items() if v is not None}]
    assert registers.household("H9") == []


def test_a_taxpayers_ledger_comes_in_item_order_with_numbers_as_numbers(registers: Registers) -> None:
    assert registers.ledger("12345678Z") == [LEDGER[1], LEDGER[0]]
    assert registers.ledger("00000000T") == []
