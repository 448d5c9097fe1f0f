"""The catalogue on DynamoDB: one partition per kind (OFFICE, SERVICE), read with a Query, never a Scan."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo.models import CatalogueItem
from chalicelib.domain.catalogue import Assurance, Office, Service, Text, WeeklyHours

SERVICE = "SERVICE"
OFFICE = "OFFICE"


def service_to_document(service: Service) -> dict[str, Any]:
    return {
        **service.described(),
        "active": service.active,
        "buffer_minutes": service.buffer_minutes,
        "min_notice_minutes": service.min_notice_minutes,
        "horizon_days": service.horizon_days,
        "version": service.version,
    }


def service_from_document(service_id: str, doc: dict[str, Any]) -> Service:
    return Service(
        id=service_id,
        office=str(doc["office"]),
        name=Text.parse(doc["name"], "name"),
        description=Text.parse(doc["description"], "description"),
        duration_minutes=int(doc["duration_minutes"]),
        min_assurance=Assurance(doc["min_assurance"]),
        required_documents=tuple(Text.parse(d, "required_documents") for d in doc.get("required_documents", [])),
        procedure=doc.get("procedure"),
        active=bool(doc.get("active", True)),
        buffer_minutes=int(doc.get("buffer_minutes", 5)),
        min_notice_minutes=int(doc.get("min_notice_minutes", 120)),
        horizon_days=int(doc.get("horizon_days", 60)),
        version=int(doc.get("version", 1)),
    )


def office_to_document(office: Office) -> dict[str, Any]:
    return {
        "name": office.name.as_dict(),
        "address": office.address,
        "timezone": office.timezone,
        "opening_hours": office.opening_hours.iso(),
        "kinds": sorted(office.kinds),
        "overflow_after_minutes": office.overflow_after_minutes,
        "version": office.version,
    }


def office_from_document(office_id: str, doc: dict[str, Any]) -> Office:
    return Office(
        id=office_id,
        name=Text.parse(doc["name"], "name"),
        address=doc.get("address") or "",
        timezone=doc["timezone"],
        opening_hours=WeeklyHours.parse(doc["opening_hours"], "opening_hours"),
        kinds=frozenset(doc.get("kinds") or ()),
        overflow_after_minutes=int(doc.get("overflow_after_minutes", 5)),
        version=int(doc.get("version", 1)),
    )


class DynamoCatalogueRepository:
    def __init__(self, model: type[CatalogueItem]) -> None:
        self._model = model

    def list_services(self) -> list[Service]:
        return [service_from_document(item.id, item.body.as_dict()) for item in self._model.query(SERVICE)]

    def get_service(self, service_id: str) -> Service | None:
        try:
            item = self._model.get(SERVICE, service_id)
        except self._model.DoesNotExist:
            return None
        return service_from_document(item.id, item.body.as_dict())

    def list_offices(self) -> list[Office]:
        return [office_from_document(item.id, item.body.as_dict()) for item in self._model.query(OFFICE)]

    def put_service(self, service: Service) -> None:
        self._model(SERVICE, service.id, body=service_to_document(service)).save()

    def put_office(self, office: Office) -> None:
        self._model(OFFICE, office.id, body=office_to_document(office)).save()
