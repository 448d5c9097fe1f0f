"""PynamoDB models of our tables: the one way the adapters reach DynamoDB.

The classes here are unbound (no table). The composition root makes, once per stage, a subclass bound to the stage's
physical table, region and endpoint (``bound``) and hands it to the adapter; nothing global is ever changed, so two
stages (or two tests) never share a table or a connection. Each bound class caches its own connection.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection import Connection
from pynamodb.connection import base as _pynamodb_connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters import aws


# PynamoDB builds a botocore session per model's connection (~0.2 s each on a cold Lambda): ours share the process's.
def _process_session(env_vars: Any = None) -> Any:
    return aws.botocore_session()


setattr(_pynamodb_connection, "get_session", _process_session)  # noqa: B010 (the name is not exported)

M = TypeVar("M", bound=Model)


@functools.cache
def bound(base: type[M], table_name: str, *, region: str, host: str | None) -> type[M]:
    """A subclass of base bound to one physical table; the base and other stages' classes stay untouched. One class
    per table and endpoint in a process: the class holds its connection, and a connection opens a botocore client
    (~10 ms), so containers built later (each test's) reuse it."""
    meta = type("Meta", (), {"table_name": table_name, "region": region, "host": host})
    return type(base.__name__, (base,), {"Meta": meta, "__module__": base.__module__})


def connection_of(model: type[Model]) -> Connection:
    """The bound model's cached connection, for a ``TransactWrite`` over its table (no new client per request)."""
    return model._get_connection().connection


def index(name: str, hash_key: str, range_key: str | None = None) -> GlobalSecondaryIndex[Any]:
    """A global secondary index as infra/resources.py describes ours: string keys, every attribute projected."""
    attributes: dict[str, Any] = {
        "Meta": type("Meta", (), {"index_name": name, "projection": AllProjection()}),
        hash_key: UnicodeAttribute(hash_key=True),
    }
    if range_key is not None:
        attributes[range_key] = UnicodeAttribute(range_key=True)
    made: GlobalSecondaryIndex[Any] = type(f"Index_{name}", (GlobalSecondaryIndex,), attributes)()
    return made


_RAW: MapAttribute[str, Any] = MapAttribute()


def without_none(value: Any) -> Any:
    """A value as DynamoDB gives it back: None left out at every level, tuples as lists, always a copy."""
    if isinstance(value, Mapping):
        return {k: without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [without_none(v) for v in value]
    return value


class OpenItem(Model):
    """An item the service shapes as a document (a procedure, a document, a retention record, a register row).

    The key, index and condition attributes are declared; every other attribute is stored as it comes, at the top
    level as before (None left out), and read back with whole numbers as ints. ``as_dict`` gives the whole item.
    """

    def __init__(
        self, hash_key: Any = None, range_key: Any = None, _user_instantiated: bool = True, **attributes: Any
    ) -> None:
        declared = self.get_attributes()
        self.extra: dict[str, Any] = {k: v for k, v in without_none(attributes).items() if k not in declared}
        super().__init__(
            hash_key, range_key, _user_instantiated, **{k: v for k, v in attributes.items() if k in declared}
        )

    def serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
        return {**_RAW.serialize(self.extra), **super().serialize(null_check)}

    @classmethod
    def from_raw_data(cls: type[Open], data: dict[str, Any]) -> Open:
        item = super().from_raw_data(data)
        declared = {attribute.attr_name for attribute in cls.get_attributes().values()}
        item.extra = _RAW.deserialize({k: v for k, v in data.items() if k not in declared})
        return item

    def as_dict(self) -> dict[str, Any]:
        declared = {name: getattr(self, name) for name in self.get_attributes()}
        return {**self.extra, **{k: v for k, v in declared.items() if v is not None}}


Open = TypeVar("Open", bound=OpenItem)


class CatalogueItem(Model):
    """One row of the catalogue table: an office or a service (``kind``), with its attributes as a document."""

    class Meta:
        table_name = "unbound"

    kind = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    body: MapAttribute[str, Any] = MapAttribute()


class AuditItem(Model):
    class Meta:
        table_name = "unbound"

    by_actor = index("by_actor", "actor", "at")
    by_subject = index("by_subject", "subject", "at")
    by_data_subject = index("by_data_subject", "data_subject", "at")

    day = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # ISO time + "#" + event id: ordered, unique
    event_id = UnicodeAttribute()
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    role = UnicodeAttribute()
    action = UnicodeAttribute()
    subject = UnicodeAttribute()
    outcome = UnicodeAttribute()
    request_id = UnicodeAttribute()
    source_ip = UnicodeAttribute(null=True)
    purpose = UnicodeAttribute(null=True)
    details: MapAttribute[str, Any] = MapAttribute(default=dict)
    data_subject = UnicodeAttribute(null=True)  # a citizen's pseudonym, never an ID number


# --- procedures, documents, retention records, the council's registers, the trail's delivery state --------------------
class ProcedureItem(OpenItem):
    """A procedure carried out in an appointment (its form data, status, consent and documents as the service
    shapes them); a change is conditional on the status that was read."""

    class Meta:
        table_name = "unbound"

    by_appointment = index("by_appointment", "appointment_id", "created_at")

    id = UnicodeAttribute(hash_key=True)
    appointment_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)


class DocumentItem(OpenItem):
    """An issued document or an attachment: CSV, SHA-256, S3 key, holder and owner; written once."""

    class Meta:
        table_name = "unbound"

    by_csv = index("by_csv", "csv")
    by_owner = index("by_owner", "owner", "issued_at")
    by_appointment = index("by_appointment", "appointment_id", "issued_at")

    id = UnicodeAttribute(hash_key=True)
    csv = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    appointment_id = UnicodeAttribute(null=True)
    issued_at = UnicodeAttribute(null=True)


class RecordItem(OpenItem):
    """One recording or document in the retention register (see adapters/dynamo/records.py)."""

    class Meta:
        table_name = "unbound"

    by_appointment = index("by_appointment", "appointment_id", "created_at")
    by_day = index("by_day", "day", "start")
    live_index = index("live", "live", "retain_until")

    id = UnicodeAttribute(hash_key=True)
    appointment_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    day = UnicodeAttribute(null=True)
    start = UnicodeAttribute(null=True)
    live = UnicodeAttribute(null=True)  # "1" while the record still has objects: the sparse index of the sweep
    retain_until = UnicodeAttribute(null=True)
    manifest_sha256 = UnicodeAttribute(null=True)
    procedure_types: ListAttribute[str] = ListAttribute(null=True)
    legal_hold = BooleanAttribute(null=True)
    legal_hold_changed_at = UnicodeAttribute(null=True)
    release_requested_by = UnicodeAttribute(null=True)
    release_requested_at = UnicodeAttribute(null=True)
    deleted = BooleanAttribute(null=True)
    deleted_at = UnicodeAttribute(null=True)


class PersonItem(OpenItem):
    """A person in the padrón (read only)."""

    class Meta:
        table_name = "unbound"

    by_id_number = index("by_id_number", "id_number")
    by_household = index("by_household", "household_id", "person_id")

    person_id = UnicodeAttribute(hash_key=True)
    id_number = UnicodeAttribute(null=True)
    household_id = UnicodeAttribute(null=True)


class LedgerItem(OpenItem):
    """One entry of a taxpayer's tax ledger (read only)."""

    class Meta:
        table_name = "unbound"

    taxpayer_id = UnicodeAttribute(hash_key=True)
    item_id = UnicodeAttribute(range_key=True)


class TrailItem(Model):
    """The audit trail's delivery state (see adapters/dynamo/trail.py): STATE/CURSOR, STATE/HEAD and LOG/<seq>."""

    class Meta:
        table_name = "unbound"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    version = NumberAttribute(null=True)  # every move of the cursor or the head is conditional on it
    # cursor
    day = UnicodeAttribute(null=True)
    after = UnicodeAttribute(null=True)
    seq = NumberAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    # a delivered log file, or the head digest
    bucket = UnicodeAttribute(null=True)
    object_key = UnicodeAttribute(attr_name="key", null=True)
    hash = UnicodeAttribute(null=True)
    oldest = UnicodeAttribute(null=True)
    newest = UnicodeAttribute(null=True)
    events = NumberAttribute(null=True)
    signature = UnicodeAttribute(null=True)
    end = UnicodeAttribute(null=True)
    files_through = NumberAttribute(null=True)


class AuthItem(Model):
    """Sign-in state in one table (``pk`` says what it is): CHALLENGE#, STAFFOTP#, RATE#, SESSION#, EID#.

    ``expires_at`` (epoch seconds) is the TTL attribute; DynamoDB deletes late, so readers check it themselves.
    """

    class Meta:
        table_name = "unbound"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = NumberAttribute()
    attempts = NumberAttribute(default=0)
    hits = NumberAttribute(null=True)  # rate-limit counter (``count`` is taken by Model)
    used = BooleanAttribute(default=False)
    revoked = BooleanAttribute(default=False)
    last_seen = NumberAttribute(null=True)
    data: MapAttribute[str, Any] = MapAttribute(default=dict)


class StaffItem(Model):
    class Meta:
        table_name = "unbound"

    by_office = index("by_office", "office", "username")

    username = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    roles: ListAttribute[str] = ListAttribute()
    office = UnicodeAttribute(null=True)
    enabled = BooleanAttribute(default=True)
    password_hash = UnicodeAttribute(null=True)
    schedule: MapAttribute[str, Any] = MapAttribute(default=dict)  # office → weekday → [[HH:MM, HH:MM]]
    exceptions: ListAttribute[Any] = ListAttribute(null=True)  # [{date, kind: leave|extra, intervals, office}]
    # The administrators' optimistic lock: 1 on create, +1 on each write (an item without one reads as 1).
    version = NumberAttribute(null=True)
    # Raised by a password set or reset and by disabling: a staff token carries the value it was issued under, and
    # one issued under an older value no longer works (chalicelib/services/identity.py, Sessions.authenticate).
    session_epoch = NumberAttribute(null=True)
    # The one invitation or password-reset link that works now: the keyed hash of its token, what it is for and
    # until when (epoch seconds). A new link replaces it; using it removes it (a conditional write: once).
    token_digest = UnicodeAttribute(null=True)
    token_purpose = UnicodeAttribute(null=True)
    token_expires = NumberAttribute(null=True)
    # +1 on each write of the schedule or its exceptions (a write names the version it read: no lost update)
    schedule_version = NumberAttribute(null=True)


# The staff table's one item that is not a person: how many enabled administrators there are. Every write that
# changes that number changes this item in the same transaction, on the condition that it stays at least 1.
STAFF_COUNTER_KEY = "#enabled-admins"


class StaffCounterItem(Model):
    class Meta:
        table_name = "unbound"

    username = UnicodeAttribute(hash_key=True)
    admins = NumberAttribute(null=True)


class NotificationItem(Model):
    class Meta:
        table_name = "unbound"

    message_id = UnicodeAttribute(hash_key=True)
    channel = UnicodeAttribute()
    template = UnicodeAttribute()
    sent_at = UnicodeAttribute()
    recipient = UnicodeAttribute()  # keyed hash: the log proves a message went out without holding the address
    expires_at = NumberAttribute()


# Bookings and calls


class AppointmentItem(Model):
    """One appointment; instants are ISO 8601 with their offset, ``office_day`` is ``<office>#<yyyy-mm-dd>``."""

    class Meta:
        table_name = "unbound"

    by_citizen = index("by_citizen", "citizen", "start")
    by_office_day = index("by_office_day", "office_day", "start")

    id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute()
    office = UnicodeAttribute()
    office_day = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    status = UnicodeAttribute()
    citizen = UnicodeAttribute()
    citizen_contact = UnicodeAttribute(null=True)  # keyed hash of the verified contact of a code sign-in
    citizen_name = UnicodeAttribute(null=True)
    contact: MapAttribute[str, Any] = MapAttribute(default=dict)  # email and/or phone
    language = UnicodeAttribute()
    agent = UnicodeAttribute(default="")
    units: ListAttribute[str] = ListAttribute(default=list)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    version = NumberAttribute(default=1)  # not a VersionAttribute: the store writes its conditions itself
    reminders: MapAttribute[str, Any] = MapAttribute(default=dict)  # which → when claimed or sent
    outcome_notes = UnicodeAttribute(null=True)
    citizen_assurance = UnicodeAttribute(null=True)
    identity_check: MapAttribute[str, Any] = MapAttribute(null=True)
    rebooking: MapAttribute[str, Any] = MapAttribute(null=True)  # while needs_rebooking: {since, reason}
    preflight: MapAttribute[str, Any] = MapAttribute(null=True)  # the citizen's latest device and connection check


class BookingItem(Model):
    """Capacity and limits (``chalicelib/adapters/dynamo/booking.py`` says which rows hold what)."""

    class Meta:
        table_name = "unbound"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    appointment_id = UnicodeAttribute(null=True)  # who holds a unit or a service
    active = NumberAttribute(null=True)  # active appointments counted in this scope
    n = NumberAttribute(null=True)  # active appointments for one service booked by code sign-ins
    contacts = UnicodeSetAttribute(null=True)  # verified contacts holding bookings under an ID number
    # The waitlist's rows (``chalicelib/adapters/dynamo/waitlist.py``): an entry, a round of offers, an offer.
    data = UnicodeAttribute(null=True)  # the entry, round or offer as JSON
    state = UnicodeAttribute(null=True)  # a round's or an offer's state
    batch = NumberAttribute(null=True)  # a round's current batch
    hold_until = NumberAttribute(null=True)  # a round's hold end (epoch seconds)
    winner = UnicodeAttribute(null=True)  # the accepted offer's digest
    expires_at = NumberAttribute(null=True)  # TTL of the waitlist's rows


class CallItem(Model):
    """A row of the calls table: ``CALL`` (the live call), ``EVT#<id>`` (a report seen) or ``REC#<room>``."""

    class Meta:
        table_name = "unbound"

    appointment_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    room_id = UnicodeAttribute(null=True)
    node_id = UnicodeAttribute(null=True)
    media_url = UnicodeAttribute(null=True)
    state = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    waiting_since = UnicodeAttribute(null=True)
    participants: MapAttribute[str, Any] = MapAttribute(null=True)
    recording = UnicodeAttribute(null=True)  # CALL: whether the call is being recorded
    report: MapAttribute[str, Any] = MapAttribute(null=True)  # REC#: what the node reported of the recording
    ended_at = UnicodeAttribute(null=True)
    admitted_at = UnicodeAttribute(null=True)  # CALL: when the citizen was first admitted
    version = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # TTL of EVT# rows


class MediaNodeItem(Model):
    """A media node's heartbeat, written by the node itself (``media-node/src/videoatencion_media/registry.py``)."""

    class Meta:
        table_name = "unbound"

    node_id = UnicodeAttribute(hash_key=True)
    url = UnicodeAttribute(null=True)
    rooms = NumberAttribute(null=True)
    participants = NumberAttribute(null=True)
    max_rooms = NumberAttribute(null=True)
    cpu = NumberAttribute(null=True)
    draining = BooleanAttribute(null=True)
    heartbeat_at = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)
