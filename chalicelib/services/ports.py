"""The interfaces use cases depend on. Adapters implement them over AWS; tests hand in fakes or moto-backed ones."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.audit import AuditEvent
from chalicelib.domain.catalogue import Office, Service


class CatalogueRepository(Protocol):
    def list_services(self) -> list[Service]: ...

    def get_service(self, service_id: str) -> Service | None: ...

    def list_offices(self) -> list[Office]: ...

    def put_service(self, service: Service) -> None: ...

    def put_office(self, office: Office) -> None: ...


class AuditLog(Protocol):
    """Append-only: an event, once recorded, is never changed or removed."""

    def record(self, event: AuditEvent) -> None: ...

    def events_of_day(self, day: str) -> list[AuditEvent]: ...
