"""Demo data for the dev stage: offices, services, staff, and a fictional padrón and tax ledger.

Everything here is invented. Identity numbers come from the 99xxxxxx range (DNI) and Y99xxxxx (NIE), with valid
check letters, plus the textbook example 12345678Z; names are random combinations of common given names and
surnames; the town, streets and cadastral references do not exist. The generator is seeded, so every run
produces the same people.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pynamodb.models import Model
from stdnum.es import dni, nie

from chalicelib.adapters.dynamo.models import LedgerItem, PersonItem, StaffItem, bound
from chalicelib.api.commands import (
    new_staff,
    office_change,
    schedule_change,
    schedule_exception,
    service_change,
)
from chalicelib.bootstrap import Container
from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext
from chalicelib.services.catalogue_admin import CatalogueAdmin, office_record, service_record, system_admin
from chalicelib.services.identity import hash_password
from chalicelib.settings import Settings
from dev.chalice_config import stage_environment
from infra.resources import RESOURCES, physical_name

DEMO = Path(__file__).resolve().parent / "demo"
MUNICIPALITY = "Vilademo"
POSTCODE = "08999"

GIVEN_F = ["Laia", "Marta", "Núria", "Anna", "Júlia", "Carla", "Maria", "Aina", "Rosa", "Montserrat", "Fatima", "Lucía"]
GIVEN_M = ["Jordi", "Pau", "Marc", "Joan", "Arnau", "Pere", "Oriol", "Josep", "Àlex", "Hugo", "Youssef", "Mateo"]
SURNAMES = [
    "Puig",
    "Serra",
    "Vila",
    "Roca",
    "Ferrer",
    "Soler",
    "Font",
    "Casas",
    "Pons",
    "Riera",
    "Vidal",
    "Mas",
    "Camps",
    "Costa",
    "Garcia",
    "Martínez",
    "López",
    "Sánchez",
    "Romero",
    "Navarro",
    "Bosch",
    "Sala",
]
STREETS = [
    "Carrer de l'Om",
    "Carrer del Roure",
    "Avinguda de la Riera",
    "Plaça del Mercat",
    "Carrer dels Til·lers",
    "Passeig del Molí",
    "Carrer de la Font Vella",
    "Carrer del Campanar",
]
NATIONALITIES = ["ES", "ES", "ES", "ES", "ES", "MA", "CO", "RO", "IT"]
EDUCATION = ["primary", "secondary", "vocational", "university"]


@dataclass(frozen=True)
class DemoCounts:
    offices: int
    services: int
    staff: int
    people: int
    households: int
    ledger_items: int


def _dni(rng: random.Random) -> str:
    number = f"99{rng.randrange(0, 1_000_000):06d}"
    return number + dni.calc_check_digit(number)


def _nie(rng: random.Random) -> str:
    body = f"Y99{rng.randrange(0, 100_000):05d}"
    return body + nie.calc_check_digit(body)


def _birth(rng: random.Random, min_age: int, max_age: int, today: date) -> date:
    return today - timedelta(days=rng.randrange(min_age * 365 + 1, max_age * 365))


def padron(seed: int = 2026, households: int = 20, today: date = date(2026, 11, 1)) -> list[dict[str, Any]]:
    """The fictional register: ``households`` homes of one to five people, adults first."""
    rng = random.Random(seed)
    people: list[dict[str, Any]] = []
    used: set[str] = set()
    for h in range(households):
        household_id = f"H{h + 1:03d}"
        family = rng.choice(SURNAMES)
        address = {
            "street": STREETS[h % len(STREETS)],
            "number": str(3 + 2 * h),
            "floor": rng.choice(["", "1r", "2n", "3r"]),
            "door": rng.choice(["", "1a", "2a"]),
            "postcode": POSTCODE,
            "municipality": MUNICIPALITY,
        }
        moved_in = today - timedelta(days=rng.randrange(200, 6000))
        size = rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5])
        for m in range(size):
            adult = m < 2 or size == 1
            female = rng.random() < 0.5
            nationality = rng.choice(NATIONALITIES) if adult else "ES"
            if h == 0 and m == 0:
                id_number, female, nationality = "12345678Z", True, "ES"
            elif nationality == "ES":
                id_number = _dni(rng)
            else:
                id_number = _nie(rng)
            while id_number in used:
                id_number = _dni(rng) if nationality == "ES" else _nie(rng)
            used.add(id_number)
            born = _birth(rng, 19, 88, today) if adult else _birth(rng, 0, 17, today)
            in_town = moved_in - timedelta(days=rng.randrange(0, 3000)) if adult else max(moved_in, born)
            people.append(
                {
                    "person_id": f"P{len(people) + 1:04d}",
                    "id_number": id_number,
                    "id_type": "DNI" if id_number[0].isdigit() else "NIE",
                    "given_name": rng.choice(GIVEN_F if female else GIVEN_M),
                    "surname1": family if m < 1 or not adult else rng.choice(SURNAMES),
                    "surname2": rng.choice(SURNAMES),
                    "sex": "F" if female else "M",
                    "birth_date": born.isoformat(),
                    "birth_place": MUNICIPALITY if nationality == "ES" and rng.random() < 0.5 else "Barcelona",
                    "nationality": nationality,
                    "education_level": rng.choice(EDUCATION) if adult else "none",
                    "household_id": household_id,
                    "address": address,
                    "registered_at_address": max(moved_in, born).isoformat(),
                    "registered_in_municipality": min(in_town, moved_in).isoformat()
                    if adult
                    else max(moved_in, born).isoformat(),
                    # Whether this person authorised showing their data on co-residents' household certificates.
                    "authorises_household_data": rng.random() < 0.6,
                    "history": [
                        {
                            "street": STREETS[(h + 3) % len(STREETS)],
                            "number": str(40 + h),
                            "from": min(in_town, moved_in).isoformat(),
                            "to": moved_in.isoformat(),
                        }
                    ]
                    if adult and in_town < moved_in
                    else [],
                }
            )
    return people


def tax_ledger(people: list[dict[str, Any]], seed: int = 2026) -> list[dict[str, Any]]:
    """Tax objects, receipts and debts of each household's first adult (the property's owner, in this demo)."""
    rng = random.Random(seed + 1)
    items: list[dict[str, Any]] = []
    owners = {p["household_id"]: p for p in reversed(people) if p["birth_date"] < "2008-01-01"}
    for household_id, owner in sorted(owners.items()):
        taxpayer = owner["id_number"]
        cadastral = (
            f"{9000000 + int(household_id[1:]) * 17:07d}DF{rng.randrange(1000, 9999)}N0001{rng.choice('ABCDEFGH')}X"
        )
        obj = {
            "taxpayer_id": taxpayer,
            "item_id": f"OBJ#IBI-{cadastral}",
            "kind": "tax_object",
            "tax": "IBI",
            "tributo": "001",
            "reference": cadastral,
            "address": owner["address"],
            "domiciliation": None,
        }
        items.append(obj)
        base = rng.randrange(28_000, 95_000)
        for year in (2025, 2026):
            status = rng.choice(["paid", "paid", "pending"] if year == 2026 else ["paid", "paid", "paid", "unpaid"])
            items.append(
                {
                    "taxpayer_id": taxpayer,
                    "item_id": f"RCPT#{year}-IBI-{cadastral}",
                    "kind": "receipt",
                    "tax": "IBI",
                    "tributo": "001",
                    "ejercicio": year,
                    "remesa": "01",
                    "object": obj["item_id"],
                    "amount_cents": base + (year - 2025) * 900,
                    "voluntary_start": f"{year}-09-01",
                    "voluntary_end": f"{year}-11-03",
                    "status": status,
                }
            )
            if status == "unpaid":
                principal = base
                items.append(
                    {
                        "taxpayer_id": taxpayer,
                        "item_id": f"DEBT#{year}-IBI-{cadastral}",
                        "kind": "debt",
                        "tax": "IBI",
                        "tributo": "001",
                        "ejercicio": year,
                        "concept": f"IBI {year}",
                        "principal_cents": principal,
                        "surcharge_cents": principal * 20 // 100,
                        "stage": "executive",
                        "voluntary_period_end": f"{year}-11-03",
                        "document_number": f"{rng.randrange(0, 10**10):010d}",
                    }
                )
        if rng.random() < 0.6:
            plate = f"{rng.randrange(1000, 9999)}{''.join(rng.choice('BCDFGHJKLMNPRSTVWXYZ') for _ in range(3))}"
            vehicle = {
                "taxpayer_id": taxpayer,
                "item_id": f"OBJ#IVTM-{plate}",
                "kind": "tax_object",
                "tax": "IVTM",
                "tributo": "002",
                "reference": plate,
                "domiciliation": None,
            }
            items.append(vehicle)
            items.append(
                {
                    "taxpayer_id": taxpayer,
                    "item_id": f"RCPT#2026-IVTM-{plate}",
                    "kind": "receipt",
                    "tax": "IVTM",
                    "tributo": "002",
                    "ejercicio": 2026,
                    "remesa": "01",
                    "object": vehicle["item_id"],
                    "amount_cents": rng.choice([6_830, 14_420, 17_960]),
                    "voluntary_start": "2026-04-01",
                    "voluntary_end": "2026-06-01",
                    "status": rng.choice(["paid", "paid", "pending"]),
                }
            )
        if rng.random() < 0.35:
            principal = rng.randrange(12_000, 720_000)
            items.append(
                {
                    "taxpayer_id": taxpayer,
                    "item_id": f"DEBT#2026-PLUS-{household_id}",
                    "kind": "debt",
                    "tax": "IIVTNU",
                    "tributo": "004",
                    "ejercicio": 2026,
                    "concept": "Impost sobre l'increment de valor dels terrenys",
                    "principal_cents": principal,
                    "surcharge_cents": 0,
                    "stage": "voluntary",
                    "voluntary_period_end": "2026-12-21",
                    "document_number": f"{rng.randrange(0, 10**10):010d}",
                }
            )
    return items


def load_catalogue(admin: CatalogueAdmin, catalogue: dict[str, Any]) -> None:
    """The demo offices and services, written by the administrators' use cases (validated, audited as the system):
    each created, or changed to the demo's if it differs (a second run changes nothing)."""
    caller, context = system_admin("dev-seed"), RequestContext(request_id="seed")
    offices = {o.id: o for o in admin.offices(caller)}
    for raw in catalogue["offices"]:
        current = offices.get(raw["id"])
        if current is None:
            admin.create_office(caller, office_change(raw), context)
            continue
        demo = office_record(office_change(raw).command().office)
        if office_record(current) != {**demo, "version": current.version}:
            admin.update_office(caller, current.id, office_change({**raw, "version": current.version}), context)
    services = {s.id: s for s in admin.services(caller, None)}
    for raw in catalogue["services"]:
        known = services.get(raw["id"])
        if known is None:
            admin.create_service(caller, service_change(raw), context)
            continue
        wanted = service_record(service_change(raw).command().service)
        if service_record(known) != {**wanted, "version": known.version}:
            admin.update_service(caller, known.id, service_change({**raw, "version": known.version}), context)


def load_staff(
    container: Container, staff: list[dict[str, Any]], password_hash: str | None, accounts: type[StaffItem]
) -> None:
    """The demo staff, written by the administrators' use cases (validated, audited as the system): each person
    invited if new, their weekly schedule set if it differs, and their leave or extra hours still to come added.
    Exceptions already past are not written (the use case refuses a day gone by), so the demo's leave days keep
    the dates they name. Demo only: the password everyone signs in with is written straight to the account, where a
    real member of staff chooses theirs from the invitation's link."""
    caller, context = system_admin("dev-seed"), RequestContext(request_id="seed")
    offices = frozenset(o.id for o in container.catalogue.offices())
    known = {p.username for p in container.staff_admin.people(caller, None, lambda: offices)}
    today = container.booking.today().isoformat()
    for raw in staff:
        username, office = raw["username"], raw.get("office")
        if username not in known:
            fields = {k: raw.get(k) for k in ("username", "name", "email", "roles", "office")}
            container.staff_admin.create(caller, new_staff(fields, offices=offices), context, "ca")
        if password_hash:
            accounts(username).update(actions=[accounts.password_hash.set(password_hash)])
        member = container.staff.schedule_of(username) or {}
        weekly = (raw.get("schedule") or {}).get(office) if office else None
        if weekly is not None and (member.get("schedule") or {}).get(office) != weekly:
            body = {"office": office, "weekly": weekly, "version": member.get("version", 1)}
            container.capacity.put_schedule(caller, username, schedule_change(body), False, context)
        for exception in raw.get("exceptions") or []:
            written = {e.get("date") for e in (container.staff.schedule_of(username) or {}).get("exceptions", [])}
            if exception["date"] >= today and exception["date"] not in written:
                body = {k: v for k, v in exception.items() if k in ("date", "kind", "intervals") and v}
                asked = schedule_exception(body, today=container.booking.today())
                container.capacity.add_exception(caller, username, asked, False, context)


def seed(stage: str, region: str, endpoint_url: str | None, staff_password: str | None = None) -> DemoCounts:
    """Load the demo data (idempotent: the same run twice leaves the same data).

    ``staff_password`` becomes every demo staff account's password (hashed with argon2id); without it the
    accounts exist but nobody can sign in to them.
    """
    if stage == "prod":
        raise ValueError("demo data never goes to prod")
    # The stage's whole configuration, as its API has it: the use cases below touch staff, links, bookings and mail.
    settings = Settings.from_environ(
        {
            **stage_environment(stage),
            "AWS_REGION": region,
            **({"AWS_ENDPOINT_URL": endpoint_url} if endpoint_url else {}),
        }
    )
    container = Container(settings)
    catalogue = json.loads((DEMO / "catalogue.json").read_text(encoding="utf-8"))
    load_catalogue(container.catalogue_admin, catalogue)

    staff = json.loads((DEMO / "staff.json").read_text(encoding="utf-8"))["staff"]
    accounts = bound(StaffItem, settings.table_staff, region=region, host=endpoint_url)
    load_staff(container, staff, hash_password(staff_password) if staff_password else None, accounts)
    people = padron()
    ledger = tax_ledger(people)
    tables: tuple[tuple[type[Model], str, list[dict[str, Any]]], ...] = (
        (PersonItem, "padron", people),
        (LedgerItem, "tax-ledger", ledger),
    )
    for base, table_name, rows in tables:
        RESOURCES.table(table_name)  # fails loudly if the description lost the table
        model = bound(base, physical_name(stage, table_name), region=region, host=endpoint_url)
        with model.batch_write() as batch:
            for row in rows:
                batch.save(model(**{k: v for k, v in row.items() if v is not None}))

    container.audit.record(
        AuditEvent(
            actor=Actor.system("dev-seed"),
            action="demo.seed",
            subject=f"stage:{stage}",
            outcome=Outcome.SUCCESS,
            context=RequestContext(request_id="seed"),
            purpose="load the fictional demo data of the dev stage",
            details={"people": str(len(people)), "services": str(len(catalogue["services"]))},
        )
    )
    return DemoCounts(
        offices=len(catalogue["offices"]),
        services=len(catalogue["services"]),
        staff=len(staff),
        people=len(people),
        households=len({p["household_id"] for p in people}),
        ledger_items=len(ledger),
    )
