"""In-memory implementations of the ports, for use-case tests. The contract tests in tests/api run the same
assertions against these and the DynamoDB adapters, so a fake cannot drift from the real thing."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import tzinfo
from typing import Any

from chalicelib.adapters.dynamo.booking import ONLINE_LIMIT_REACHED
from chalicelib.adapters.dynamo.models import without_none
from chalicelib.adapters.dynamo.trail import Cursor, Head
from chalicelib.auth.state import Challenge, Session
from chalicelib.domain.appointments import Appointment, Status
from chalicelib.domain.audit import AuditEvent
from chalicelib.domain.calls import Call, MediaNode
from chalicelib.domain.catalogue import Assurance, Office, OfficeId, Service, Text, WeeklyHours
from chalicelib.domain.errors import Conflict, DependencyUnavailable
from chalicelib.domain.identity_check import IdentityCheck
from chalicelib.domain.preflight import Preflight
from chalicelib.domain.trail import LogFileRef
from chalicelib.services.ports import StaffAccount
from tests.zones import COUNCIL_ZONE


class ManualClock:
    """Monotonic seconds that only move when a test says so (``advance``, or setting ``now``)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def closed_office(office_id: OfficeId) -> Office:
    return Office(office_id, Text(ca=office_id), "", "Europe/Madrid", WeeklyHours({}))


class InMemoryCatalogue:
    """The catalogue repository in a dict, counting how often the service list is read."""

    def __init__(self, services: list[Service] | None = None, offices: list[Office] | None = None) -> None:
        self.services = {s.id: s for s in services or []}
        # Without offices given, the offices the services name, closed all week.
        named = offices or [closed_office(s.office) for s in self.services.values()]
        self.offices: dict[OfficeId, Office] = {o.id: o for o in named}
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

    # --- as administrators write it (``CatalogueStore``): a taken id and a stale version refused -----------------
    def get_office(self, office_id: str) -> Office | None:
        return self.offices.get(office_id)

    def create_office(self, office: Office) -> None:
        if office.id in self.offices:
            raise Conflict("already_exists", f"There is already an office {office.id}.")
        self.offices[office.id] = office

    def replace_office(self, office: Office, read_version: int) -> None:
        if office.id not in self.offices or self.offices[office.id].version != read_version:
            raise Conflict("version_conflict", f"The office {office.id} was changed by someone else.")
        self.offices[office.id] = office

    def create_service(self, service: Service) -> None:
        if service.id in self.services:
            raise Conflict("already_exists", f"There is already a service {service.id}.")
        self.services[service.id] = service

    def replace_service(self, service: Service, read_version: int) -> None:
        if service.id not in self.services or self.services[service.id].version != read_version:
            raise Conflict("version_conflict", f"The service {service.id} was changed by someone else.")
        self.services[service.id] = service


class InMemoryAuditLog:
    def __init__(self, zone: tzinfo = COUNCIL_ZONE) -> None:
        self.events: list[AuditEvent] = []
        self._zone = zone

    def record(self, event: AuditEvent) -> None:
        if any(e.id == event.id for e in self.events):
            raise Conflict("audit_event_exists", "An audit event is never overwritten.")
        self.events.append(event)

    def events_of_day(self, day: str) -> list[AuditEvent]:
        return sorted((e for e in self.events if e.day_in(self._zone) == day), key=lambda e: (e.at, e.id))


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


# --- stores of dict-shaped records: they keep what DynamoDB keeps ----------------------------------------------------
_stored = without_none  # the fakes keep what DynamoDB keeps


def _indexed(items: Iterable[dict[str, Any]], key: str, value: str, sort: str | None = None) -> list[dict[str, Any]]:
    """A query of a global secondary index: sparse (an item without the index's keys is not in it), sorted by its
    sort key."""
    found = [i for i in items if i.get(key) == value and (sort is None or sort in i)]
    return [_stored(i) for i in (sorted(found, key=lambda i: str(i[sort])) if sort else found)]


class InMemoryRecordStore:
    """The retention register (RecordStore) with DynamoRecordStore's conditions: a condition on a missing attribute
    is false."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}

    def put(self, record: Mapping[str, Any]) -> bool:
        if record["id"] in self.records:
            return False
        self.records[record["id"]] = _stored({**record, "live": "1"})
        return True

    def replace(self, record: Mapping[str, Any], expected_manifest: str) -> bool:
        existing = self.records.get(record["id"])
        if existing is None or "live" not in existing or existing.get("manifest_sha256") != expected_manifest:
            return False
        self.records[record["id"]] = _stored({**record, "live": "1"})
        return True

    def get(self, record_id: str) -> dict[str, Any] | None:
        found = self.records.get(record_id)
        return _stored(found) if found is not None else None

    def of_appointment(self, appointment_id: str) -> list[dict[str, Any]]:
        return _indexed(self.records.values(), "appointment_id", appointment_id, "created_at")

    def of_day(self, day: str) -> list[dict[str, Any]]:
        return _indexed(self.records.values(), "day", day, "start")

    def expired(self, now: str) -> list[str]:
        live = _indexed(self.records.values(), "live", "1", "retain_until")
        return [str(r["id"]) for r in live if r["retain_until"] <= now]

    def _change(self, record_id: str, condition: Callable[[dict[str, Any]], bool], **changes: Any) -> bool:
        record = self.records.get(record_id)
        if record is None or "live" not in record or not condition(record):
            return False
        record.update(_stored({k: v for k, v in changes.items() if v is not _REMOVE}))
        for k in [k for k, v in changes.items() if v is _REMOVE]:
            record.pop(k, None)
        return True

    def extend(self, record_id: str, retain_until: str, procedure_types: list[str]) -> bool:
        return self._change(
            record_id,
            lambda r: "retain_until" in r and r["retain_until"] < retain_until,
            retain_until=retain_until,
            procedure_types=procedure_types,
        )

    def place_hold(self, record_id: str, at: str) -> bool:
        return self._change(
            record_id,
            lambda r: True,
            legal_hold=True,
            legal_hold_changed_at=at,
            release_requested_by=_REMOVE,
            release_requested_at=_REMOVE,
        )

    def request_release(self, record_id: str, by: str, at: str) -> bool:
        return self._change(
            record_id,
            lambda r: r.get("legal_hold") is True and "release_requested_at" not in r,
            release_requested_by=by,
            release_requested_at=at,
        )

    def approve_release(self, record_id: str, requested_at: str, approver: str, at: str) -> bool:
        return self._change(
            record_id,
            lambda r: (
                r.get("legal_hold") is True
                and r.get("release_requested_at") == requested_at
                and "release_requested_by" in r
                and r["release_requested_by"] != approver
            ),
            legal_hold=False,
            legal_hold_changed_at=at,
            release_requested_by=_REMOVE,
            release_requested_at=_REMOVE,
        )

    def mark_deleted(self, record_id: str, now: str) -> bool:
        return self._change(
            record_id,
            lambda r: r.get("legal_hold") is False and "retain_until" in r and r["retain_until"] <= now,
            deleted=True,
            deleted_at=now,
            live=_REMOVE,
        )


_REMOVE = object()


class InMemoryProcedureStore:
    """Procedures and documents (ProcedureStore) with DynamoProcedureStore's conditions, and the PDFs in a dict."""

    def __init__(self) -> None:
        self.procedures: dict[str, dict[str, Any]] = {}
        self.documents: dict[str, dict[str, Any]] = {}
        self.pdfs: dict[str, bytes] = {}

    def put_procedure(self, record: Mapping[str, Any], expected_status: str | None = None) -> bool:
        existing = self.procedures.get(record["id"])
        if (existing is not None) if expected_status is None else (existing or {}).get("status") != expected_status:
            return False
        self.procedures[record["id"]] = _stored(record)
        return True

    def get_procedure(self, procedure_id: str) -> dict[str, Any] | None:
        found = self.procedures.get(procedure_id)
        return _stored(found) if found is not None else None

    def procedures_of(self, appointment_id: str) -> list[dict[str, Any]]:
        return _indexed(self.procedures.values(), "appointment_id", appointment_id, "created_at")

    def store_pdf(self, key: str, pdf: bytes, sha256_b64: str, content_type: str = "application/pdf") -> None:
        self.pdfs[key] = pdf

    def read_pdf(self, key: str) -> bytes:
        if key not in self.pdfs:
            raise DependencyUnavailable("The document could not be read.")
        return self.pdfs[key]

    def download_url(self, key: str, filename: str, seconds: int = 60) -> str:
        return f"https://documents.example/{key}?filename={filename}&expires={seconds}"

    def put_document(self, record: Mapping[str, Any]) -> None:
        if record["id"] in self.documents:  # DynamoDB refuses the conditional write: nothing is registered twice
            raise DependencyUnavailable("The document could not be registered.")
        self.documents[record["id"]] = _stored(record)

    def get_document(self, document_id: str) -> dict[str, Any] | None:
        found = self.documents.get(document_id)
        return _stored(found) if found is not None else None

    def document_by_csv(self, csv: str) -> dict[str, Any] | None:
        found = _indexed(self.documents.values(), "csv", csv)
        return found[0] if found else None

    def documents_of_owner(self, owner: str) -> list[dict[str, Any]]:
        return _indexed(self.documents.values(), "owner", owner, "issued_at")

    def documents_of_appointment(self, appointment_id: str) -> list[dict[str, Any]]:
        return _indexed(self.documents.values(), "appointment_id", appointment_id, "issued_at")


class InMemoryRegisters:
    """The padrón and the tax ledger (Registers), from rows as the seed writes them."""

    def __init__(self, people: Iterable[Mapping[str, Any]] = (), ledger: Iterable[Mapping[str, Any]] = ()) -> None:
        self.people = [_stored(p) for p in people]
        self.entries = [_stored(e) for e in ledger]

    def person(self, id_number: str) -> dict[str, Any] | None:
        found = _indexed(self.people, "id_number", id_number)
        return found[0] if found else None

    def household(self, household_id: str) -> list[dict[str, Any]]:
        return _indexed(self.people, "household_id", household_id, "person_id")

    def ledger(self, taxpayer_id: str) -> list[dict[str, Any]]:
        return _indexed(self.entries, "taxpayer_id", taxpayer_id, "item_id")


class InMemoryTrailState:
    """The trail's delivery state (TrailState): every move is conditional on the version that was read."""

    def __init__(self) -> None:
        self.current: Cursor | None = None
        self.top: Head | None = None
        self.files: dict[int, LogFileRef] = {}

    def cursor(self) -> Cursor | None:
        return self.current

    def start(self, cursor: Cursor) -> bool:
        if self.current is not None:
            return False
        self.current = cursor
        return True

    def advance(self, previous: Cursor, cursor: Cursor, log: LogFileRef | None, events: int) -> bool:
        if self.current is None or self.current.version != previous.version:
            return False
        if log is not None:
            if cursor.seq in self.files:
                return False
            self.files[cursor.seq] = replace(log, event_count=events)
        self.current = cursor
        return True

    def log_files(self, after_seq: int, limit: int) -> list[tuple[int, LogFileRef]]:
        return sorted((seq, ref) for seq, ref in self.files.items() if seq > after_seq)[:limit]

    def head(self) -> Head | None:
        return self.top

    def move_head(self, previous: Head | None, head: Head) -> bool:
        if (self.top is not None) if previous is None else (self.top is None or self.top.version != previous.version):
            return False
        self.top = head
        return True


class InMemoryAuthStore:
    """Sign-in state (AuthStore) with DynamoAuthStore's conditions: a new challenge or session starts unused and
    unrevoked, whatever the value says; writing one twice, or touching a session that does not exist, is refused."""

    def __init__(self) -> None:
        self.challenges: dict[str, Challenge] = {}
        self.pending: dict[str, str] = {}
        self.hits: dict[tuple[str, str, int], int] = {}
        self.sessions: dict[str, Session] = {}
        self.flows: dict[str, tuple[dict[str, Any], int]] = {}

    def put_challenge(self, challenge: Challenge) -> None:
        if challenge.id in self.challenges:
            raise Conflict("exists", "A challenge is written once.")
        self.challenges[challenge.id] = replace(challenge, attempts=0, used=False)

    def get_challenge(self, challenge_id: str) -> Challenge | None:
        return self.challenges.get(challenge_id)

    def record_attempt(self, challenge_id: str, max_attempts: int) -> int | None:
        challenge = self.challenges.get(challenge_id)
        if challenge is None or challenge.used or challenge.attempts >= max_attempts:
            return None
        self.challenges[challenge_id] = replace(challenge, attempts=challenge.attempts + 1)
        return challenge.attempts + 1

    def consume(self, challenge_id: str) -> bool:
        challenge = self.challenges.get(challenge_id)
        if challenge is None or challenge.used:
            return False
        self.challenges[challenge_id] = replace(challenge, used=True)
        return True

    def set_pending(self, key: str, challenge_id: str, expires_at: int) -> None:
        self.pending[key] = challenge_id

    def get_pending(self, key: str) -> str | None:
        return self.pending.get(key)

    def hit(self, scope: str, key: str, window_start: int, window_seconds: int, limit: int) -> bool:
        counted = self.hits.get((scope, key, window_start), 0)
        if counted >= limit:
            return False
        self.hits[(scope, key, window_start)] = counted + 1
        return True

    def put_session(self, session: Session) -> None:
        if session.token_id in self.sessions:
            raise Conflict("exists", "A session is written once.")
        self.sessions[session.token_id] = replace(session, revoked=False)

    def get_session(self, token_id: str) -> Session | None:
        return self.sessions.get(token_id)

    def touch_session(self, token_id: str, now: int) -> None:
        if token_id not in self.sessions:
            raise Conflict("missing", "No such session.")
        self.sessions[token_id] = replace(self.sessions[token_id], last_seen=now)

    def revoke_session(self, token_id: str) -> None:
        if token_id in self.sessions:
            self.sessions[token_id] = replace(self.sessions[token_id], revoked=True)

    def put_flow(self, state: str, data: dict[str, Any], expires_at: int) -> None:
        if state in self.flows:
            raise Conflict("exists", "An eID flow is written once.")
        self.flows[state] = (_stored(data), expires_at)

    def take_flow(self, state: str) -> tuple[dict[str, Any], int] | None:
        return self.flows.pop(state, None)


class InMemoryStaffDirectory:
    """Staff accounts (StaffDirectory); enabling or disabling an account that does not exist is refused."""

    def __init__(self, accounts: Iterable[StaffAccount] = ()) -> None:
        self.accounts = {a.username: a for a in accounts}

    def get(self, username: str) -> StaffAccount | None:
        return self.accounts.get(username)

    def set_enabled(self, username: str, enabled: bool) -> None:
        if username not in self.accounts:
            raise Conflict("missing", "No such account.")
        self.accounts[username] = replace(self.accounts[username], enabled=enabled)


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
            if prefix == f"CAP#{office}" and in_range:
                unit, _, agent = sk.partition("#")
                found.add((unit, agent))
        return found

    def get(self, appointment_id: str) -> Appointment | None:
        return self.appointments.get(appointment_id)

    def of_citizen(self, citizen: str) -> list[Appointment]:
        return sorted((a for a in self.appointments.values() if a.citizen == citizen), key=lambda a: a.start)

    def of_office_day(self, office: OfficeId, day: str) -> list[Appointment]:
        found = (a for a in self.appointments.values() if a.office == office and a.start.date().isoformat() == day)
        return sorted(found, key=lambda a: a.start)

    # --- writes ---------------------------------------------------------------------------------------------------
    def book(self, appointment: Appointment, max_active: int, max_contacts: int = 2, claim: object = None) -> None:
        if claim is not None:
            raise NotImplementedError("waitlist rounds are tested against DynamoDB (moto): tests/api/test_waitlist.py")
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

    def record_preflight(self, appointment_id: str, preflight: Preflight) -> bool:
        return self._change_booked(appointment_id, lambda a: replace(a, preflight=preflight))

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
    return f"CAP#{a.office}#{unit[:7]}", f"{unit}#{a.agent}"


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
