"""The waitlist: citizens waiting for a service's freed slot, and the offers of such a slot (pure rules, no I/O).

- An entry: one citizen, one service, a range of days (from today at the earliest, to the booking window's last day
  at the latest) and optionally a part of the day; kept in joining order; it lapses after its last day.
- When a slot frees, the entries that match it are offered it in joining order, a batch at a time (3 by default):
  each offer is a one-time link held for ``HOLD`` (15 minutes). The first of the batch to accept books it (the
  booking's own transaction decides, with the round's state as one of its conditions); the others are told it is
  gone and stay on the list. A batch whose hold passes unaccepted gives way to the next one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from chalicelib.domain.appointments import Contact
from chalicelib.domain.catalogue import Assurance
from chalicelib.domain.errors import FieldError

HOLD = timedelta(minutes=15)
BATCH_SIZE = 3
# Morning: slots that start before this (council time); afternoon: from it on.
AFTERNOON_FROM = time(14, 0)
# How long a finished offer or round is kept after its slot (TTL): enough to answer "taken" or "expired".
KEPT_AFTER = timedelta(days=2)


class PartOfDay(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"

    def contains(self, local: datetime) -> bool:
        afternoon = local.timetz().replace(tzinfo=None) >= AFTERNOON_FROM
        return afternoon if self is PartOfDay.AFTERNOON else not afternoon


class OfferState(StrEnum):
    SENT = "sent"  # waiting for the person within the hold
    ACCEPTED = "accepted"  # this person booked the slot
    TAKEN = "taken"  # someone else of the batch booked it first, or the slot went another way
    EXPIRED = "expired"  # the hold passed unaccepted


class RoundState(StrEnum):
    OPEN = "open"  # a batch holds offers of the slot
    WON = "won"  # an offer was accepted: the slot is booked
    DONE = "done"  # nobody left to offer it to, or the slot went another way


@dataclass(frozen=True)
class Entry:
    id: str
    service_id: str
    office: str
    first: date
    last: date
    part_of_day: PartOfDay | None
    contact: Contact
    language: str
    joined_at: datetime
    citizen: str  # the ID number
    citizen_contact: str | None  # the verified contact's digest (a code sign-in), None for eID
    citizen_assurance: Assurance = Assurance.LOW
    citizen_name: str | None = None

    def matches(self, start: datetime, zone: Any) -> bool:
        """Whether a slot starting at ``start`` falls in the entry's days and part of the day (council time)."""
        local = start.astimezone(zone)
        if not self.first <= local.date() <= self.last:
            return False
        return self.part_of_day is None or self.part_of_day.contains(local)

    def lapsed(self, today: date) -> bool:
        return self.last < today

    def expires_at(self, zone: Any) -> int:
        """When the stored rows may go (TTL): the day after its last day, council time."""
        return int(datetime.combine(self.last + timedelta(days=1), time(), zone).timestamp())

    def queue_key(self) -> str:
        """Its place in the service's queue: joining order, then id."""
        return f"{self.joined_at.isoformat()}#{self.id}"

    def as_item(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service_id": self.service_id,
            "office": self.office,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "part_of_day": self.part_of_day.value if self.part_of_day else None,
            "contact": {k: v for k, v in (("email", self.contact.email), ("phone", self.contact.phone)) if v},
            "language": self.language,
            "joined_at": self.joined_at.isoformat(),
            "citizen": self.citizen,
            "citizen_contact": self.citizen_contact,
            "citizen_assurance": self.citizen_assurance.value,
            "citizen_name": self.citizen_name,
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Entry:
        contact = item.get("contact") or {}
        return cls(
            id=item["id"],
            service_id=item["service_id"],
            office=item["office"],
            first=date.fromisoformat(item["from"]),
            last=date.fromisoformat(item["to"]),
            part_of_day=PartOfDay(item["part_of_day"]) if item.get("part_of_day") else None,
            contact=Contact(contact.get("email"), contact.get("phone")),
            language=item["language"],
            joined_at=datetime.fromisoformat(item["joined_at"]),
            citizen=item["citizen"],
            citizen_contact=item.get("citizen_contact"),
            citizen_assurance=Assurance(item.get("citizen_assurance") or Assurance.LOW.value),
            citizen_name=item.get("citizen_name"),
        )


@dataclass(frozen=True)
class Round:
    """One freed slot being offered: which batch holds it now, until when, and to whom it has been offered."""

    service_id: str
    office: str
    start: datetime
    end: datetime
    batch: int
    hold_until: datetime
    offered: tuple[str, ...] = ()  # entry ids, every batch so far
    current: tuple[str, ...] = ()  # offer digests of the current batch
    state: RoundState = RoundState.OPEN

    @property
    def key(self) -> str:
        return round_key(self.service_id, self.start)

    def held(self, now: datetime) -> bool:
        return self.state is RoundState.OPEN and now < self.hold_until

    def next(self, batch: Sequence[Entry], digests: Sequence[str], now: datetime) -> Round:
        """The next batch holds it from ``now``."""
        return replace(
            self,
            batch=self.batch + 1,
            hold_until=now + HOLD,
            offered=(*self.offered, *(e.id for e in batch)),
            current=tuple(digests),
        )

    def as_item(self) -> dict[str, Any]:
        return {
            "service_id": self.service_id,
            "office": self.office,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "offered": list(self.offered),
            "current": list(self.current),
        }

    @classmethod
    def from_item(cls, item: dict[str, Any], batch: int, hold_until: int, state: str, zone: Any) -> Round:
        return cls(
            service_id=item["service_id"],
            office=item["office"],
            start=datetime.fromisoformat(item["start"]).astimezone(zone),
            end=datetime.fromisoformat(item["end"]).astimezone(zone),
            batch=batch,
            hold_until=datetime.fromtimestamp(hold_until, zone),
            offered=tuple(item.get("offered") or ()),
            current=tuple(item.get("current") or ()),
            state=RoundState(state),
        )


@dataclass(frozen=True)
class RoundClaim:
    """What a booking through an offer claims in its own transaction: the round, still held by this batch."""

    round_key: str
    batch: int
    digest: str
    now: datetime


def round_key(service_id: str, start: datetime) -> str:
    return f"{service_id}#{start.isoformat()}"


@dataclass(frozen=True)
class Offer:
    """One person's offer of one slot (stored under its token's digest, never the token)."""

    digest: str
    entry: Entry
    round_key: str
    start: datetime
    end: datetime
    batch: int
    hold_until: datetime
    state: OfferState = OfferState.SENT
    extra: dict[str, str] = field(default_factory=dict)

    def as_item(self) -> dict[str, Any]:
        return {
            "entry": self.entry.as_item(),
            "round": self.round_key,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "batch": self.batch,
            "hold_until": self.hold_until.isoformat(),
        }

    @classmethod
    def from_item(cls, digest: str, item: dict[str, Any], state: str, zone: Any) -> Offer:
        return cls(
            digest=digest,
            entry=Entry.from_item(item["entry"]),
            round_key=item["round"],
            start=datetime.fromisoformat(item["start"]).astimezone(zone),
            end=datetime.fromisoformat(item["end"]).astimezone(zone),
            batch=int(item["batch"]),
            hold_until=datetime.fromisoformat(item["hold_until"]).astimezone(zone),
            state=OfferState(state),
        )


def next_batch(
    entries: Iterable[Entry], start: datetime, zone: Any, today: date, skip: Iterable[str], size: int
) -> list[Entry]:
    """The next ``size`` entries, in joining order, that match the slot, have not lapsed and were not offered it
    (``skip``: entry ids already offered this slot, or holding another offer now); one per citizen."""
    skipped = set(skip)
    chosen: list[Entry] = []
    people: set[str] = set()
    for entry in sorted(entries, key=lambda e: e.queue_key()):
        if entry.id in skipped or entry.lapsed(today) or entry.citizen in people:
            continue
        if entry.matches(start, zone):
            chosen.append(entry)
            people.add(entry.citizen)
            if len(chosen) >= size:
                break
    return chosen


def check_range(first: date | None, last: date | None, today: date, latest: date) -> list[FieldError]:
    """The errors of a waitlist's days: from today at the earliest, to the booking window's last day at the
    latest, and not ending before they start."""
    errors: list[FieldError] = []
    if first is not None and not today <= first <= latest:
        errors.append(FieldError("from", "window_waitlist", earliest=today.isoformat(), latest=latest.isoformat()))
    if last is not None and not today <= last <= latest:
        errors.append(FieldError("to", "window_waitlist", earliest=today.isoformat(), latest=latest.isoformat()))
    if first is not None and last is not None and not errors and last < first:
        errors.append(FieldError("to", "to_before_from"))
    return errors
