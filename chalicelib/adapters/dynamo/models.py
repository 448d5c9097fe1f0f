"""PynamoDB models of our tables.

Table names are bound at start-up from the settings (``bind``), not at import: the physical names come from the
stage's environment, which is only read on first use. Region and endpoint follow the standard AWS environment
(``AWS_REGION``, ``AWS_ENDPOINT_URL``), so the same models talk to moto locally and to DynamoDB in production.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute, UnicodeAttribute
from pynamodb.models import Model


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


def bind(model: type[Model], table_name: str, region: str, host: str | None) -> None:
    """Point a model at its physical table (and the local endpoint, if any), dropping any cached connection."""
    model.Meta.table_name = table_name
    model.Meta.region = region
    model.Meta.host = host
    model._connection = None
