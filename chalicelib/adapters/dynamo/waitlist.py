"""The waitlist on DynamoDB: rows of the ``booking`` table under their own key prefixes (TTL ``expires_at``).

- ``WL#<service>`` / ``<joined at>#<entry id>``: the service's entries in joining order (the queue);
- ``WLO#<id number>`` / ``<entry id>``: the same entry under its citizen (their list, leaving it);
- ``CIT#<id number>`` / ``WL#<service>`` (an eID sign-in's entry) or ``CIT#<id number>#C#<contact>`` /
  ``WL#<service>`` (a code sign-in's): the one entry for that service in that scope, the same scopes as bookings'
  limits (``booking.py``); ``CIT#<id number>`` / ``WLN#<service>`` counts the code sign-ins' entries, so an eID
  sign-in (who sees them all) is refused one more, as a booking is;
- ``WLROUNDS`` / ``<service>#<slot start>``: a freed slot being offered: its batch, hold end, state, the winner;
- ``OFFER#<token digest>`` / ``OFFER``: one offer and its state.

Joining and leaving are one transaction each (queue row, owner row, scope lock, counter). A round moves on only
from the batch it was read at (a conditional update), so two sweeps never send the next batch twice; a booking
through an offer wins the round in the booking's own transaction (``DynamoBookingStore.book``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import tzinfo
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PynamoDBException, UpdateError

from chalicelib.adapters.dynamo.booking import WAITLIST_ROUNDS, _Writes
from chalicelib.adapters.dynamo.models import BookingItem
from chalicelib.domain.errors import Conflict, DependencyUnavailable
from chalicelib.domain.waitlist import Entry, Offer, OfferState, Round, RoundState

ALREADY_WAITLISTED = ("already_waitlisted", "You are already on the waitlist for this service.")
T = TypeVar("T")


def _scope(entry: Entry) -> str:
    return f"CIT#{entry.citizen}#C#{entry.citizen_contact}" if entry.citizen_contact else f"CIT#{entry.citizen}"


class DynamoWaitlistStore:
    def __init__(self, booking: type[BookingItem], connection: Connection, zone: tzinfo) -> None:
        self._b = booking
        self._connection = connection
        self._zone = zone

    def _read(self, read: Callable[..., T], *args: Any) -> T:
        try:
            return read(*args)
        except PynamoDBException as exc:
            raise DependencyUnavailable("The waitlist could not be read.") from exc

    def _get(self, pk: str, sk: str) -> BookingItem | None:
        def read() -> BookingItem | None:
            try:
                return self._b.get(pk, sk, consistent_read=True)
            except DoesNotExist:
                return None

        return self._read(read)

    def _update_if(self, pk: str, sk: str, actions: list[Any], condition: Any) -> bool:
        try:
            self._b(pk, sk).update(actions, condition=condition)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable("The waitlist could not be updated.") from exc
        return True

    # --- entries ----------------------------------------------------------------------------------------------------
    def join(self, entry: Entry, expires_at: int) -> None:
        b, data = self._b, json.dumps(entry.as_item())
        writes = _Writes()
        scope, lock = _scope(entry), f"WL#{entry.service_id}"
        writes.save(
            b(scope, lock, appointment_id=entry.id, expires_at=expires_at), b.pk.does_not_exist(), ALREADY_WAITLISTED
        )
        if entry.citizen_contact:
            writes.update(b(f"CIT#{entry.citizen}", f"WLN#{entry.service_id}"), [b.n.add(1)])
        else:
            writes.check(
                b,
                (f"CIT#{entry.citizen}", f"WLN#{entry.service_id}"),
                b.n.does_not_exist() | (b.n < 1),
                ALREADY_WAITLISTED,
            )
        writes.save(
            b(f"WL#{entry.service_id}", entry.queue_key(), data=data, expires_at=expires_at), b.pk.does_not_exist()
        )
        writes.save(b(f"WLO#{entry.citizen}", entry.id, data=data, expires_at=expires_at), b.pk.does_not_exist())
        writes.commit(self._connection)

    def entries(self, service_id: str) -> list[Entry]:
        rows = self._read(lambda: list(self._b.query(f"WL#{service_id}")))
        return [Entry.from_item(json.loads(row.data)) for row in rows if row.data]

    def entries_of(self, citizen: str) -> list[Entry]:
        rows = self._read(lambda: list(self._b.query(f"WLO#{citizen}")))
        found = [Entry.from_item(json.loads(row.data)) for row in rows if row.data]
        return sorted(found, key=lambda e: e.queue_key())

    def entry_of(self, citizen: str, entry_id: str) -> Entry | None:
        row = self._get(f"WLO#{citizen}", entry_id)
        return Entry.from_item(json.loads(row.data)) if row is not None and row.data else None

    def leave(self, entry: Entry) -> bool:
        """Remove the entry (queue, owner, lock, counter) in one transaction; False when it was already gone."""
        b = self._b
        writes = _Writes()
        writes.delete(b(f"WLO#{entry.citizen}", entry.id), b.pk.exists(), ("gone", ""))
        writes.delete(b(f"WL#{entry.service_id}", entry.queue_key()), b.pk.exists() | b.pk.does_not_exist())
        writes.delete(b(_scope(entry), f"WL#{entry.service_id}"), b.appointment_id == entry.id)
        if entry.citizen_contact:
            writes.update(b(f"CIT#{entry.citizen}", f"WLN#{entry.service_id}"), [b.n.add(-1)], b.n > 0)
        try:
            writes.commit(self._connection)
        except Conflict:
            return False
        return True

    # --- rounds -----------------------------------------------------------------------------------------------------
    def _round(self, row: BookingItem) -> Round:
        return Round.from_item(
            json.loads(row.data or "{}"), int(row.batch or 0), int(row.hold_until or 0), row.state or "done", self._zone
        )

    def put_round(self, round_: Round, expires_at: int) -> bool:
        """A new round of a slot, unless one is open for it."""
        b = self._b
        row = b(
            WAITLIST_ROUNDS,
            round_.key,
            data=json.dumps(round_.as_item()),
            batch=round_.batch,
            hold_until=int(round_.hold_until.timestamp()),
            state=round_.state.value,
            expires_at=expires_at,
        )
        try:
            row.save(condition=b.pk.does_not_exist() | (b.state != RoundState.OPEN.value))
        except PynamoDBException as exc:
            if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable("The waitlist could not be updated.") from exc
        return True

    def round(self, key: str) -> Round | None:
        row = self._get(WAITLIST_ROUNDS, key)
        return self._round(row) if row is not None else None

    def open_rounds(self) -> list[Round]:
        b = self._b
        rows = self._read(lambda: list(b.query(WAITLIST_ROUNDS, filter_condition=b.state == RoundState.OPEN.value)))
        return [self._round(row) for row in rows]

    def advance_round(self, old: Round, new: Round) -> bool:
        b = self._b
        return self._update_if(
            WAITLIST_ROUNDS,
            old.key,
            [
                b.batch.set(new.batch),
                b.hold_until.set(int(new.hold_until.timestamp())),
                b.data.set(json.dumps(new.as_item())),
            ],
            (b.state == RoundState.OPEN.value) & (b.batch == old.batch),
        )

    def close_round(self, old: Round, state: RoundState) -> bool:
        b = self._b
        condition = (b.state == RoundState.OPEN.value) & (b.batch == old.batch)
        return self._update_if(WAITLIST_ROUNDS, old.key, [b.state.set(state.value)], condition)

    # --- offers -----------------------------------------------------------------------------------------------------
    def put_offer(self, offer: Offer, expires_at: int) -> None:
        row = self._b(
            f"OFFER#{offer.digest}",
            "OFFER",
            data=json.dumps(offer.as_item()),
            state=offer.state.value,
            expires_at=expires_at,
        )
        try:
            row.save()
        except PynamoDBException as exc:
            raise DependencyUnavailable("The offer could not be saved.") from exc

    def offer(self, digest: str) -> Offer | None:
        row = self._get(f"OFFER#{digest}", "OFFER")
        if row is None or not row.data:
            return None
        return Offer.from_item(digest, json.loads(row.data), row.state or OfferState.EXPIRED.value, self._zone)

    def set_offer_state(self, digest: str, state: OfferState, only_from: OfferState = OfferState.SENT) -> bool:
        b = self._b
        return self._update_if(f"OFFER#{digest}", "OFFER", [b.state.set(state.value)], b.state == only_from.value)


def waitlist_store(booking_table: str, *, region: str, host: str | None, zone: tzinfo) -> DynamoWaitlistStore:
    from chalicelib.adapters.dynamo.models import bound

    return DynamoWaitlistStore(
        bound(BookingItem, booking_table, region=region, host=host), Connection(region=region, host=host), zone
    )
