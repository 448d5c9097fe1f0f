"""Bookings on DynamoDB: every change is ONE transaction with conditions, so two requests can never double-book.

Items of the ``booking`` table:
- ``CAP#<office>#<yyyy-mm>`` / ``<unit>#<agent>``: that agent's 5-minute unit is taken by ``appointment_id`` (a put
  that fails if the item exists: one appointment per agent and unit);
- ``CIT#<id number>`` / ``ACTIVE``: how many active appointments are held under the ID number, whoever booked them;
- ``CIT#<id number>`` / ``SVC#<service>``: the one active appointment for that service booked with the identity
  proved (eID) or by staff;
- ``CIT#<id number>`` / ``SVCN#<service>``: how many active appointments for that service were booked by code
  sign-ins (under any contact);
- ``CIT#<id number>`` / ``CONTACTS``: the set of verified contacts (keyed hashes) holding active bookings;
- ``CIT#<id number>#C#<contact>`` / ``SVC#<service>`` and ``ACTIVE``: the same per (ID number, verified contact);
- ``REBOOK#<office>`` / ``<appointment id>``: the office's appointments that need rebooking (the supervisor's list),
  written and removed in the same transaction as the appointment's status;
- the waitlist's rows (``WL#``, ``WLO#``, ``WLROUNDS``, ``OFFER#``): ``chalicelib/adapters/dynamo/waitlist.py``. A
  booking through a waitlist offer wins the offer's round in its own transaction.

Limits (why): a one-time code proves only control of an address, so a code sign-in's bookings are counted within
(ID number, that contact): whoever knows someone's ID number can never spend the owner's limits from their own
address, and a refusal never tells them about a booking they cannot see. At most ``max_contacts`` contacts per ID
number hold active bookings at once, so nobody hoards places with many addresses. A booking made with the identity
proved (eID) or by staff is limited by every booking under the ID number, all of which that caller can see.

Written with PynamoDB (``models.AppointmentItem`` and ``models.BookingItem``, bound to the stage's tables) and its
``TransactWrite``; each write of a transaction carries what its failed condition means to the caller.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition, size
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamo.models import AppointmentItem, BookingItem, bound
from chalicelib.domain.appointments import HELD, Appointment, Contact, Status
from chalicelib.domain.catalogue import Assurance, OfficeId
from chalicelib.domain.errors import Conflict, DependencyUnavailable
from chalicelib.domain.identity_check import IdentityCheck
from chalicelib.domain.preflight import Preflight
from chalicelib.domain.waitlist import RoundClaim, RoundState

TRANSACTION_ATTEMPTS = 3
MAX_CONTACTS = 2  # verified contacts per ID number that may hold active bookings at once
# Plain words that say nothing about anyone's bookings: the same answer whoever holds them.
ONLINE_LIMIT_REACHED = (
    "This appointment cannot be booked online with this contact. Book it by phone or in person, "
    "or sign in with your digital identity (idCAT Mòbil, Cl@ve or a digital certificate)."
)
Reason = tuple[str, str]  # the Conflict's code and detail when a write's condition fails
CONFLICT: Reason = ("conflict", "")
ALREADY_BOOKED: Reason = ("already_booked", "You already have an appointment for this service.")
TOO_MANY: Reason = ("too_many_appointments", "You have as many appointments as you can hold at once.")
NO_LONGER_ACTIVE: Reason = ("not_booked", "The appointment is no longer active.")
T = TypeVar("T")
WAITLIST_ROUNDS = "WLROUNDS"  # the partition of the waitlist's rounds of offers (waitlist.py)


def _scope(citizen: str, contact: str) -> str:
    return f"CIT#{citizen}#C#{contact}"


def _office_day(appointment: Appointment) -> str:
    return f"{appointment.office}#{appointment.start.date().isoformat()}"


def to_item(model: type[AppointmentItem], a: Appointment) -> AppointmentItem:
    return model(
        a.id,
        service_id=a.service_id,
        office=a.office,
        office_day=_office_day(a),
        start=a.start.isoformat(),
        end=a.end.isoformat(),
        status=a.status.value,
        citizen=a.citizen,
        citizen_contact=a.citizen_contact or None,
        citizen_name=a.citizen_name or None,
        contact={k: v for k, v in (("email", a.contact.email), ("phone", a.contact.phone)) if v},
        language=a.language,
        agent=a.agent,
        units=list(a.units),
        created_at=a.created_at.isoformat(),
        created_by=a.created_by,
        version=a.version,
        reminders=dict(a.reminders),
        outcome_notes=a.outcome_notes or None,
        citizen_assurance=a.citizen_assurance.value,
        identity_check=a.identity_check.to_item() if a.identity_check is not None else None,
        rebooking=dict(a.rebooking) if a.rebooking else None,
        preflight=a.preflight.to_item() if a.preflight is not None else None,
    )


def from_item(item: AppointmentItem, zone: tzinfo) -> Appointment:
    """The appointment, its times in ``zone`` (the council's: where its offices are)."""
    contact = item.contact.as_dict() if item.contact else {}
    return Appointment(
        id=item.id,
        service_id=item.service_id,
        office=OfficeId(item.office),
        start=datetime.fromisoformat(item.start).astimezone(zone),
        end=datetime.fromisoformat(item.end).astimezone(zone),
        status=Status(item.status),
        citizen=item.citizen,
        citizen_contact=item.citizen_contact,
        contact=Contact(contact.get("email"), contact.get("phone")),
        language=item.language,
        agent=item.agent or "",
        units=tuple(item.units or ()),
        created_at=datetime.fromisoformat(item.created_at),
        created_by=item.created_by,
        citizen_name=item.citizen_name,
        version=int(item.version or 1),
        reminders={str(k): str(v) for k, v in (item.reminders.as_dict() if item.reminders else {}).items()},
        outcome_notes=item.outcome_notes,
        citizen_assurance=Assurance(item.citizen_assurance or Assurance.LOW.value),
        identity_check=IdentityCheck.from_item(item.identity_check.as_dict()) if item.identity_check else None,
        rebooking={str(k): str(v) for k, v in item.rebooking.as_dict().items()} if item.rebooking else None,
        preflight=Preflight.from_item(item.preflight.as_dict()) if item.preflight else None,
    )


class _Writes:
    """The writes of one transaction, each with what its failed condition means.

    PynamoDB sends condition checks first, then deletes, puts and updates, and DynamoDB gives a reason per write in
    the order sent; a refusal is named by the write added first among those whose condition failed, as if they had
    been sent in the order they were added.
    """

    _KINDS = ("check", "delete", "save", "update")

    def __init__(self) -> None:
        self._writes: dict[str, list[tuple[int, Callable[[TransactWrite], None], Reason]]] = {
            k: [] for k in self._KINDS
        }
        self._added = 0

    def _add(self, kind: str, write: Callable[[TransactWrite], None], reason: Reason) -> None:
        self._writes[kind].append((self._added, write, reason))
        self._added += 1

    def check(self, model: type[BookingItem], key: tuple[str, str], condition: Condition, reason: Reason) -> None:
        self._add("check", lambda t: t.condition_check(model, *key, condition=condition), reason)

    def delete(self, item: Any, condition: Condition, reason: Reason = CONFLICT) -> None:
        self._add("delete", lambda t: t.delete(item, condition=condition), reason)

    def save(self, item: Any, condition: Condition, reason: Reason = CONFLICT) -> None:
        self._add("save", lambda t: t.save(item, condition=condition), reason)

    def update(
        self, item: Any, actions: Sequence[Action], condition: Condition | None = None, reason: Reason = CONFLICT
    ) -> None:
        self._add("update", lambda t: t.update(item, list(actions), condition=condition), reason)

    def commit(self, connection: Connection) -> None:
        # No client request token: retries are made safe by Powertools idempotency on the request, and a token tied
        # to the caller's key would make two different requests with equal keys fail for ten minutes.
        sent = [entry for kind in self._KINDS for entry in self._writes[kind]]
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                with TransactWrite(connection=connection) as transaction:
                    for _, write, _ in sent:
                        write(transaction)
            except TransactWriteError as exc:
                if exc.cause_response_code != "TransactionCanceledException":
                    raise DependencyUnavailable("The booking could not be saved; nothing was changed.") from exc
                reasons = exc.cancellation_reasons
                failed = [
                    sent[i] for i, r in enumerate(reasons) if r is not None and r.code == "ConditionalCheckFailed"
                ]
                if failed:
                    code, detail = min(failed, key=lambda entry: entry[0])[2]
                    raise Conflict(code, detail or "The request conflicts with the current state.") from None
                if any(r is not None and r.code == "TransactionConflict" for r in reasons) and (
                    attempt + 1 < TRANSACTION_ATTEMPTS
                ):
                    # Another transaction touched the same items at that moment; ours changed nothing: try again.
                    time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311 - jitter, not security
                    continue
                raise DependencyUnavailable("The booking could not be saved; nothing was changed.") from exc
            return


class DynamoBookingStore:
    def __init__(
        self,
        appointments: type[AppointmentItem],
        booking: type[BookingItem],
        connection: Connection,
        zone: tzinfo,
    ) -> None:
        self._appointments = appointments
        self._booking = booking
        self._connection = connection  # for transactions, which span both tables
        self._zone = zone

    # --- reads ----------------------------------------------------------------------------------------------------
    def taken(self, office: OfficeId, first_unit: str, last_unit: str) -> set[tuple[str, str]]:
        """(unit, agent) pairs taken between two unit keys (inclusive), one Query per month touched."""
        taken: set[tuple[str, str]] = set()
        month, last_month = first_unit[:7], last_unit[:7]
        units = self._booking.sk.between(first_unit, last_unit + "#\uffff")

        def query(month: str) -> list[BookingItem]:
            return list(self._booking.query(f"CAP#{office}#{month}", units, attributes_to_get=["sk"]))

        while month <= last_month:
            for row in self._read(query, month):
                unit, _, agent = row.sk.partition("#")
                taken.add((unit, agent))
            year, mon = int(month[:4]), int(month[5:7])
            month = f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"
        return taken

    def get(self, appointment_id: str) -> Appointment | None:
        def read() -> AppointmentItem | None:
            try:
                return self._appointments.get(appointment_id, consistent_read=True)
            except DoesNotExist:
                return None

        item = self._read(read)
        return from_item(item, self._zone) if item else None

    def of_citizen(self, citizen: str) -> list[Appointment]:
        return self._sorted(lambda: list(self._appointments.by_citizen.query(citizen)))

    def of_office_day(self, office: OfficeId, day: str) -> list[Appointment]:
        return self._sorted(lambda: list(self._appointments.by_office_day.query(f"{office}#{day}")))

    def _sorted(self, query: Callable[[], list[AppointmentItem]]) -> list[Appointment]:
        return sorted((from_item(i, self._zone) for i in self._read(query)), key=lambda a: a.start)

    def _read(self, read: Callable[..., T], *args: Any) -> T:
        try:
            return read(*args)
        except PynamoDBException as exc:
            raise DependencyUnavailable("The appointments could not be read.") from exc

    # --- writes ---------------------------------------------------------------------------------------------------
    def book(
        self,
        appointment: Appointment,
        max_active: int,
        max_contacts: int = MAX_CONTACTS,
        claim: RoundClaim | None = None,
    ) -> None:
        a = appointment
        writes = _Writes()
        if claim is not None:
            # Added first: a round another offer won is named so whatever else failed with it.
            b = self._booking
            writes.update(
                b(WAITLIST_ROUNDS, claim.round_key),
                [b.state.set(RoundState.WON.value), b.winner.set(claim.digest)],
                (b.state == RoundState.OPEN.value)
                & (b.batch == claim.batch)
                & (b.hold_until > int(claim.now.timestamp())),
                ("offer_taken", "This slot has already been taken."),
            )
        for unit in a.units:
            self._take(writes, a, unit, ("slot_unavailable", "That time is no longer available."))
        writes.save(
            to_item(self._appointments, a),
            self._appointments.id.does_not_exist(),
            ("conflict", "The appointment already exists."),
        )
        if a.citizen_contact:
            self._contact_limits(writes, a, a.citizen_contact, max_active, max_contacts)
        else:
            self._identity_limits(writes, a, max_active)
        writes.commit(self._connection)

    def _identity_limits(self, writes: _Writes, a: Appointment, max_active: int) -> None:
        """Booked with the identity proved, or by staff: every booking under the ID number counts."""
        b, citizen = self._booking, f"CIT#{a.citizen}"
        writes.save(b(citizen, f"SVC#{a.service_id}", appointment_id=a.id), b.pk.does_not_exist(), ALREADY_BOOKED)
        writes.check(b, (citizen, f"SVCN#{a.service_id}"), b.n.does_not_exist() | (b.n < 1), ALREADY_BOOKED)
        writes.update(
            b(citizen, "ACTIVE"), [b.active.add(1)], b.active.does_not_exist() | (b.active < max_active), TOO_MANY
        )

    def _contact_limits(self, writes: _Writes, a: Appointment, contact: str, max_active: int, cap: int) -> None:
        """Booked by a code sign-in: limits counted within (ID number, verified contact), and a cap on contacts."""
        b, citizen, scope = self._booking, f"CIT#{a.citizen}", _scope(a.citizen, contact)
        writes.save(b(scope, f"SVC#{a.service_id}", appointment_id=a.id), b.pk.does_not_exist(), ALREADY_BOOKED)
        writes.update(
            b(scope, "ACTIVE"), [b.active.add(1)], b.active.does_not_exist() | (b.active < max_active), TOO_MANY
        )
        # A contact already in the set keeps its place; a new one joins only while there is room.
        writes.update(
            b(citizen, "CONTACTS"),
            [b.contacts.add({contact})],
            b.contacts.does_not_exist() | b.contacts.contains(contact) | (size(b.contacts) < cap),
            ("online_limit_reached", ONLINE_LIMIT_REACHED),
        )
        writes.update(b(citizen, "ACTIVE"), [b.active.add(1)])
        writes.update(b(citizen, f"SVCN#{a.service_id}"), [b.n.add(1)])

    def cancel(self, appointment: Appointment, new_status: Status = Status.CANCELLED) -> None:
        a = appointment

        def writes() -> _Writes:
            w = _Writes()
            self._status(w, a, new_status, NO_LONGER_ACTIVE, held=True)
            for unit in a.units:
                self._release(w, a, unit)
            if a.status is Status.NEEDS_REBOOKING:
                w.delete(
                    self._booking(f"REBOOK#{a.office}", a.id),
                    self._booking.pk.exists() | self._booking.pk.does_not_exist(),
                )
            return w

        self._release_citizen(a, writes)

    def close(self, appointment: Appointment, new_status: Status, notes: str | None) -> None:
        """Record an outcome: the places stay taken (the time was used), the citizen's booking is freed."""
        a = appointment

        def writes() -> _Writes:
            w = _Writes()
            extra = [self._appointments.outcome_notes.set(notes)] if notes else []
            self._status(w, a, new_status, NO_LONGER_ACTIVE, extra)
            return w

        self._release_citizen(a, writes)

    def _release_citizen(self, a: Appointment, writes: Callable[[], _Writes]) -> None:
        """Commit ``writes()`` with the citizen's limits freed in the same transaction.

        A code sign-in's contact leaves the set of contacts when its last active booking ends; whether this one is
        the last is read first and made a condition of the write, so a booking by the same contact at that moment
        makes the write fail and it is tried again with a fresh read.
        """
        contact = a.citizen_contact
        for _ in range(TRANSACTION_ATTEMPTS):
            w = writes()
            if not contact:
                self._identity_release(w, a)
                w.commit(self._connection)
                return
            self._contact_release(w, a, contact, last=self._active_in(_scope(a.citizen, contact)) <= 1)
            try:
                w.commit(self._connection)
            except Conflict as exc:
                if exc.code == "legacy":
                    # Booked before limits were kept per contact: it is counted under the ID number alone.
                    contact = None
                elif exc.code != "stale":
                    raise
                continue
            return
        raise DependencyUnavailable("The appointment could not be updated; nothing was changed.")

    def _active_in(self, pk: str) -> int:
        def read() -> int:
            try:
                return int(self._booking.get(pk, "ACTIVE", consistent_read=True).active or 0)
            except DoesNotExist:
                return 0

        return self._read(read)

    def _identity_release(self, writes: _Writes, a: Appointment) -> None:
        b = self._booking
        writes.delete(b(f"CIT#{a.citizen}", f"SVC#{a.service_id}"), b.appointment_id == a.id)
        self._decrement(writes, f"CIT#{a.citizen}", "ACTIVE", "active")

    def _contact_release(self, writes: _Writes, a: Appointment, contact: str, last: bool) -> None:
        b, citizen, scope = self._booking, f"CIT#{a.citizen}", _scope(a.citizen, contact)
        writes.delete(b(scope, f"SVC#{a.service_id}"), b.appointment_id == a.id, ("legacy", ""))
        # The condition the read was made under: the last active booking of this contact, or one of several.
        writes.update(b(scope, "ACTIVE"), [b.active.add(-1)], b.active == 1 if last else b.active > 1, ("stale", ""))
        self._decrement(writes, citizen, "ACTIVE", "active")
        self._decrement(writes, citizen, f"SVCN#{a.service_id}", "n")
        if last:
            writes.update(b(citizen, "CONTACTS"), [b.contacts.delete({contact})])

    def reschedule(self, old: Appointment, new: Appointment) -> None:
        same_agent = old.agent == new.agent
        freed = [u for u in old.units if not (same_agent and u in set(new.units))]
        taken = [u for u in new.units if not (same_agent and u in set(old.units))]
        model, item = self._appointments, to_item(self._appointments, new)
        writes = _Writes()
        writes.update(
            model(old.id),
            [
                attribute.set(value)
                for name, attribute in model.get_attributes().items()
                if name != "id" and (value := getattr(item, name)) is not None
            ]
            + ([model.rebooking.remove()] if old.rebooking else []),
            model.status.is_in(*(s.value for s in HELD)) & (model.version == old.version),
            ("not_booked", "The appointment changed meanwhile; reload it."),
        )
        for unit in taken:
            self._take(
                writes,
                new,
                unit,
                ("slot_unavailable", "That time is no longer available; your appointment is unchanged."),
            )
        for unit in freed:
            self._release(writes, old, unit)
        if old.status is Status.NEEDS_REBOOKING:
            b = self._booking
            writes.delete(b(f"REBOOK#{old.office}", old.id), b.pk.exists() | b.pk.does_not_exist())
        writes.commit(self._connection)

    def reassign(self, appointment: Appointment, agent: str, units: tuple[str, ...] | None = None) -> Appointment:
        """Give a booked appointment to ``agent`` for the same time: the old agent's units deleted (still its), the
        new agent's put (free), the appointment's agent changed (same version): one transaction, or nothing.
        ``units``: the new agent's units when not all of them (a taken citizen's time already partly used by the
        taker's own appointment, which keeps its units)."""
        a = appointment
        moved = replace(a, agent=agent, version=a.version + 1, units=a.units if units is None else units)
        model = self._appointments
        writes = _Writes()
        writes.update(
            model(a.id),
            [model.agent.set(agent), model.version.set(moved.version), model.units.set(list(moved.units))],
            (model.status == Status.BOOKED.value) & (model.version == a.version),
            ("not_booked", "The appointment changed meanwhile."),
        )
        for unit in a.units:
            self._release(writes, a, unit)
        for unit in moved.units:
            self._take(writes, moved, unit, ("slot_unavailable", "That agent is no longer free then."))
        writes.commit(self._connection)
        return moved

    def suspend(self, appointment: Appointment, since: str, reason: str) -> Appointment:
        """Free the agent's units and mark the appointment ``needs_rebooking`` (its citizen's counters untouched:
        it still counts in their limits), listed in the office's "needs rebooking" entries: one transaction."""
        a = appointment
        rebooking = {"since": since, "reason": reason}
        done = replace(a, status=Status.NEEDS_REBOOKING, agent="", units=(), version=a.version + 1, rebooking=rebooking)
        model, b = self._appointments, self._booking
        writes = _Writes()
        writes.update(
            model(a.id),
            [
                model.status.set(Status.NEEDS_REBOOKING.value),
                model.agent.set(""),
                model.units.set([]),
                model.version.set(done.version),
                model.rebooking.set(rebooking),
            ],
            (model.status == Status.BOOKED.value) & (model.version == a.version),
            ("not_booked", "The appointment changed meanwhile."),
        )
        for unit in a.units:
            self._release(writes, a, unit)
        writes.save(b(f"REBOOK#{a.office}", a.id, appointment_id=a.id), b.pk.does_not_exist())
        writes.commit(self._connection)
        return done

    def needing_rebooking(self, office: OfficeId) -> list[Appointment]:
        """The office's appointments that need rebooking, by start."""
        ids = [row.sk for row in self._read(lambda: list(self._booking.query(f"REBOOK#{office}")))]
        found = [self.get(i) for i in ids]
        return sorted((a for a in found if a is not None and a.status is Status.NEEDS_REBOOKING), key=lambda a: a.start)

    def mark_reminder(self, appointment_id: str, which: str, value: str, claim: bool) -> bool:
        """Claim (only if not yet claimed or sent) or record a reminder; False when another run got there first."""
        model = self._appointments
        condition = (
            (model.status == Status.BOOKED.value) & model.reminders[which].does_not_exist()
            if claim
            else model.id.exists()
        )
        return self._update_if(appointment_id, [model.reminders[which].set(value)], condition)

    def record_identity_check(self, appointment_id: str, check: IdentityCheck) -> bool:
        """Store the agent's check while the appointment is booked; False when it no longer is."""
        model = self._appointments
        return self._update_if(
            appointment_id, [model.identity_check.set(check.to_item())], model.status == Status.BOOKED.value
        )

    def record_preflight(self, appointment_id: str, preflight: Preflight) -> bool:
        """Store the citizen's latest check while the appointment is booked; False when it no longer is."""
        model = self._appointments
        return self._update_if(
            appointment_id, [model.preflight.set(preflight.to_item())], model.status == Status.BOOKED.value
        )

    def raise_assurance(self, appointment_id: str, level: Assurance) -> bool:
        """Record that the citizen identified at ``level`` for this appointment (never lowers what is stored)."""
        model = self._appointments
        lower = [a.value for a in Assurance if a.rank < level.rank]
        unset = model.citizen_assurance.does_not_exist()
        below = unset | model.citizen_assurance.is_in(*lower) if lower else unset
        return self._update_if(
            appointment_id, [model.citizen_assurance.set(level.value)], (model.status == Status.BOOKED.value) & below
        )

    def unmark_reminder(self, appointment_id: str, which: str) -> None:
        try:
            self._appointments(appointment_id).update([self._appointments.reminders[which].remove()])
        except PynamoDBException as exc:
            raise DependencyUnavailable("The appointments could not be updated.") from exc

    def _update_if(self, appointment_id: str, actions: list[Action], condition: Condition) -> bool:
        try:
            self._appointments(appointment_id).update(actions, condition=condition)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable("The appointments could not be updated.") from exc
        return True

    # --- pieces ---------------------------------------------------------------------------------------------------
    def _take(self, writes: _Writes, a: Appointment, unit: str, reason: Reason) -> None:
        b = self._booking
        row = b(f"CAP#{a.office}#{unit[:7]}", f"{unit}#{a.agent}", appointment_id=a.id)
        writes.save(row, b.pk.does_not_exist(), reason)

    def _release(self, writes: _Writes, a: Appointment, unit: str) -> None:
        b = self._booking
        writes.delete(b(f"CAP#{a.office}#{unit[:7]}", f"{unit}#{a.agent}"), b.appointment_id == a.id)

    def _decrement(self, writes: _Writes, pk: str, sk: str, attribute: str) -> None:
        counter = getattr(self._booking, attribute)
        writes.update(self._booking(pk, sk), [counter.add(-1)], counter > 0)

    def _status(
        self,
        writes: _Writes,
        a: Appointment,
        status: Status,
        reason: Reason,
        extra: Sequence[Action] = (),
        held: bool = False,
    ) -> None:
        """``held``: from booked or needs_rebooking (a cancel); otherwise from booked only."""
        model = self._appointments
        if a.rebooking:
            extra = [*extra, model.rebooking.remove()]
        writes.update(
            model(a.id),
            [model.status.set(status.value), model.version.set(model.version + 1), *extra],
            model.status.is_in(*(s.value for s in HELD)) if held else model.status == Status.BOOKED.value,
            reason,
        )


def booking_store(
    appointments_table: str, booking_table: str, *, region: str, host: str | None, zone: tzinfo
) -> DynamoBookingStore:
    """The store on one stage's tables (the composition root, the dev scripts, the benches and tests build it so)."""
    return DynamoBookingStore(
        bound(AppointmentItem, appointments_table, region=region, host=host),
        bound(BookingItem, booking_table, region=region, host=host),
        Connection(region=region, host=host),
        zone,
    )
