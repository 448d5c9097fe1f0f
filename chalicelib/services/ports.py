"""The interfaces use cases depend on. Adapters implement them over AWS; tests hand in fakes or moto-backed ones."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

from chalicelib.adapters.dynamo.audit import EventQuery
from chalicelib.adapters.dynamo.trail import Cursor, Head
from chalicelib.auth.principal import Role
from chalicelib.auth.state import Challenge, Session
from chalicelib.domain import trail
from chalicelib.domain.appointments import Appointment, Status
from chalicelib.domain.audit import AuditEvent, RequestContext
from chalicelib.domain.calls import Call, MediaNode
from chalicelib.domain.capacity import Handled
from chalicelib.domain.catalogue import Assurance, Office, OfficeId, Service
from chalicelib.domain.identity_check import IdentityCheck
from chalicelib.domain.preflight import Preflight
from chalicelib.domain.procedures.base import DocumentDraft, Issuance
from chalicelib.domain.waitlist import Entry, Offer, OfferState, Round, RoundClaim, RoundState


class CatalogueRepository(Protocol):
    def list_services(self) -> list[Service]: ...

    def get_service(self, service_id: str) -> Service | None: ...

    def list_offices(self) -> list[Office]: ...

    def put_service(self, service: Service) -> None: ...

    def put_office(self, office: Office) -> None: ...


class CatalogueStore(CatalogueRepository, Protocol):
    """The catalogue as administrators write it: a create refused for a taken id (409 ``already_exists``), a
    replacement refused unless the record still has the version read (409 ``version_conflict``)."""

    def get_office(self, office_id: str) -> Office | None: ...

    def create_office(self, office: Office) -> None: ...

    def replace_office(self, office: Office, read_version: int) -> None: ...

    def create_service(self, service: Service) -> None: ...

    def replace_service(self, service: Service, read_version: int) -> None: ...


class CapacityRules(Protocol):
    """What happens to booked appointments when an admin write takes capacity away (``services.capacity``): each moves
    to a free agent of the office, or waits for the citizen to choose another time, or (a disabled service) is
    cancelled. Called after the write is saved, or with ``preview`` before it: then nothing is written."""

    def agent_left(self, username: str, office: OfficeId, preview: bool, context: RequestContext) -> Handled: ...

    def office_changed(self, office: Office, preview: bool, context: RequestContext) -> Handled: ...

    def service_disabled(self, service_id: str, preview: bool, context: RequestContext) -> Handled: ...


class AuditLog(Protocol):
    """Append-only: an event, once recorded, is never changed or removed."""

    def record(self, event: AuditEvent) -> None: ...

    def events_of_day(self, day: str) -> list[AuditEvent]: ...


@dataclass(frozen=True)
class StaffAccount:
    username: str
    name: str
    email: str
    roles: frozenset[Role]
    office: OfficeId | None
    enabled: bool
    password_hash: str | None
    # A staff token works only while it carries this value (a password set or reset, or disabling, raises it).
    session_epoch: int = 0


class StaffDirectory(Protocol):
    def get(self, username: str) -> StaffAccount | None: ...

    def set_enabled(self, username: str, enabled: bool) -> None: ...


@dataclass(frozen=True)
class StaffRecord:
    """A member of staff as the administrators see and change them (never a password hash or a link's token)."""

    username: str
    name: str
    email: str
    roles: tuple[str, ...]
    office: str | None
    enabled: bool
    activated: bool
    version: int
    schedule: dict[str, Any]  # office → ISO weekday → [[HH:MM, HH:MM]]
    exceptions: tuple[dict[str, Any], ...]
    schedule_version: int = 1  # the schedule's and its exceptions' own version (PUT …/schedule sends it)

    @property
    def enabled_admin(self) -> bool:
        return self.enabled and Role.ADMIN.value in self.roles


@dataclass(frozen=True)
class StaffLink:
    """The one single-use link (invitation or password reset) a member of staff may use now: its token's keyed hash."""

    digest: str
    purpose: str  # "invitation" | "reset"
    expires_at: int


class StaffAdminStore(Protocol):
    """The staff table as the administrators change it. Every write is conditional: on the version read (else
    ``version_conflict``), and, when it changes how many enabled administrators there are, on at least one staying
    (else ``last_admin``), in one transaction."""

    def records(self, office: str | None) -> list[StaffRecord]: ...

    def record(self, username: str) -> StaffRecord | None: ...

    def create(self, record: StaffRecord, link: StaffLink) -> None: ...

    def update(self, before: StaffRecord, after: StaffRecord, end_sessions: bool) -> None: ...

    def set_link(self, username: str, link: StaffLink) -> None: ...

    def link_of(self, digest: str, now: int) -> tuple[str, str] | None:
        """(username, purpose) of the link with this digest if it works now, else None; nothing is changed."""
        ...

    def use_link(self, digest: str, password_hash: str, now: int) -> tuple[str, str] | None:
        """Set the password of the link's holder and end their older sessions, once: (username, purpose), or None
        when no link with this digest works now (used, replaced, expired or never issued)."""
        ...


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar; method=PUBLISH"
    data: bytes


@dataclass(frozen=True)
class Message:
    channel: str  # "email" | "sms"
    to: str
    body: str
    template: str  # what kind of message, for the send log (never the body: it may hold a code)
    subject: str | None = None
    attachments: tuple[Attachment, ...] = ()


class Notifier(Protocol):
    def send(self, message: Message) -> str:
        """Hand the message to the email/SMS service; returns its message id."""
        ...


class Secrets(Protocol):
    def get(self, name: str) -> str: ...


class Outbox(Protocol):
    def messages(self, to: str | None = None) -> list[dict[str, Any]]: ...


class BookingStore(Protocol):
    """Appointments and the capacity they hold; every change is one all-or-nothing write with conditions."""

    def taken(self, office: OfficeId, first_unit: str, last_unit: str) -> set[tuple[str, str]]: ...

    def get(self, appointment_id: str) -> Appointment | None: ...

    def of_citizen(self, citizen: str) -> list[Appointment]: ...

    def of_office_day(self, office: OfficeId, day: str) -> list[Appointment]: ...

    def book(
        self, appointment: Appointment, max_active: int, max_contacts: int = ..., claim: RoundClaim | None = None
    ) -> None:
        """``claim``: a waitlist offer's round, won in the same transaction (``offer_taken`` once another offer has
        won it or its batch is no longer the one holding it). Refused with ``already_booked`` /
        ``too_many_appointments`` counted within what the booker can see: (ID number, verified contact) for a code
        sign-in's booking, the whole ID number otherwise; and with ``online_limit_reached`` when ``max_contacts``
        other contacts already hold bookings under the ID number."""

    def cancel(self, appointment: Appointment, new_status: Status = ...) -> None: ...

    def close(self, appointment: Appointment, new_status: Status, notes: str | None) -> None: ...

    def reschedule(self, old: Appointment, new: Appointment) -> None: ...

    def mark_reminder(self, appointment_id: str, which: str, value: str, claim: bool) -> bool: ...

    def unmark_reminder(self, appointment_id: str, which: str) -> None: ...

    def record_identity_check(self, appointment_id: str, check: IdentityCheck) -> bool: ...

    def raise_assurance(self, appointment_id: str, level: Assurance) -> bool: ...

    def record_preflight(self, appointment_id: str, preflight: Preflight) -> bool: ...


class AuthStore(Protocol):
    """Sign-in state: code challenges, rate-limit windows, sessions and eID flows (conditional writes throughout)."""

    def put_challenge(self, challenge: Challenge) -> None: ...

    def get_challenge(self, challenge_id: str) -> Challenge | None: ...

    def record_attempt(self, challenge_id: str, max_attempts: int) -> int | None: ...

    def consume(self, challenge_id: str) -> bool: ...

    def set_pending(self, key: str, challenge_id: str, expires_at: int) -> None: ...

    def get_pending(self, key: str) -> str | None: ...

    def hit(self, scope: str, key: str, window_start: int, window_seconds: int, limit: int) -> bool: ...

    def put_session(self, session: Session) -> None: ...

    def get_session(self, token_id: str) -> Session | None: ...

    def touch_session(self, token_id: str, now: int) -> None: ...

    def revoke_session(self, token_id: str) -> None: ...

    def put_flow(self, state: str, data: dict[str, Any], expires_at: int) -> None: ...

    def take_flow(self, state: str) -> tuple[dict[str, Any], int] | None: ...


class CallStore(Protocol):
    """Calls per appointment (room, node, live state), node reports seen, recordings, and the node registry."""

    def get(self, appointment_id: str) -> Call | None: ...

    def many(self, appointment_ids: list[str]) -> dict[str, Call]: ...

    def put(self, call: Call, replacing: Call | None) -> bool: ...

    def save(self, call: Call, expected_version: int) -> bool: ...

    def claim_event(self, appointment_id: str, event_id: str) -> bool: ...

    def forget_event(self, appointment_id: str, event_id: str) -> None: ...

    def put_recording(self, appointment_id: str, room_id: str, recording: Mapping[str, Any]) -> None: ...

    def recordings(self, appointment_id: str) -> list[dict[str, Any]]: ...

    def nodes(self) -> list[MediaNode]: ...


class Registers(Protocol):
    """The council's registers: the padrón and the tax ledger (reads; the caller audits them with a purpose)."""

    def person(self, id_number: str) -> dict[str, Any] | None: ...

    def household(self, household_id: str) -> list[dict[str, Any]]: ...

    def ledger(self, taxpayer_id: str) -> list[dict[str, Any]]: ...


class DocumentIssuer(Protocol):
    def issue(self, draft: DocumentDraft, issuance: Issuance) -> bytes:
        """The sealed PDF of a draft."""
        ...


class ProcedureStore(Protocol):
    def put_procedure(self, record: dict[str, Any], expected_status: str | None = None) -> bool: ...

    def get_procedure(self, procedure_id: str) -> dict[str, Any] | None: ...

    def procedures_of(self, appointment_id: str) -> list[dict[str, Any]]: ...

    def store_pdf(self, key: str, pdf: bytes, sha256_b64: str, content_type: str = "application/pdf") -> None: ...

    def download_url(self, key: str, filename: str, seconds: int = 60) -> str: ...

    def put_document(self, record: dict[str, Any]) -> None: ...

    def get_document(self, document_id: str) -> dict[str, Any] | None: ...

    def document_by_csv(self, csv: str) -> dict[str, Any] | None: ...

    def documents_of_owner(self, owner: str) -> list[dict[str, Any]]: ...

    def documents_of_appointment(self, appointment_id: str) -> list[dict[str, Any]]: ...


class RecordStore(Protocol):
    def put(self, record: Mapping[str, Any]) -> bool: ...

    def replace(self, record: Mapping[str, Any], expected_manifest: str) -> bool: ...

    def get(self, record_id: str) -> dict[str, Any] | None: ...

    def of_appointment(self, appointment_id: str) -> list[dict[str, Any]]: ...

    def of_day(self, day: str) -> list[dict[str, Any]]: ...

    def expired(self, now: str) -> list[str]: ...

    def extend(self, record_id: str, retain_until: str, procedure_types: list[str]) -> bool: ...

    def place_hold(self, record_id: str, at: str) -> bool: ...

    def request_release(self, record_id: str, by: str, at: str) -> bool: ...

    def approve_release(self, record_id: str, requested_at: str, approver: str, at: str) -> bool: ...

    def mark_deleted(self, record_id: str, now: str) -> bool: ...


class RecordObjects(Protocol):
    def read_json(self, bucket: str, key: str) -> dict[str, Any] | None: ...

    def keys_under(self, bucket: str, prefix: str) -> list[str]: ...

    def extend_retention(self, bucket: str, key: str, until: datetime) -> None: ...

    def set_legal_hold(self, bucket: str, key: str, on: bool) -> None: ...

    def delete_every_version(self, bucket: str, keys: list[str]) -> None: ...

    def presigned_get(self, bucket: str, key: str, seconds: int, content_type: str) -> str: ...


class EventStore(Protocol):
    def delivered_after(self, day: str, after: str, until: str, limit: int) -> list[tuple[str, AuditEvent]]: ...

    def search(self, query: EventQuery, limit: int) -> tuple[list[AuditEvent], str | None]: ...


class TrailState(Protocol):
    def cursor(self) -> Cursor | None: ...

    def start(self, cursor: Cursor) -> bool: ...

    def advance(self, previous: Cursor, cursor: Cursor, log: trail.LogFileRef | None, events: int) -> bool: ...

    def log_files(self, after_seq: int, limit: int) -> list[tuple[int, trail.LogFileRef]]: ...

    def head(self) -> Head | None: ...

    def move_head(self, previous: Head | None, head: Head) -> bool: ...


class TrailObjects(Protocol):
    def put(
        self, bucket: str, key: str, body: bytes, retain_until: datetime, metadata: Mapping[str, str] | None = None
    ) -> None: ...

    def get(self, bucket: str, key: str) -> bytes | None: ...

    def metadata(self, bucket: str, key: str) -> Mapping[str, str] | None: ...

    def list_keys(self, bucket: str, prefix: str) -> Iterator[str]: ...


class PublicKeys(Protocol):
    def public_keys(self, refresh: bool = False) -> dict[str, EllipticCurvePublicKey]:
        """The public keys by key id: the current signing key's and the previous ones still trusted."""
        ...


class Signer(PublicKeys, Protocol):
    """Signs with a key whose private half never leaves KMS (access tokens, the trail's digests)."""

    @property
    def key_id(self) -> str: ...

    def sign(self, message: bytes) -> bytes:
        """A DER-encoded ECDSA P-256 / SHA-256 signature of ``message``."""
        ...


class WaitlistStore(Protocol):
    """Waitlist entries in joining order per service, at most one per service within what the citizen can see;
    rounds of offers of freed slots and the offers themselves (``chalicelib/adapters/dynamo/waitlist.py``)."""

    def join(self, entry: Entry, expires_at: int) -> None: ...
    def entries(self, service_id: str) -> list[Entry]: ...
    def entries_of(self, citizen: str) -> list[Entry]: ...
    def entry_of(self, citizen: str, entry_id: str) -> Entry | None: ...
    def leave(self, entry: Entry) -> bool: ...
    def put_round(self, round_: Round, expires_at: int) -> bool: ...
    def round(self, key: str) -> Round | None: ...
    def open_rounds(self) -> list[Round]: ...
    def advance_round(self, old: Round, new: Round) -> bool: ...
    def close_round(self, old: Round, state: RoundState) -> bool: ...
    def put_offer(self, offer: Offer, expires_at: int) -> None: ...
    def offer(self, digest: str) -> Offer | None: ...
    def set_offer_state(self, digest: str, state: OfferState, only_from: OfferState = OfferState.SENT) -> bool: ...
