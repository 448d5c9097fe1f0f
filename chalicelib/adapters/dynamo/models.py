"""PynamoDB models of our tables: the one way the adapters reach DynamoDB.

The classes here are unbound (no table). The composition root makes, once per stage, a subclass bound to the stage's
physical table, region and endpoint (``bound``) and hands it to the adapter; nothing global is ever changed, so two
stages (or two tests) never share a table or a connection. Each bound class caches its own connection.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

M = TypeVar("M", bound=Model)


def bound(base: type[M], table_name: str, *, region: str, host: str | None) -> type[M]:
    """A subclass of base bound to one physical table; the base and other stages' classes stay untouched."""
    meta = type("Meta", (), {"table_name": table_name, "region": region, "host": host})
    return type(base.__name__, (base,), {"Meta": meta, "__module__": base.__module__})


def connection_of(model: type[Model]) -> Connection:
    """The bound model's cached connection, for a ``TransactWrite`` over its table (no new client per request)."""
    return model._get_connection().connection


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


# --- procedures, documents, retention records, the council's registers, the trail's delivery state --------------------
class ProcedureByAppointment(GlobalSecondaryIndex["ProcedureItem"]):
    class Meta:
        index_name = "by_appointment"
        projection = AllProjection()

    appointment_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ProcedureItem(OpenItem):
    """A procedure carried out in an appointment (its form data, status, consent and documents as the service
    shapes them); a change is conditional on the status that was read."""

    class Meta:
        table_name = "unbound"

    by_appointment = ProcedureByAppointment()

    id = UnicodeAttribute(hash_key=True)
    appointment_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)


class _DocumentIndex(GlobalSecondaryIndex["DocumentItem"]):
    issued_at = UnicodeAttribute(range_key=True)


class DocumentByCsv(GlobalSecondaryIndex["DocumentItem"]):
    class Meta:
        index_name = "by_csv"
        projection = AllProjection()

    csv = UnicodeAttribute(hash_key=True)


class DocumentByOwner(_DocumentIndex):
    class Meta:
        index_name = "by_owner"
        projection = AllProjection()

    owner = UnicodeAttribute(hash_key=True)


class DocumentByAppointment(_DocumentIndex):
    class Meta:
        index_name = "by_appointment"
        projection = AllProjection()

    appointment_id = UnicodeAttribute(hash_key=True)


class DocumentItem(OpenItem):
    """An issued document or an attachment: CSV, SHA-256, S3 key, holder and owner; written once."""

    class Meta:
        table_name = "unbound"

    by_csv = DocumentByCsv()
    by_owner = DocumentByOwner()
    by_appointment = DocumentByAppointment()

    id = UnicodeAttribute(hash_key=True)
    csv = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    appointment_id = UnicodeAttribute(null=True)
    issued_at = UnicodeAttribute(null=True)


class RecordByAppointment(GlobalSecondaryIndex["RecordItem"]):
    class Meta:
        index_name = "by_appointment"
        projection = AllProjection()

    appointment_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class RecordByDay(GlobalSecondaryIndex["RecordItem"]):
    class Meta:
        index_name = "by_day"
        projection = AllProjection()

    day = UnicodeAttribute(hash_key=True)
    start = UnicodeAttribute(range_key=True)


class RecordsLive(GlobalSecondaryIndex["RecordItem"]):
    class Meta:
        index_name = "live"
        projection = AllProjection()

    live = UnicodeAttribute(hash_key=True)
    retain_until = UnicodeAttribute(range_key=True)


class RecordItem(OpenItem):
    """One recording or document in the retention register (see adapters/dynamo/records.py)."""

    class Meta:
        table_name = "unbound"

    by_appointment = RecordByAppointment()
    by_day = RecordByDay()
    live_index = RecordsLive()

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


class PersonById(GlobalSecondaryIndex["PersonItem"]):
    class Meta:
        index_name = "by_id_number"
        projection = AllProjection()

    id_number = UnicodeAttribute(hash_key=True)


class PersonByHousehold(GlobalSecondaryIndex["PersonItem"]):
    class Meta:
        index_name = "by_household"
        projection = AllProjection()

    household_id = UnicodeAttribute(hash_key=True)
    person_id = UnicodeAttribute(range_key=True)


class PersonItem(OpenItem):
    """A person in the padrón (read only)."""

    class Meta:
        table_name = "unbound"

    by_id_number = PersonById()
    by_household = PersonByHousehold()

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
