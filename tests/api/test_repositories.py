"""Contract tests: the DynamoDB adapters (on moto) and the in-memory fakes behave the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext
from chalicelib.domain.catalogue import Assurance, Office, Service, Text, WeeklyHours
from chalicelib.domain.errors import Conflict
from chalicelib.services.ports import AuditLog, CatalogueRepository
from tests.api.tables import both
from tests.fakes import InMemoryAuditLog, InMemoryCatalogue


@pytest.fixture(params=["memory", "dynamodb"])
def catalogue(request: pytest.FixtureRequest) -> Iterator[CatalogueRepository]:
    yield from both(request, InMemoryCatalogue, lambda c: c.catalogue_repository)


@pytest.fixture(params=["memory", "dynamodb"])
def audit(request: pytest.FixtureRequest) -> Iterator[AuditLog]:
    yield from both(request, InMemoryAuditLog, lambda c: c.audit)


def _text(word: str) -> Text:
    return Text(ca=f"{word} (ca)", es=f"{word} (es)", en=f"{word} (en)")


SERVICE = Service(
    id="payment-letter",
    office="OGAT",
    name=_text("letter"),
    description=_text("pay"),
    duration_minutes=15,
    min_assurance=Assurance.SUBSTANTIAL,
    required_documents=(_text("id card"),),
    procedure="payment_letter",
)


def test_a_stored_service_reads_back_equal(catalogue: CatalogueRepository) -> None:
    catalogue.put_service(SERVICE)

    assert catalogue.get_service("payment-letter") == SERVICE
    assert catalogue.list_services() == [SERVICE]
    assert catalogue.get_service("nothing") is None


def test_storing_a_service_again_replaces_it(catalogue: CatalogueRepository) -> None:
    catalogue.put_service(SERVICE)
    changed = Service(**{**SERVICE.__dict__, "duration_minutes": 30})

    catalogue.put_service(changed)

    assert catalogue.list_services() == [changed]


def test_a_stored_office_reads_back_equal(catalogue: CatalogueRepository) -> None:
    office = Office(
        id="OMAC",
        name=_text("office"),
        address="Plaça de la Vila, 1",
        timezone="Europe/Madrid",
        opening_hours=WeeklyHours({0: (("09:00", "14:00"),), 3: (("09:00", "14:00"), ("16:00", "19:00"))}),
    )

    catalogue.put_office(office)

    assert catalogue.list_offices() == [office]


def _event(at: datetime, action: str = "catalogue.change") -> AuditEvent:
    return AuditEvent(
        actor=Actor("admin", "admin"),
        action=action,
        subject="service:payment-letter",
        outcome=Outcome.SUCCESS,
        context=RequestContext("req-1", "203.0.113.9"),
        purpose="keep the catalogue up to date",
        details={"field": "duration_minutes"},
        at=at,
    )


def test_audit_events_read_back_in_order_by_council_day(audit: AuditLog) -> None:
    late = _event(datetime(2026, 3, 28, 23, 30, tzinfo=UTC), "catalogue.second")  # already 29 March in Madrid
    early = _event(datetime(2026, 3, 29, 8, 0, tzinfo=UTC), "catalogue.third")
    before = _event(datetime(2026, 3, 28, 10, 0, tzinfo=UTC), "catalogue.first")
    for event in (early, late, before):
        audit.record(event)

    assert audit.events_of_day("2026-03-29") == [late, early]
    assert audit.events_of_day("2026-03-28") == [before]


def test_an_audit_event_is_never_overwritten(audit: AuditLog) -> None:
    event = _event(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
    audit.record(event)

    with pytest.raises(Conflict) as raised:
        audit.record(event)

    assert raised.value.code == "audit_event_exists"
    assert audit.events_of_day("2026-11-28") == [event]
