"""PynamoDB models of our tables.

Table names are bound at start-up from the settings (``bind``), not at import: the physical names come from the
stage's environment, which is only read on first use. Region and endpoint follow the standard AWS environment
(``AWS_REGION``, ``AWS_ENDPOINT_URL``), so the same models talk to moto locally and to DynamoDB in production.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class CatalogueItem(Model):
    """One row of the catalogue table: an office or a service (``kind``), with its attributes as a document."""

    class Meta:
        table_name = "unbound"

    kind = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    body: MapAttribute[str, Any] = MapAttribute()


class _AuditIndex(GlobalSecondaryIndex["AuditItem"]):
    at = UnicodeAttribute(range_key=True)


class AuditByActor(_AuditIndex):
    class Meta:
        index_name = "by_actor"
        projection = AllProjection()

    actor = UnicodeAttribute(hash_key=True)


class AuditBySubject(_AuditIndex):
    class Meta:
        index_name = "by_subject"
        projection = AllProjection()

    subject = UnicodeAttribute(hash_key=True)


class AuditByDataSubject(_AuditIndex):
    class Meta:
        index_name = "by_data_subject"
        projection = AllProjection()

    data_subject = UnicodeAttribute(hash_key=True)


class AuditItem(Model):
    class Meta:
        table_name = "unbound"

    by_actor = AuditByActor()
    by_subject = AuditBySubject()
    by_data_subject = AuditByDataSubject()

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


def bind(model: type[Model], table_name: str, region: str, host: str | None) -> None:
    """Point a model at its physical table (and the local endpoint, if any), dropping any cached connection."""
    model.Meta.table_name = table_name
    model.Meta.region = region
    model.Meta.host = host
    model._connection = None


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


class StaffByOffice(GlobalSecondaryIndex["StaffItem"]):
    class Meta:
        index_name = "by_office"
        projection = AllProjection()

    office = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute(range_key=True)


class StaffItem(Model):
    class Meta:
        table_name = "unbound"

    by_office = StaffByOffice()

    username = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    roles: ListAttribute[str] = ListAttribute()
    office = UnicodeAttribute(null=True)
    enabled = BooleanAttribute(default=True)
    password_hash = UnicodeAttribute(null=True)
    schedule: MapAttribute[str, Any] = MapAttribute(default=dict)  # office → weekday → [[HH:MM, HH:MM]]
    exceptions: ListAttribute[Any] = ListAttribute(null=True)  # [{date, kind: leave|extra, intervals, office}]


class NotificationItem(Model):
    class Meta:
        table_name = "unbound"

    message_id = UnicodeAttribute(hash_key=True)
    channel = UnicodeAttribute()
    template = UnicodeAttribute()
    sent_at = UnicodeAttribute()
    recipient = UnicodeAttribute()  # keyed hash: the log proves a message went out without holding the address
    expires_at = NumberAttribute()


M = TypeVar("M", bound=Model)


def bound(base: type[M], table_name: str, *, region: str, host: str | None) -> type[M]:
    """A subclass of base bound to one physical table; the base and other stages' classes stay untouched."""
    meta = type("Meta", (), {"table_name": table_name, "region": region, "host": host})
    return type(base.__name__, (base,), {"Meta": meta, "__module__": base.__module__})


# Bookings and calls


class _AppointmentsIndex(GlobalSecondaryIndex["AppointmentItem"]):
    start = UnicodeAttribute(range_key=True)


class AppointmentsByCitizen(_AppointmentsIndex):
    class Meta:
        index_name = "by_citizen"
        projection = AllProjection()

    citizen = UnicodeAttribute(hash_key=True)


class AppointmentsByOfficeDay(_AppointmentsIndex):
    class Meta:
        index_name = "by_office_day"
        projection = AllProjection()

    office_day = UnicodeAttribute(hash_key=True)


class AppointmentItem(Model):
    """One appointment; instants are ISO 8601 with their offset, ``office_day`` is ``<office>#<yyyy-mm-dd>``."""

    class Meta:
        table_name = "unbound"

    by_citizen = AppointmentsByCitizen()
    by_office_day = AppointmentsByOfficeDay()

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
