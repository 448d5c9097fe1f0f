"""The catalogue on DynamoDB: one partition per kind (OFFICE, SERVICE), read with a Query, never a Scan.

Administrators write it (``chalicelib/services/catalogue_admin.py``): a record is created only if its id is new and
replaced only if it still has the version the writer read (``body.version``), so two administrators never
overwrite each other. A stored row that no longer reads as a record (written by hand, by an older version) is left
out of the lists with an error in the log, never breaks them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from chalicelib.adapters.dynamo.errors import written
from chalicelib.adapters.dynamo.models import CatalogueItem
from chalicelib.domain.catalogue import Assurance, Office, Service, Text, WeeklyHours
from chalicelib.domain.errors import Conflict, version_conflict

LOG = logging.getLogger(__name__)
R = TypeVar("R")

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


def _readable(kind: str, items: Iterable[CatalogueItem], read: Callable[[str, dict[str, Any]], R]) -> list[R]:
    """Every row that reads as a record; a bad one is skipped and logged (the public catalogue must not break)."""
    found = []
    for item in items:
        try:
            found.append(read(item.id, item.body.as_dict()))
        except Exception:
            LOG.error("catalogue row %s/%s does not read as a record: skipped", kind, item.id, exc_info=True)
    return found


class DynamoCatalogueRepository:
    def __init__(self, model: type[CatalogueItem]) -> None:
        self._model = model

    def list_services(self) -> list[Service]:
        return _readable(SERVICE, self._model.query(SERVICE), service_from_document)

    def get_service(self, service_id: str) -> Service | None:
        found = _readable(SERVICE, self._get(SERVICE, service_id), service_from_document)
        return found[0] if found else None

    def list_offices(self) -> list[Office]:
        return _readable(OFFICE, self._model.query(OFFICE), office_from_document)

    def get_office(self, office_id: str) -> Office | None:
        found = _readable(OFFICE, self._get(OFFICE, office_id), office_from_document)
        return found[0] if found else None

    def put_service(self, service: Service) -> None:
        self._model(SERVICE, service.id, body=service_to_document(service)).save()

    def put_office(self, office: Office) -> None:
        self._model(OFFICE, office.id, body=office_to_document(office)).save()

    def create_office(self, office: Office) -> None:
        """Store a new office; 409 ``already_exists`` if its id is taken."""
        self._create(OFFICE, office.id, office_to_document(office))

    def replace_office(self, office: Office, read_version: int) -> None:
        """Store ``office`` over the record of ``read_version``; 409 ``version_conflict`` if it changed since."""
        self._replace(OFFICE, office.id, office_to_document(office), read_version)

    def create_service(self, service: Service) -> None:
        self._create(SERVICE, service.id, service_to_document(service))

    def replace_service(self, service: Service, read_version: int) -> None:
        self._replace(SERVICE, service.id, service_to_document(service), read_version)

    def _get(self, kind: str, key: str) -> list[CatalogueItem]:
        try:
            return [self._model.get(kind, key, consistent_read=True)]
        except self._model.DoesNotExist:
            return []

    def _create(self, kind: str, key: str, body: dict[str, Any]) -> None:
        item = self._model(kind, key, body=body)
        if not written(lambda: item.save(condition=self._model.id.does_not_exist()), "The catalogue is unavailable."):
            raise Conflict("already_exists", f"There is already a {kind.lower()} {key}.")

    def _replace(self, kind: str, key: str, body: dict[str, Any], read_version: int) -> None:
        item = self._model(kind, key, body=body)
        version = self._model.body["version"]
        # A row stored before records had versions reads as version 1.
        same = (version == read_version) | version.does_not_exist() if read_version == 1 else version == read_version
        condition = self._model.id.exists() & same
        if not written(lambda: item.save(condition=condition), "The catalogue is unavailable."):
            raise version_conflict()
