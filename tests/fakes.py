"""In-memory implementations of the ports, for use-case tests. The contract tests in tests/api run the same
assertions against these and the DynamoDB adapters, so a fake cannot drift from the real thing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from chalicelib.adapters.dynamo.models import without_none
from chalicelib.adapters.dynamo.trail import Cursor, Head
from chalicelib.auth.state import Challenge, Session
from chalicelib.domain.audit import AuditEvent
from chalicelib.domain.catalogue import Office, OfficeId, Service
from chalicelib.domain.errors import Conflict, DependencyUnavailable
from chalicelib.domain.trail import LogFileRef
from chalicelib.services.ports import StaffAccount


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
