"""Slots reflect an admin's change at once: a process drops its copy of an office's availability when told
(``forget_availability``), and every process reads the availability generation before trusting its copy."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from chalicelib.domain.calendar import HolidayCalendar
from chalicelib.domain.catalogue import Assurance, Office, Service, Text, WeeklyHours
from chalicelib.domain.scheduling import AgentSchedule, parse_intervals
from chalicelib.services.booking import BookingService, BookingSettings
from chalicelib.services.catalogue import CatalogueService
from tests.fakes import InMemoryAuditLog, InMemoryBookingStore, InMemoryCatalogue

MADRID = ZoneInfo("Europe/Madrid")
OFFICE = Office("OMAC", Text(ca="OMAC"), "", "Europe/Madrid", WeeklyHours({0: (("09:00", "14:00"),)}))
SERVICE = Service("svc", "OMAC", Text(ca="S"), Text(ca="S"), 20, Assurance.LOW)


class Directory:
    def __init__(self) -> None:
        self.agents = ["ana"]
        self.reads = 0

    def agents_of(self, office: str) -> tuple[AgentSchedule, ...]:
        self.reads += 1
        return tuple(AgentSchedule(a, office, {0: parse_intervals((("09:00", "14:00"),))}) for a in self.agents)


def process(directory: Directory, generation: list[int]) -> BookingService:
    """One API process: its own cache, the shared staff directory and generation item."""
    return BookingService(
        CatalogueService(InMemoryCatalogue([SERVICE], [OFFICE])),
        directory.agents_of,
        HolidayCalendar(()),
        InMemoryBookingStore(),
        object(),  # type: ignore[arg-type]
        InMemoryAuditLog(),
        BookingSettings(2, "https://cites.example", "cites@example.org", MADRID),
        generation=lambda: str(generation[0]),
    )


def test_a_new_generation_makes_every_process_read_availability_again() -> None:
    directory, generation = Directory(), [0]
    one, two = process(directory, generation), process(directory, generation)
    assert [a.username for a in two.availability("OMAC").agents] == ["ana"]

    directory.agents = ["ana", "ben"]  # an admin's write elsewhere …
    assert [a.username for a in two.availability("OMAC").agents] == ["ana"]  # … unseen while the generation stands
    generation[0] += 1  # … which replaces the generation

    assert [a.username for a in two.availability("OMAC").agents] == ["ana", "ben"]
    assert [a.username for a in one.availability("OMAC").agents] == ["ana", "ben"]


def test_forget_availability_drops_this_process_copy() -> None:
    directory = Directory()
    service = process(directory, [0])
    service.availability("OMAC")
    reads = directory.reads

    service.availability("OMAC")
    assert directory.reads == reads  # cached
    service.forget_availability("OMAC")
    service.availability("OMAC")
    assert directory.reads == reads + 1
