"""The back office's catalogue use cases over in-memory fakes: who may, what is saved, when the caches are dropped, and
when the capacity hooks run (after the change is in force, so the reassignment engine reads the new hours)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.api.commands import office_change, service_change
from chalicelib.auth.principal import Principal, Role
from chalicelib.domain.audit import RequestContext
from chalicelib.domain.capacity import Affected, Handled
from chalicelib.domain.catalogue import Office
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.services.catalogue_admin import CatalogueAdmin, Preview, Saved, system_admin
from tests.fakes import InMemoryAuditLog, InMemoryCatalogue

CONTEXT = RequestContext("unit")
HOURS = {"1": [["09:00", "14:00"]]}
OFFICE = {"id": "OBIB", "name": {"ca": "Biblioteca", "es": "Biblioteca", "en": "Library"}, "opening_hours": HOURS}
SERVICE = {
    "id": "library-card",
    "office": "OBIB",
    "name": {"ca": "Carnet", "es": "Carné", "en": "Card"},
    "description": {"ca": "Carnet", "es": "Carné", "en": "Card"},
    "duration_minutes": 15,
    "min_assurance": "low",
}


AT = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


def principal(*roles: Role) -> Principal:
    return Principal("someone", frozenset(roles), "token", datetime(2099, 1, 1, tzinfo=UTC))


ADMIN = principal(Role.ADMIN)


class World:
    def __init__(self) -> None:
        self.store = InMemoryCatalogue()
        self.audit = InMemoryAuditLog()
        self.dropped = 0
        self.hooked: list[tuple[str, bool, Any]] = []
        self.admin = CatalogueAdmin(
            self.store,
            self.audit,
            self.drop,
            capacity=self,
        )

    def drop(self) -> None:
        self.dropped += 1

    # The capacity rules (ports.CapacityRules), a stand-in that notes what it was asked and what was in force.
    def office_changed(self, office: Office, preview: bool, context: RequestContext) -> Handled:
        # Stored: the hours in force when it runs; proposed: the record it is handed.
        stored = self.store.offices[office.id].opening_hours.iso()["1"]
        self.hooked.append((office.id, preview, (stored, office.opening_hours.iso()["1"])))
        return Handled([Affected("a1", AT, "library-card", "reassigned", "agent.two")])

    def service_disabled(self, service: str, preview: bool, context: RequestContext) -> Handled:
        self.hooked.append((service, preview, self.store.services[service].active))
        return Handled([Affected("a2", AT, "library-card", "cancelled")], {"id": "job", "total": 26})

    def agent_left(self, username: str, office: str, preview: bool, context: RequestContext) -> Handled:
        raise AssertionError("no agent leaves in these tests")


@pytest.fixture
def world() -> World:
    found = World()
    found.admin.create_office(ADMIN, office_change(OFFICE), CONTEXT)
    found.admin.create_service(ADMIN, service_change(SERVICE), CONTEXT)
    return found


@pytest.mark.parametrize("roles", [(Role.AGENT,), (Role.SUPERVISOR,), (Role.AUDITOR,), (Role.CITIZEN,)])
def test_only_administrators_know_of_it_even_with_a_bad_body(world: World, roles: tuple[Role, ...]) -> None:
    caller = principal(*roles)
    with pytest.raises(NotFound):
        world.admin.offices(caller)
    with pytest.raises(NotFound):  # not a 422 about the body: the caller may not know the route exists
        world.admin.create_office(caller, office_change({"id": "bad"}), CONTEXT)
    with pytest.raises(NotFound):
        world.admin.update_service(caller, "library-card", service_change({}, service_id="library-card"), CONTEXT)
    with pytest.raises(NotFound):
        world.admin.procedures(caller)


def test_every_write_drops_the_caches_and_a_refused_or_previewed_one_does_not(world: World) -> None:
    assert world.dropped == 2  # the office and the service created
    shorter = {**OFFICE, "opening_hours": {"1": [["09:00", "12:00"]]}, "version": 1}

    assert isinstance(
        world.admin.update_office(ADMIN, "OBIB", office_change(shorter, office_id="OBIB"), CONTEXT, True), Preview
    )
    with pytest.raises(Conflict):
        world.admin.update_office(ADMIN, "OBIB", office_change({**shorter, "version": 5}, office_id="OBIB"), CONTEXT)
    with pytest.raises(ValidationFailed):
        world.admin.create_service(ADMIN, service_change({**SERVICE, "id": "other", "office": "NOPE"}), CONTEXT)
    assert world.dropped == 2

    world.admin.update_office(ADMIN, "OBIB", office_change(shorter, office_id="OBIB"), CONTEXT)
    assert world.dropped == 3


def test_shorter_hours_reach_the_engine_after_they_are_in_force(world: World) -> None:
    shorter = {**OFFICE, "opening_hours": {"1": [["09:00", "12:00"]]}, "version": 1}

    preview = world.admin.update_office(ADMIN, "OBIB", office_change(shorter, office_id="OBIB"), CONTEXT, preview=True)
    saved = world.admin.update_office(ADMIN, "OBIB", office_change(shorter, office_id="OBIB"), CONTEXT)

    assert isinstance(preview, Preview)
    assert isinstance(saved, Saved)
    assert (
        preview.affected == saved.affected == [Affected("a1", AT, "library-card", "reassigned", "agent.two").as_json()]
    )
    # The preview is handed the proposed hours while the stored ones stay (nothing saved); the change runs after
    # the new ones are in force.
    hours = [["09:00", "12:00"]]
    assert world.hooked == [("OBIB", True, ([["09:00", "14:00"]], hours)), ("OBIB", False, (hours, hours))]
    assert saved.record.version == 2


def test_disabling_a_service_reaches_the_engine_once_disabled(world: World) -> None:
    off = {**SERVICE, "enabled": False, "version": 1}

    saved = world.admin.update_service(ADMIN, "library-card", service_change(off, service_id="library-card"), CONTEXT)
    again = {**off, "description": {"ca": "Nou", "es": "Nuevo", "en": "New"}, "version": 2}
    still_off = world.admin.update_service(
        ADMIN, "library-card", service_change(again, service_id="library-card"), CONTEXT
    )

    assert isinstance(saved, Saved)
    assert saved.job == {"id": "job", "total": 26}
    assert isinstance(still_off, Saved)
    assert still_off.affected == []  # already disabled: nothing more to cancel
    assert world.hooked == [("library-card", False, False)]


def test_the_system_loading_the_demo_is_audited_as_the_system(world: World) -> None:
    world.admin.create_office(system_admin("dev-seed"), office_change({**OFFICE, "id": "OSYS"}), CONTEXT)

    event = world.audit.events[-1]
    assert (event.actor.id, event.actor.role) == ("system:dev-seed", "system")
    assert event.action == "catalogue.office.create"
    assert world.audit.events[0].actor.id == "staff:someone"
