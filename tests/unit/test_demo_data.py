"""The dev stage's demo data: invented but realistic people, taxes, services and staff, the same on every run."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date
from typing import Any

import pytest
from stdnum.es import dni, nie

from chalicelib.adapters.dynamo.catalogue import office_from_document, service_from_document
from chalicelib.domain.procedures import REGISTRY
from chalicelib.texts import LANGUAGES
from dev.seed import DEMO, padron, tax_ledger

TODAY = date(2026, 11, 1)  # the date padron() ages people against by default
TEXTBOOK_DNI = "12345678Z"


@pytest.fixture(scope="module")
def people() -> list[dict[str, Any]]:
    return padron()


@pytest.fixture(scope="module")
def ledger(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return tax_ledger(people)


def _demo(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEMO / name).read_text(encoding="utf-8"))
    return data


def _age(person: dict[str, Any]) -> int:
    born = date.fromisoformat(person["birth_date"])
    return TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))


def test_the_padron_has_enough_people_in_households(people: list[dict[str, Any]]) -> None:
    sizes = Counter(p["household_id"] for p in people)

    assert len(people) >= 50
    assert len(sizes) >= 10
    assert all(1 <= size <= 5 for size in sizes.values())
    assert len({p["person_id"] for p in people}) == len(people)


def test_every_id_number_is_valid_and_unique(people: list[dict[str, Any]]) -> None:
    numbers = [p["id_number"] for p in people]

    assert len(set(numbers)) == len(numbers)
    for person in people:
        check = dni if person["id_type"] == "DNI" else nie
        assert person["id_type"] in ("DNI", "NIE")
        assert check.is_valid(person["id_number"]), person["id_number"]


def test_id_numbers_come_from_fictional_ranges(people: list[dict[str, Any]]) -> None:
    for person in people:
        number = person["id_number"]
        assert number == TEXTBOOK_DNI or number.startswith("99" if person["id_type"] == "DNI" else "Y99"), number


def test_there_are_citizens_with_a_dni_and_with_a_nie(people: list[dict[str, Any]]) -> None:
    assert {p["id_type"] for p in people} == {"DNI", "NIE"}


def test_the_demo_citizen_announced_by_the_banner_is_registered(people: list[dict[str, Any]]) -> None:
    assert people[0]["id_number"] == TEXTBOOK_DNI


def test_the_same_people_on_every_run(people: list[dict[str, Any]], ledger: list[dict[str, Any]]) -> None:
    again = padron()

    assert again == people
    assert tax_ledger(again) == ledger


def test_every_household_has_an_adult(people: list[dict[str, Any]]) -> None:
    adults: dict[str, int] = defaultdict(int)
    for person in people:
        adults[person["household_id"]] += _age(person) >= 18

    assert all(count >= 1 for count in adults.values())
    assert set(adults) == {p["household_id"] for p in people}


def test_household_members_share_the_address(people: list[dict[str, Any]]) -> None:
    addresses: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for person in people:
        addresses[person["household_id"]].append(person["address"])

    for household in addresses.values():
        assert all(address == household[0] for address in household)


def test_ledger_items_belong_to_adults_of_the_padron(
    people: list[dict[str, Any]], ledger: list[dict[str, Any]]
) -> None:
    by_number = {p["id_number"]: p for p in people}

    assert ledger
    for item in ledger:
        assert item["taxpayer_id"] in by_number, item
        assert _age(by_number[item["taxpayer_id"]]) >= 18


def test_ledger_keys_are_unique(ledger: list[dict[str, Any]]) -> None:
    keys = [(item["taxpayer_id"], item["item_id"]) for item in ledger]

    assert len(set(keys)) == len(keys)


def test_receipts_refer_to_the_taxpayers_own_tax_objects(ledger: list[dict[str, Any]]) -> None:
    objects = {(i["taxpayer_id"], i["item_id"]) for i in ledger if i["kind"] == "tax_object"}

    for receipt in (i for i in ledger if i["kind"] == "receipt"):
        assert (receipt["taxpayer_id"], receipt["object"]) in objects


def test_amounts_are_positive_whole_cents(ledger: list[dict[str, Any]]) -> None:
    for item in ledger:
        if item["kind"] == "receipt":
            assert type(item["amount_cents"]) is int
            assert item["amount_cents"] > 0
        if item["kind"] == "debt":
            assert type(item["principal_cents"]) is int
            assert item["principal_cents"] > 0
            assert type(item["surcharge_cents"]) is int
            assert item["surcharge_cents"] >= 0


def test_the_ledger_has_receipts_and_debts(ledger: list[dict[str, Any]]) -> None:
    kinds = Counter(item["kind"] for item in ledger)

    assert kinds["tax_object"] > 0
    assert kinds["receipt"] > 0
    assert kinds["debt"] > 0


def test_every_debt_has_a_ten_digit_document_number(ledger: list[dict[str, Any]]) -> None:
    for debt in (i for i in ledger if i["kind"] == "debt"):
        number = debt["document_number"]
        assert len(number) == 10
        assert number.isascii()
        assert number.isdigit()


def test_the_demo_catalogue_offers_the_procedures_the_app_runs() -> None:
    services = _demo("catalogue.json")["services"]
    ids = [s["id"] for s in services]

    assert len(services) >= 6
    assert len(set(ids)) == len(ids)
    assert {"residence-certificate", "payment-letter", "direct-debit", "instalment-plan"} <= set(ids)


def test_the_demo_catalogue_parses_in_the_three_languages() -> None:
    catalogue = _demo("catalogue.json")
    offices = [office_from_document(o["id"], o) for o in catalogue["offices"]]

    services = [service_from_document(s["id"], s) for s in catalogue["services"]]

    assert {o.id for o in offices} == {"OMAC", "OGAT"}
    assert [o.kinds for o in offices] == [frozenset(), frozenset({"tax"})]
    for raw, service in zip(catalogue["services"], services, strict=True):
        assert set(raw["name"]) == set(raw["description"]) == set(LANGUAGES)
        assert service.active


def test_the_demo_catalogue_is_what_an_administrator_may_write() -> None:
    """The demo is loaded through the back office's use cases: every office and service passes its validation."""
    from chalicelib.api.commands import office_change, service_change

    catalogue = _demo("catalogue.json")
    offices = {o["id"]: office_change(o).command().office for o in catalogue["offices"]}
    for raw in catalogue["services"]:
        service = service_change(raw).command().service
        assert service.office in offices
        procedure = REGISTRY.get(service.procedure) if service.procedure else None
        assert procedure is None or procedure.office_kinds <= offices[service.office].kinds, service.id


def test_the_demo_staff_covers_every_role() -> None:
    staff = _demo("staff.json")["staff"]
    held = {(role, member["office"] if role == "agent" else None) for member in staff for role in member["roles"]}

    assert {("agent", "OMAC"), ("agent", "OGAT"), ("supervisor", None), ("auditor", None), ("admin", None)} <= held
    assert len({m["username"] for m in staff}) == len(staff)
    assert all(m["email"].endswith(".example") for m in staff)


def test_agents_work_only_when_their_office_is_open() -> None:
    hours = {o["id"]: o["opening_hours"] for o in _demo("catalogue.json")["offices"]}

    for member in _demo("staff.json")["staff"]:
        for office, week in member["schedule"].items():
            assert office == member["office"], member["username"]
            for weekday, shifts in week.items():
                open_spans = hours[office].get(weekday, [])
                for start, end in shifts:
                    assert any(o_start <= start < end <= o_end for o_start, o_end in open_spans), (
                        member["username"],
                        weekday,
                        start,
                    )


def test_every_demo_citizen_is_an_adult_of_the_padron(people: list[dict[str, Any]]) -> None:
    """The people the demo signs in as (eID, the calls happening now) exist in the padrón, under their own name,
    and are of age: a toddler does not book a video call or sign a direct debit."""
    from dev.calls_now import DEMO_CALLS

    by_id = {p["id_number"]: p for p in people}
    demo: dict[str, str] = {p["identifier"]: p["name"] for p in _demo("eid_people.json")["people"]}
    demo.update({id_number: name.split()[0] for _, _, id_number, name, _, _ in DEMO_CALLS})
    for id_number, given_name in demo.items():
        person = by_id.get(id_number)
        assert person is not None, id_number
        assert person["given_name"] == given_name, id_number
        assert _age(person) >= 18, (id_number, person["birth_date"])
    for _, _, id_number, name, _, _ in DEMO_CALLS:
        person = by_id[id_number]
        assert name == f"{person['given_name']} {person['surname1']}"
