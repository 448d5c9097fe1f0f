"""PynamoDB models of our tables.

Table names are bound at start-up from the settings (``bind``), not at import: the physical names come from the
stage's environment, which is only read on first use. Region and endpoint follow the standard AWS environment
(``AWS_REGION``, ``AWS_ENDPOINT_URL``), so the same models talk to moto locally and to DynamoDB in production.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
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
