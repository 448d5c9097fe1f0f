"""Reading the catalogue: filtered, ordered, active services only, kept briefly by a warm function."""

from __future__ import annotations

import pytest

from chalicelib.domain.catalogue import Assurance, OfficeId, Service, Text
from chalicelib.domain.errors import NotFound
from chalicelib.services.catalogue import CatalogueService
from tests.fakes import InMemoryCatalogue, ManualClock


def _service(service_id: str, office: OfficeId, active: bool = True) -> Service:
    text = Text(ca=service_id, es=service_id, en=service_id)
    return Service(
        id=service_id,
        office=office,
        name=text,
        description=text,
        duration_minutes=15,
        min_assurance=Assurance.LOW,
        active=active,
    )


@pytest.fixture
def repository() -> InMemoryCatalogue:
    return InMemoryCatalogue(
        [
            _service("residence-certificate", "OMAC"),
            _service("payment-letter", "OGAT"),
            _service("change-of-address", "OMAC"),
            _service("retired-procedure", "OMAC", active=False),
            _service("direct-debit", "OGAT"),
        ]
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def catalogue(repository: InMemoryCatalogue, clock: ManualClock) -> CatalogueService:
    return CatalogueService(repository, cache_seconds=60, clock=clock)


def _ids(services: list[Service]) -> list[str]:
    return [s.id for s in services]


def test_active_services_are_listed_by_office_then_id(catalogue: CatalogueService) -> None:
    assert _ids(catalogue.list_services()) == [
        "direct-debit",
        "payment-letter",
        "change-of-address",
        "residence-certificate",
    ]


def test_one_office_lists_only_its_services(catalogue: CatalogueService) -> None:
    assert _ids(catalogue.list_services("OMAC")) == ["change-of-address", "residence-certificate"]
    assert _ids(catalogue.list_services("OGAT")) == ["direct-debit", "payment-letter"]


def test_a_service_is_found_by_id(catalogue: CatalogueService) -> None:
    assert catalogue.get_service("payment-letter").office == "OGAT"


@pytest.mark.parametrize("service_id", ["no-such-thing", "retired-procedure", "PAYMENT-LETTER"])
def test_an_unknown_or_inactive_service_is_not_found(catalogue: CatalogueService, service_id: str) -> None:
    with pytest.raises(NotFound, match=service_id):
        catalogue.get_service(service_id)


def test_the_catalogue_is_read_once_while_fresh(
    catalogue: CatalogueService, repository: InMemoryCatalogue, clock: ManualClock
) -> None:
    # GIVEN a warm function that has listed the catalogue
    catalogue.list_services()

    # WHEN more requests arrive within the minute, even after the catalogue changed
    repository.put_service(_service("new-service", "OMAC"))
    clock.now += 59.9
    catalogue.list_services("OMAC")
    catalogue.get_service("payment-letter")

    # THEN they are served from memory: one read, and the change is not yet visible
    assert repository.reads == 1
    assert "new-service" not in _ids(catalogue.list_services())


def test_the_catalogue_is_read_again_once_stale(
    catalogue: CatalogueService, repository: InMemoryCatalogue, clock: ManualClock
) -> None:
    catalogue.list_services()
    repository.put_service(_service("new-service", "OMAC"))

    clock.now += 60

    assert "new-service" in _ids(catalogue.list_services())
    assert repository.reads == 2


def test_no_caching_when_the_lifetime_is_zero(repository: InMemoryCatalogue, clock: ManualClock) -> None:
    catalogue = CatalogueService(repository, cache_seconds=0, clock=clock)

    catalogue.list_services()
    catalogue.list_services()

    assert repository.reads == 2
