"""The queue use case on in-memory stores: call lengths learned from the office's past calls, and the estimate they
give a waiting citizen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.auth.principal import Principal, Role
from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.calendar import HolidayCalendar
from chalicelib.domain.calls import Call, CallState
from chalicelib.domain.catalogue import Assurance, Office, Service, Text, WeeklyHours
from chalicelib.services.booking import BookingService, BookingSettings
from chalicelib.services.catalogue import CatalogueService
from chalicelib.services.queue import QueueService
from tests.fakes import InMemoryAuditLog, InMemoryBookingStore, InMemoryCallStore, InMemoryCatalogue

MADRID = ZoneInfo("Europe/Madrid")
OFFICE = Office("OMAC", Text(ca="OMAC"), "", "Europe/Madrid", WeeklyHours({}))
SERVICE = Service("svc", "OMAC", Text(ca="S"), Text(ca="S"), 20, Assurance.LOW)
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=MADRID)
AGENT = Principal("ana", frozenset({Role.AGENT}), "t", datetime(2030, 1, 1, tzinfo=UTC), office="OMAC")


class Staff:
    def get(self, username: str) -> None:
        return None

    def agents_of(self, office: str) -> tuple[()]:
        return ()


def _appointment(n: int, start: datetime) -> Appointment:
    return Appointment(
        id=f"00000000-0000-4000-8000-{n:012d}",
        service_id="svc",
        office="OMAC",
        start=start,
        end=start + timedelta(minutes=20),
        status=Status.BOOKED,
        citizen=f"citizen-{n}",
        citizen_contact=None,
        contact=Contact(),
        language="ca",
        agent="ana",
        units=(),
        created_at=start - timedelta(days=1),
        created_by="staff:test",
    )


def _call(a: Appointment, state: CallState, admitted: datetime | None = None, ended: datetime | None = None) -> Call:
    return Call(
        a.id,
        "room",
        "node",
        "http://node",
        state=state,
        waiting_since=(a.start.isoformat() if state is CallState.WAITING else None),
        admitted_at=admitted.isoformat() if admitted else None,
        ended_at=ended.isoformat() if ended else None,
    )


def _service(store: InMemoryBookingStore, calls: InMemoryCallStore) -> QueueService:
    booking = BookingService(
        CatalogueService(InMemoryCatalogue([SERVICE], [OFFICE])),
        lambda office: (),
        HolidayCalendar(()),
        store,
        object(),  # type: ignore[arg-type]
        InMemoryAuditLog(),
        BookingSettings(2, "https://cites.example", "cites@example.org", MADRID),
        clock=lambda: NOW,
    )
    return QueueService(booking, calls, Staff())


def test_the_typical_call_is_learned_from_the_offices_past_calls_else_the_slot_length() -> None:
    store, calls = InMemoryBookingStore(), InMemoryCallStore()
    service = _service(store, calls)
    assert service.typical("OMAC", "svc").median_s == 20 * 60  # nothing learned yet: the slot

    for n in range(10):
        past = _appointment(n, NOW - timedelta(days=1 + n % 3, hours=1))
        store.appointments[past.id] = past
        calls.calls[past.id] = _call(past, CallState.ENDED, past.start, past.start + timedelta(minutes=8 + n % 3))

    learned = _service(store, calls).typical("OMAC", "svc")
    assert learned.learned_from == 10
    assert 8 * 60 <= learned.median_s <= 10 * 60


def test_a_citizen_behind_a_call_that_has_just_begun_waits_about_the_learned_length() -> None:
    store, calls = InMemoryBookingStore(), InMemoryCallStore()
    for n in range(10):
        past = _appointment(n, NOW - timedelta(days=1, hours=n))
        store.appointments[past.id] = past
        calls.calls[past.id] = _call(past, CallState.ENDED, past.start, past.start + timedelta(minutes=10))
    current = _appointment(100, NOW - timedelta(minutes=20))
    waiting = _appointment(101, NOW - timedelta(minutes=1))
    for a in (current, waiting):
        store.appointments[a.id] = a
    calls.calls[current.id] = _call(current, CallState.IN_CALL, admitted=NOW - timedelta(minutes=1))
    calls.calls[waiting.id] = _call(waiting, CallState.WAITING)

    place = _service(store, calls).place(AGENT, waiting.id)

    assert (place.position, place.ahead, place.agent_status.value) == (1, 0, "in_call")
    # About the learned 10 minutes less the one gone, not the 20-minute slot.
    assert 7 * 60 <= place.estimated_wait_s <= 11 * 60


def test_a_past_no_show_of_the_agent_does_not_keep_them_from_taking_someone() -> None:
    store, calls = InMemoryBookingStore(), InMemoryCallStore()
    early = _appointment(1, NOW - timedelta(hours=2))  # booked, never joined, its outcome not recorded
    store.appointments[early.id] = early
    service = _service(store, calls)

    assert service.overflow(AGENT, "OMAC")["can_take"] is True


def test_a_call_whose_window_closed_long_ago_no_longer_makes_the_agent_busy() -> None:
    store, calls = InMemoryBookingStore(), InMemoryCallStore()
    lost = _appointment(1, NOW - timedelta(hours=3))  # its node went away without reporting the end
    store.appointments[lost.id] = lost
    calls.calls[lost.id] = _call(lost, CallState.IN_CALL, admitted=lost.start)
    service = _service(store, calls)

    assert service.overflow(AGENT, "OMAC")["can_take"] is True
