"""In-memory implementations of the ports, for use-case tests. The contract tests in tests/api run the same
assertions against these and the DynamoDB adapters, so a fake cannot drift from the real thing."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from chalicelib.adapters.dynamo.booking import ONLINE_LIMIT_REACHED
from chalicelib.domain.appointments import Appointment, Status
from chalicelib.domain.audit import AuditEvent
from chalicelib.domain.calls import Call, MediaNode
from chalicelib.domain.catalogue import Assurance, Office, OfficeId, Service
from chalicelib.domain.errors import Conflict
from chalicelib.domain.identity_check import IdentityCheck


class InMemoryCatalogue:
    """The catalogue repository in a dict, counting how often the service list is read."""

    def __init__(self, services: list[Service] | None = None) -> None:
        self.services = {s.id: s for s in services or []}
        self.offices: dict[OfficeId, Office] = {}
        self.reads = 0

    def list_services(self) -> list[Service]:
        self.reads += 1
        return list(self.services.values())

    def get_service(self, service_id: str) -> Service | None:
        return self.services.get(service_id)

    def list_offices(self) -> list[Office]:
        return list(self.offices.values())

    def put_service(self, service: Service) -> None:
        self.services[service.id] = service

    def put_office(self, office: Office) -> None:
        self.offices[office.id] = office


class InMemoryAuditLog:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, event: AuditEvent) -> None:
        if any(e.id == event.id for e in self.events):
            raise Conflict("audit_event_exists", "An audit event is never overwritten.")
        self.events.append(event)

    def events_of_day(self, day: str) -> list[AuditEvent]:
        return sorted((e for e in self.events if e.day == day), key=lambda e: (e.at, e.id))


class FakeEidProvider:
    """The eID provider's client: the authorisation URL carries the state; any code identifies one person."""

    def __init__(self, id_number: str = "12345678Z") -> None:
        from chalicelib.auth.eid import EidIdentity
        from chalicelib.domain.catalogue import Assurance

        self.identity = EidIdentity(id_number, "Laia Puig", "idcat_mobil", Assurance.SUBSTANTIAL)

    def authorize_url(self, state: str, pkce: object) -> str:
        return f"https://eid.example/o/oauth2/auth?state={state}"

    def identify(self, code: str, verifier: str) -> object:
        return self.identity


Row = dict[str, Any]


class InMemoryBookingStore:
    """The booking store with the rows of DynamoDB's booking table (``chalicelib/adapters/dynamo/booking.py`` says
    which) in a dict: each change checks its conditions in the adapter's order and is kept whole or not at all."""

    def __init__(self, *appointments: Appointment) -> None:
        self.appointments: dict[str, Appointment] = {a.id: a for a in appointments}
        self.rows: dict[tuple[str, str], Row] = {}

    # --- reads ----------------------------------------------------------------------------------------------------
    def taken(self, office: OfficeId, first_unit: str, last_unit: str) -> set[tuple[str, str]]:
        found = set()
        for (pk, sk), _ in self.rows.items():
            prefix, _, month = pk.rpartition("#")
            in_range = first_unit[:7] <= month <= last_unit[:7] and first_unit <= sk <= last_unit + "#\uffff"
            if prefix == f"CAP#{office.value}" and in_range:
                unit, _, agent = sk.partition("#")
                found.add((unit, agent))
        return found

    def get(self, appointment_id: str) -> Appointment | None:
        return self.appointments.get(appointment_id)

    def of_citizen(self, citizen: str) -> list[Appointment]:
        return sorted((a for a in self.appointments.values() if a.citizen == citizen), key=lambda a: a.start)

    def of_office_day(self, office: OfficeId, day: str) -> list[Appointment]:
        found = (a for a in self.appointments.values() if a.office is office and a.start.date().isoformat() == day)
        return sorted(found, key=lambda a: a.start)

    # --- writes ---------------------------------------------------------------------------------------------------
    def book(self, appointment: Appointment, max_active: int, max_contacts: int = 2) -> None:
        a = appointment
        with self._transaction():
            for unit in a.units:
                self._put_new(_unit_key(a, unit), a.id, ("slot_unavailable", "That time is no longer available."))
            if a.id in self.appointments:
                raise Conflict("conflict", "The appointment already exists.")
            self.appointments[a.id] = a
            citizen, contact = f"CIT#{a.citizen}", a.citizen_contact
            if contact:
                scope = f"{citizen}#C#{contact}"
                self._put_new((scope, f"SVC#{a.service_id}"), a.id, _ALREADY)
                self._add((scope, "ACTIVE"), "active", 1, below=max_active)
                holding = self.rows.setdefault((citizen, "CONTACTS"), {}).setdefault("contacts", set())
                if contact not in holding and len(holding) >= max_contacts:
                    raise Conflict("online_limit_reached", ONLINE_LIMIT_REACHED)
                holding.add(contact)
                self._add((citizen, "ACTIVE"), "active", 1)
                self._add((citizen, f"SVCN#{a.service_id}"), "n", 1)
            else:
                self._put_new((citizen, f"SVC#{a.service_id}"), a.id, _ALREADY)
                if self.rows.get((citizen, f"SVCN#{a.service_id}"), {}).get("n", 0) >= 1:
                    raise Conflict(*_ALREADY)
                self._add((citizen, "ACTIVE"), "active", 1, below=max_active)

    def cancel(self, appointment: Appointment, new_status: Status = Status.CANCELLED) -> None:
        with self._transaction():
            self._set_status(appointment, new_status)
            for unit in appointment.units:
                self._delete_held(_unit_key(appointment, unit), appointment.id)
            self._release_citizen(appointment)

    def close(self, appointment: Appointment, new_status: Status, notes: str | None) -> None:
        with self._transaction():
            self._set_status(appointment, new_status, notes)
            self._release_citizen(appointment)

    def reschedule(self, old: Appointment, new: Appointment) -> None:
        with self._transaction():
            stored = self.appointments.get(old.id)
            if stored is None or stored.status is not Status.BOOKED or stored.version != old.version:
                raise Conflict("not_booked", "The appointment changed meanwhile; reload it.")
            # Like an update that sets what the new copy holds: what it leaves out stays as stored.
            kept = {f: getattr(stored, f) for f in _NULLABLE if getattr(new, f) is None}
            self.appointments[old.id] = replace(new, **kept)
            same_agent = old.agent == new.agent
            for unit in new.units:
                if not (same_agent and unit in old.units):
                    self._put_new(
                        _unit_key(new, unit),
                        new.id,
                        ("slot_unavailable", "That time is no longer available; your appointment is unchanged."),
                    )
            for unit in old.units:
                if not (same_agent and unit in new.units):
                    self._delete_held(_unit_key(old, unit), old.id)

    def mark_reminder(self, appointment_id: str, which: str, value: str, claim: bool) -> bool:
        stored = self.appointments.get(appointment_id)
        if stored is None or (claim and (not stored.is_active or which in stored.reminders)):
            return False
        self.appointments[appointment_id] = replace(stored, reminders={**stored.reminders, which: value})
        return True

    def unmark_reminder(self, appointment_id: str, which: str) -> None:
        stored = self.appointments.get(appointment_id)
        if stored is not None:
            reminders = {k: v for k, v in stored.reminders.items() if k != which}
            self.appointments[appointment_id] = replace(stored, reminders=reminders)

    def record_identity_check(self, appointment_id: str, check: IdentityCheck) -> bool:
        return self._change_booked(appointment_id, lambda a: replace(a, identity_check=check))

    def raise_assurance(self, appointment_id: str, level: Assurance) -> bool:
        stored = self.appointments.get(appointment_id)
        if stored is None or stored.citizen_assurance.rank >= level.rank:
            return False
        return self._change_booked(appointment_id, lambda a: replace(a, citizen_assurance=level))

    # --- pieces ---------------------------------------------------------------------------------------------------
    def _transaction(self) -> _Undo:
        return _Undo(self)

    def _change_booked(self, appointment_id: str, change: Callable[[Appointment], Appointment]) -> bool:
        stored = self.appointments.get(appointment_id)
        if stored is None or stored.status is not Status.BOOKED:
            return False
        self.appointments[appointment_id] = change(stored)
        return True

    def _set_status(self, appointment: Appointment, status: Status, notes: str | None = None) -> None:
        stored = self.appointments.get(appointment.id)
        if stored is None or stored.status is not Status.BOOKED:
            raise Conflict("not_booked", "The appointment is no longer active.")
        changed = replace(stored, status=status, version=stored.version + 1)
        self.appointments[appointment.id] = replace(changed, outcome_notes=notes) if notes else changed

    def _release_citizen(self, a: Appointment) -> None:
        citizen, contact = f"CIT#{a.citizen}", a.citizen_contact
        scope = f"{citizen}#C#{contact}"
        if contact and self.rows.get((scope, f"SVC#{a.service_id}"), {}).get("appointment_id") == a.id:
            del self.rows[(scope, f"SVC#{a.service_id}")]
            self._add((scope, "ACTIVE"), "active", -1)
            self._add((citizen, "ACTIVE"), "active", -1)
            self._add((citizen, f"SVCN#{a.service_id}"), "n", -1)
            if self.rows[(scope, "ACTIVE")]["active"] == 0:
                holding = self.rows[(citizen, "CONTACTS")]["contacts"]
                holding.discard(contact)
                if not holding:  # DynamoDB drops a set left empty
                    del self.rows[(citizen, "CONTACTS")]["contacts"]
            return
        # Booked with the identity proved, by staff, or by a code sign-in before limits were kept per contact.
        self._delete_held((citizen, f"SVC#{a.service_id}"), a.id)
        self._add((citizen, "ACTIVE"), "active", -1)

    def _put_new(self, key: tuple[str, str], appointment_id: str, refusal: tuple[str, str]) -> None:
        if key in self.rows:
            raise Conflict(*refusal)
        self.rows[key] = {"appointment_id": appointment_id}

    def _delete_held(self, key: tuple[str, str], appointment_id: str) -> None:
        if self.rows.get(key, {}).get("appointment_id") != appointment_id:
            raise Conflict("conflict", "The request conflicts with the current state.")
        del self.rows[key]

    def _add(self, key: tuple[str, str], counter: str, step: int, below: int | None = None) -> None:
        """Add ``step`` to a counter; an increment only while it is ``below`` a limit, a decrement only above 0."""
        row = self.rows.setdefault(key, {})
        value = row.get(counter, 0)
        if (below is not None and value >= below) or (step < 0 and value <= 0):
            raise Conflict(*(_TOO_MANY if below is not None else ("conflict", "")))
        row[counter] = value + step


class _Undo:
    """Restores the store as it was when the block raises: a refused change writes nothing."""

    def __init__(self, store: InMemoryBookingStore) -> None:
        self._store = store

    def __enter__(self) -> None:
        self._saved = (dict(self._store.appointments), copy.deepcopy(self._store.rows))

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if error is not None:
            self._store.appointments, self._store.rows = self._saved


_ALREADY = ("already_booked", "You already have an appointment for this service.")
_TOO_MANY = ("too_many_appointments", "You have as many appointments as you can hold at once.")
_NULLABLE = ("citizen_contact", "citizen_name", "outcome_notes", "identity_check")


def _unit_key(a: Appointment, unit: str) -> tuple[str, str]:
    return f"CAP#{a.office.value}#{unit[:7]}", f"{unit}#{a.agent}"


class InMemoryCallStore:
    """Calls, reports seen, recordings and the node registry in dicts, with the adapter's conditional writes."""

    def __init__(self) -> None:
        self.calls: dict[str, Call] = {}
        self.events: set[tuple[str, str]] = set()
        self.reports: dict[tuple[str, str], dict[str, Any]] = {}
        self.registry: dict[str, MediaNode | None] = {}  # None: a registration that is no node

    def get(self, appointment_id: str) -> Call | None:
        return self.calls.get(appointment_id)

    def many(self, appointment_ids: list[str]) -> dict[str, Call]:
        return {i: self.calls[i] for i in set(appointment_ids) if i in self.calls}

    def put(self, call: Call, replacing: Call | None) -> bool:
        return self._save_if(call, None if replacing is None else replacing.version)

    def save(self, call: Call, expected_version: int) -> bool:
        return self._save_if(call, expected_version)

    def _save_if(self, call: Call, version: int | None) -> bool:
        stored = self.calls.get(call.appointment_id)
        if (stored.version if stored else None) != version:
            return False
        self.calls[call.appointment_id] = call
        return True

    def claim_event(self, appointment_id: str, event_id: str) -> bool:
        if (appointment_id, event_id) in self.events:
            return False
        self.events.add((appointment_id, event_id))
        return True

    def forget_event(self, appointment_id: str, event_id: str) -> None:
        self.events.discard((appointment_id, event_id))

    def put_recording(self, appointment_id: str, room_id: str, recording: Mapping[str, Any]) -> None:
        report = {k: v for k, v in recording.items() if v is not None}
        self.reports[(appointment_id, room_id)] = report

    def recordings(self, appointment_id: str) -> list[dict[str, Any]]:
        return [
            {**report, "appointment_id": appointment_id, "sk": f"REC#{room}", "room_id": room}
            for (appointment, room), report in sorted(self.reports.items())
            if appointment == appointment_id
        ]

    def nodes(self) -> list[MediaNode]:
        return [n for n in self.registry.values() if n is not None]
