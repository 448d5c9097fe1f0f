"""Reading the catalogue. It changes rarely, so a warm function keeps it for a short while."""

from __future__ import annotations

import time
from collections.abc import Callable

from chalicelib.domain.catalogue import Office, OfficeId, Service
from chalicelib.domain.errors import FieldError, NotFound, ValidationFailed
from chalicelib.domain.procedures import REGISTRY
from chalicelib.domain.procedures.base import Procedure
from chalicelib.services.ports import CatalogueRepository


class CatalogueService:
    def __init__(
        self,
        repository: CatalogueRepository,
        cache_seconds: int = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._repository = repository
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cached: tuple[float, list[Service]] | None = None
        self._offices: tuple[float, list[Office]] | None = None

    def invalidate(self) -> None:
        """Read the catalogue afresh on next use (an administrator changed it in this process)."""
        self._cached = None
        self._offices = None

    def list_services(self, office: OfficeId | None = None) -> list[Service]:
        services = [s for s in self._all() if s.active]
        if office is not None:
            services = [s for s in services if s.office == office]
        return services

    def get_service(self, service_id: str) -> Service:
        for service in self.list_services():
            if service.id == service_id:
                return service
        raise NotFound(f"There is no service '{service_id}'.")

    def any_service(self, service_id: str) -> Service | None:
        """The service, enabled or not."""
        return next((s for s in self._all() if s.id == service_id), None)

    def all_services(self, office: OfficeId | None = None) -> list[Service]:
        """Every service, disabled ones too."""
        return [s for s in self._all() if office is None or s.office == office]

    def procedure_of(self, service_id: str) -> Procedure | None:
        """The procedure module an appointment for the service carries out (``Service.procedure``; None: a
        conversation-only service whose outcome the agent records). A disabled service's appointments keep theirs."""
        service = next((s for s in self._all() if s.id == service_id), None)
        return REGISTRY.get(service.procedure) if service is not None and service.procedure else None

    def office(self, office_id: OfficeId) -> Office:
        for office in self.offices():
            if office.id == office_id:
                return office
        raise NotFound(f"There is no office {office_id}.")

    def office_named(self, raw: object, field: str = "office") -> OfficeId | None:
        """The office a request names (absent or empty: None), or 422 listing the offices there are."""
        if raw is None or raw == "":
            return None
        known = [o.id for o in self.offices()]
        if raw not in known:
            raise ValidationFailed([FieldError(field, "one_of", choices=", ".join(known))])
        return str(raw)

    def offices(self) -> list[Office]:
        """Every office, by id."""
        now = self._clock()
        if self._offices is None or now - self._offices[0] >= self._cache_seconds:
            self._offices = (now, sorted(self._repository.list_offices(), key=lambda o: o.id))
        return self._offices[1]

    def _all(self) -> list[Service]:
        now = self._clock()
        if self._cached is None or now - self._cached[0] >= self._cache_seconds:
            self._cached = (now, sorted(self._repository.list_services(), key=lambda s: (s.office, s.id)))
        return self._cached[1]
