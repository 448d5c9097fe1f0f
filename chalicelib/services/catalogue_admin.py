"""The catalogue as administrators run it: offices, their services, and the procedure modules a service may carry out.

Every write goes through the policy (``MANAGE_CATALOGUE``: administrators), is conditional (a new id only if it is
free, a change only over the version read: ``CatalogueStore``) and audited with the record before and after. A
change is in force at once in this process (the catalogue's and the booking's caches are dropped through
``changed``); other processes read it within the catalogue cache's minute.

Removing capacity under booked appointments (an office's opening hours cut, a service disabled) is not this module's
to resolve: it hands the change to the capacity rules (``ports.CapacityRules``), which answer the affected
appointments and, for many, the job handling them. With ``preview`` nothing is saved and the rules say what each
appointment would get.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from chalicelib.auth.policy import Action, Resource, ResourceKind, require
from chalicelib.auth.principal import Principal, Role
from chalicelib.domain.audit import AuditEvent, Outcome, RequestContext, change_details
from chalicelib.domain.capacity import Handled
from chalicelib.domain.catalogue import Office, Service, Text
from chalicelib.domain.errors import FieldError, NotFound, ValidationFailed, version_conflict
from chalicelib.domain.procedures import REGISTRY
from chalicelib.services.commands import OfficeChange, Parsed, ServiceChange
from chalicelib.services.ports import AuditLog, CapacityRules, CatalogueStore
from chalicelib.texts import LANGUAGES

R = TypeVar("R")


# (office or service id, preview) → the affected appointments ({appointment_id, start, service_id, action, agent?})
# and the job handling them when there are many (``{id, total}``), else None.
def _outcome(handled: Handled) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    return [a.as_json() for a in handled.affected], handled.job


@dataclass(frozen=True)
class Saved(Generic[R]):
    """A saved change and the appointments it affected (``job``: handled in the background, when many)."""

    record: R
    affected: list[dict[str, Any]]
    job: dict[str, Any] | None = None


@dataclass(frozen=True)
class Preview:
    """What a change would do to booked appointments; nothing was saved."""

    affected: list[dict[str, Any]]


@dataclass(frozen=True)
class ProcedureModule:
    """A procedure the code has: the kinds of office that may offer it (none: any office), its title per language."""

    id: str
    office_kinds: tuple[str, ...]
    name: Text


class CatalogueAdmin:
    def __init__(
        self,
        store: CatalogueStore,
        audit: AuditLog,
        changed: Callable[[], None] = lambda: None,
        capacity: CapacityRules | None = None,
    ) -> None:
        self._store = store
        self._audit = audit
        self._changed = changed
        self._capacity = capacity

    # --- offices ------------------------------------------------------------------------------------------------
    def offices(self, caller: Principal) -> list[Office]:
        _allowed(caller)
        return sorted(self._store.list_offices(), key=lambda o: o.id)

    def create_office(self, caller: Principal, request: Parsed[OfficeChange], context: RequestContext) -> Office:
        _allowed(caller)
        office = replace(request.command().office, version=1)
        self._store.create_office(office)
        self._changed()
        self._audited(caller, "catalogue.office.create", f"office:{office.id}", context, None, office_record(office))
        return office

    def update_office(
        self,
        caller: Principal,
        office_id: str,
        request: Parsed[OfficeChange],
        context: RequestContext,
        preview: bool = False,
    ) -> Saved[Office] | Preview:
        _allowed(caller)
        current = self._store.get_office(office_id)
        if current is None:
            raise NotFound(f"There is no office {office_id}.")
        change = request.command()
        _same_version(change.version, current.version)
        wanted = replace(change.office, id=office_id, version=current.version + 1)
        self._check_kinds(wanted)
        hours_changed = (wanted.opening_hours, wanted.timezone) != (current.opening_hours, current.timezone)
        if preview:
            return Preview(self._office_changed(wanted, True, context)[0] if hours_changed else [])
        self._store.replace_office(wanted, current.version)
        self._changed()
        self._audited(
            caller,
            "catalogue.office.update",
            f"office:{office_id}",
            context,
            office_record(current),
            office_record(wanted),
        )
        # Capacity is resolved over the hours now in force (the caches above were dropped).
        affected, job = self._office_changed(wanted, False, context) if hours_changed else ([], None)
        return Saved(wanted, affected, job)

    def _office_changed(
        self, office: Office, preview: bool, context: RequestContext
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        if self._capacity is None:
            return [], None
        return _outcome(self._capacity.office_changed(office, preview, context))

    def _service_disabled(
        self, service_id: str, preview: bool, context: RequestContext
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        if self._capacity is None:
            return [], None
        return _outcome(self._capacity.service_disabled(service_id, preview, context))

    def _check_kinds(self, office: Office) -> None:
        """An office keeps the kinds its services' procedures need (a tax procedure, a tax office)."""
        missing = sorted(
            {
                (service.id, kind)
                for service in self._store.list_services()
                if service.office == office.id and service.procedure in REGISTRY
                for kind in REGISTRY[service.procedure].office_kinds - office.kinds
            }
        )
        if missing:
            raise ValidationFailed(
                [FieldError("kinds", "kinds_in_use", service=service, kind=kind) for service, kind in missing]
            )

    # --- services -----------------------------------------------------------------------------------------------
    def services(self, caller: Principal, office: str | None) -> list[Service]:
        """Every service (disabled ones too), of one office or all."""
        _allowed(caller)
        found = [s for s in self._store.list_services() if office is None or s.office == office]
        return sorted(found, key=lambda s: (s.office, s.id))

    def create_service(self, caller: Principal, request: Parsed[ServiceChange], context: RequestContext) -> Service:
        _allowed(caller)
        service = replace(request.command().service, version=1)
        self._check_service(service)
        self._store.create_service(service)
        self._changed()
        self._audited(
            caller, "catalogue.service.create", f"service:{service.id}", context, None, service_record(service)
        )
        return service

    def update_service(
        self,
        caller: Principal,
        service_id: str,
        request: Parsed[ServiceChange],
        context: RequestContext,
        preview: bool = False,
    ) -> Saved[Service] | Preview:
        _allowed(caller)
        current = self._store.get_service(service_id)
        if current is None:
            raise NotFound(f"There is no service '{service_id}'.")
        change = request.command()
        _same_version(change.version, current.version)
        wanted = replace(change.service, id=service_id, version=current.version + 1)
        if wanted.office != current.office:
            # Its booked appointments hold agents of its office: another office's service is a new service.
            raise ValidationFailed([FieldError("office", "office_fixed")])
        self._check_service(wanted)
        disabled = current.active and not wanted.active
        if preview:
            return Preview(self._service_disabled(service_id, True, context)[0] if disabled else [])
        self._store.replace_service(wanted, current.version)
        self._changed()
        self._audited(
            caller,
            "catalogue.service.update",
            f"service:{service_id}",
            context,
            service_record(current),
            service_record(wanted),
        )
        affected, job = self._service_disabled(service_id, False, context) if disabled else ([], None)
        return Saved(wanted, affected, job)

    def _check_service(self, service: Service) -> None:
        """Its office exists and may offer its procedure (an office of every kind the procedure needs)."""
        office = self._store.get_office(service.office)
        if office is None:
            raise ValidationFailed([FieldError("office", "unknown_office")])
        procedure = REGISTRY.get(service.procedure) if service.procedure is not None else None
        if service.procedure is not None and procedure is None:
            raise ValidationFailed([FieldError("procedure", "one_of", choices=", ".join(sorted(REGISTRY)))])
        if procedure is not None and not procedure.office_kinds <= office.kinds:
            kinds = ", ".join(sorted(procedure.office_kinds))
            raise ValidationFailed([FieldError("procedure", "procedure_office_kinds", kinds=kinds)])

    # --- procedures ---------------------------------------------------------------------------------------------
    def procedures(self, caller: Principal) -> list[ProcedureModule]:
        _allowed(caller)
        return [
            ProcedureModule(
                kind,
                tuple(sorted(procedure.office_kinds)),
                Text(**{language: procedure.title(language) for language in LANGUAGES}),
            )
            for kind, procedure in sorted(REGISTRY.items())
        ]

    def _audited(
        self,
        caller: Principal,
        action: str,
        subject: str,
        context: RequestContext,
        before: dict[str, Any] | None,
        after: dict[str, Any],
    ) -> None:
        self._audit.record(
            AuditEvent(
                actor=caller.actor,
                action=action,
                subject=subject,
                outcome=Outcome.SUCCESS,
                context=context,
                purpose="catalogue",
                details=change_details(before, after),
            )
        )


def _allowed(caller: Principal) -> None:
    require(caller, Action.MANAGE_CATALOGUE, Resource(ResourceKind.CATALOGUE))


def _same_version(sent: int | None, stored: int) -> None:
    if sent != stored:
        raise version_conflict()


def system_admin(component: str) -> Principal:
    """The service itself acting as an administrator (loading the demo catalogue): audited as ``system:<component>``."""
    from datetime import UTC, datetime

    return Principal(
        component, frozenset({Role.ADMIN}), "system", datetime.max.replace(tzinfo=UTC), extra={"system": "1"}
    )


def office_record(office: Office) -> dict[str, Any]:
    """An office as administrators read and write it (openapi ``AdminOffice``), and as its audit events show it."""
    return {**office.described(), "version": office.version}


def service_record(service: Service) -> dict[str, Any]:
    """A service as administrators read and write it (openapi ``AdminService``; ``enabled``: bookable)."""
    return {
        "id": service.id,
        **service.described(),
        "enabled": service.active,
        "buffer_minutes": service.buffer_minutes,
        "min_notice_minutes": service.min_notice_minutes,
        "horizon_days": service.horizon_days,
        "version": service.version,
    }
