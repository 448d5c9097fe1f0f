"""The back office's catalogue (issue 15): administrators create and change offices and services over the API, with
versions, validation naming the field, audit with before and after; a new office and service are bookable at once."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.dynamo.models import CatalogueItem, StaffItem
from chalicelib.bootstrap import get_container
from chalicelib.domain.audit import AUDIT_ACTIONS, RequestContext
from chalicelib.domain.capacity import Affected, Handled
from chalicelib.domain.catalogue import Office
from chalicelib.domain.procedures import REGISTRY
from chalicelib.services.catalogue_admin import CatalogueAdmin
from dev.seed import DemoCounts
from tests.api.test_identity import body, get

WEEK = {day: [["00:00", "23:55"]] for day in ("1", "2", "3", "4", "5", "6", "7")}
OFFICE = {
    "id": "OBIB",
    "name": {"ca": "Biblioteca", "es": "Biblioteca", "en": "Library"},
    "address": "Carrer del Llibre, 3",
    "opening_hours": {"1": [["09:00", "14:00"]], "4": [["09:00", "14:00"], ["16:00", "19:00"]]},
}
SERVICE = {
    "id": "library-card",
    "office": "OBIB",
    "name": {"ca": "Carnet de biblioteca", "es": "Carné de biblioteca", "en": "Library card"},
    "description": {"ca": "Obtingueu el carnet", "es": "Obtenga el carné", "en": "Get your library card"},
    "duration_minutes": 15,
    "min_assurance": "low",
    "required_documents": [{"ca": "DNI", "es": "DNI", "en": "Identity document"}],
    "procedure": None,
    "enabled": True,
}


AT = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
A1 = Affected("a1", AT, "residence-certificate", "needs_rebooking")
A2 = Affected("a2", AT, "payment-letter", "cancelled")


class StandIn:
    """The capacity rules (``ports.CapacityRules``) standing in for the engine: a test overrides what it asks."""

    def agent_left(self, username: str, office: str, preview: bool, context: RequestContext) -> Handled:
        return Handled([])

    def office_changed(self, office: Office, preview: bool, context: RequestContext) -> Handled:
        return Handled([])

    def service_disabled(self, service_id: str, preview: bool, context: RequestContext) -> Handled:
        return Handled([])


def admin_token(username: str = "admin") -> str:
    container = get_container()
    account = container.staff.get(username)
    assert account is not None
    return container.sessions.issue_staff(account).token


def send(client: Client, method: str, path: str, payload: Any, token: str | None, **headers: str) -> Any:
    sent = {"Content-Type": "application/json", **headers, **({"Authorization": f"Bearer {token}"} if token else {})}
    return client.http.request(method, path, headers=sent, body=json.dumps(payload).encode())


@pytest.fixture
def admin(client: Client, demo: DemoCounts) -> str:
    client.http.get("/services")  # builds the container with the test client's environment
    return admin_token()


def fields(response: Any) -> list[str]:
    return [e["field"] for e in body(response)["errors"]]


def audit_events(action: str) -> list[Any]:
    container = get_container()
    day = container.booking.today().isoformat()
    events = container.audit_events.events_of_day(day)
    return [e for e in events if e.action == action and e.actor.id.startswith("staff:")]  # not the demo's loading


# --- offices -------------------------------------------------------------------------------------------------------


def test_an_admin_lists_creates_and_changes_an_office(client: Client, admin: str) -> None:
    listed = get(client, "/admin/offices", admin)
    assert listed.status_code == 200
    assert [o["id"] for o in body(listed)["items"]] == ["OGAT", "OMAC"]
    assert all(o["version"] >= 1 for o in body(listed)["items"])

    created = send(client, "POST", "/admin/offices", OFFICE, admin)
    assert created.status_code == 201, created.body
    office = body(created)
    assert office["version"] == 1
    assert office["timezone"] == "Europe/Madrid"  # the default
    assert office["kinds"] == []
    assert office["overflow_after_minutes"] == 5
    assert office["opening_hours"]["4"] == [["09:00", "14:00"], ["16:00", "19:00"]]
    assert office["opening_hours"]["7"] == []
    # The public list shows it at once, without the version.
    public = {o["id"]: o for o in json.loads(client.http.get("/offices").body)}
    assert "version" not in public["OBIB"]
    assert public["OBIB"]["name"] == OFFICE["name"]

    change = {**OFFICE, "address": "Plaça Nova, 1", "overflow_after_minutes": 10, "version": 1}
    changed = send(client, "PUT", "/admin/offices/OBIB", change, admin)
    assert changed.status_code == 200, changed.body
    assert body(changed)["affected"] == []
    assert body(changed)["office"]["version"] == 2
    assert body(changed)["office"]["address"] == "Plaça Nova, 1"

    [create] = audit_events("catalogue.office.create")
    [update] = audit_events("catalogue.office.update")
    assert create.actor.id == "staff:admin"
    assert create.details["before"] == "null"  # a create: nothing before it
    assert json.loads(create.details["after"])["id"] == "OBIB"
    assert json.loads(update.details["before"])["address"] == "Carrer del Llibre, 3"
    assert json.loads(update.details["after"])["address"] == "Plaça Nova, 1"
    assert {"catalogue.office.create", "catalogue.office.update"} <= AUDIT_ACTIONS


def test_a_taken_office_id_is_a_conflict(client: Client, admin: str) -> None:
    response = send(client, "POST", "/admin/offices", {**OFFICE, "id": "OMAC"}, admin)

    assert response.status_code == 409
    assert body(response)["code"] == "already_exists"


def test_a_stale_version_is_a_conflict_and_changes_nothing(client: Client, admin: str) -> None:
    assert send(client, "POST", "/admin/offices", OFFICE, admin).status_code == 201
    assert send(client, "PUT", "/admin/offices/OBIB", {**OFFICE, "version": 1}, admin).status_code == 200

    stale = send(client, "PUT", "/admin/offices/OBIB", {**OFFICE, "address": "Elsewhere", "version": 1}, admin)

    assert stale.status_code == 409
    assert body(stale)["code"] == "version_conflict"
    office = next(o for o in body(get(client, "/admin/offices", admin))["items"] if o["id"] == "OBIB")
    assert office["version"] == 2
    assert office["address"] == OFFICE["address"]


def test_two_admins_changing_one_office_at_once_one_wins(client: Client, admin: str) -> None:
    """Both read version 1 and save at the same moment: one is saved, the other told to read it again."""
    assert send(client, "POST", "/admin/offices", OFFICE, admin).status_code == 201
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def save(address: str) -> None:
        barrier.wait(timeout=30)
        change = {**OFFICE, "address": address, "version": 1}
        response = send(client, "PUT", "/admin/offices/OBIB", change, admin)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=save, args=(address,)) for address in ("First", "Second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [200, 409]
    office = next(o for o in body(get(client, "/admin/offices", admin))["items"] if o["id"] == "OBIB")
    assert office["version"] == 2
    assert len(audit_events("catalogue.office.update")) == 1


def test_an_office_stored_before_versions_reads_as_version_1(client: Client, admin: str) -> None:
    container = get_container()
    rows = container._table(CatalogueItem, container.settings.table_catalogue)
    stored = {k: v for k, v in OFFICE.items() if k != "id"}
    rows("OFFICE", "OOLD", body={**stored, "timezone": "Europe/Madrid"}).save()

    listed = next(o for o in body(get(client, "/admin/offices", admin))["items"] if o["id"] == "OOLD")
    changed = send(client, "PUT", "/admin/offices/OOLD", {**OFFICE, "address": "Nova", "version": 1}, admin)

    assert listed["version"] == 1
    assert changed.status_code == 200, changed.body
    assert body(changed)["office"]["version"] == 2
    stale = send(client, "PUT", "/admin/offices/OOLD", {**OFFICE, "version": 1}, admin)
    assert body(stale)["code"] == "version_conflict"


def test_an_unknown_office_is_not_found(client: Client, admin: str) -> None:
    response = send(client, "PUT", "/admin/offices/NOPE", {**OFFICE, "version": 1}, admin)

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "omac"}, "id"),
        ({"id": "O"}, "id"),
        ({"id": "ABCDEFGHIJK"}, "id"),
        ({"name": {"ca": "", "es": "x", "en": "x"}}, "name.ca"),
        ({"name": "Library"}, "name"),
        ({"name": {"ca": "x" * 121}}, "name.ca"),
        ({"timezone": "Europe/Vilademo"}, "timezone"),
        ({"timezone": 3}, "timezone"),
        ({"timezone": ["Europe/Madrid"]}, "timezone"),
        ({"kinds": [{"tax": 1}]}, "kinds"),
        ({"address": "x" * 201}, "address"),
        ({"kinds": ["museum"]}, "kinds"),
        ({"kinds": "tax"}, "kinds"),
        ({"opening_hours": {"8": []}}, "opening_hours"),
        ({"opening_hours": {"1": [["14:00", "09:00"]]}}, "opening_hours.1"),
        ({"opening_hours": {"2": [["09:00", "14:00"], ["13:00", "15:00"]]}}, "opening_hours.2"),
        ({"opening_hours": {"3": [["9:00", "14:00"]]}}, "opening_hours.3"),
        ({"opening_hours": None}, "opening_hours"),
        ({"overflow_after_minutes": 121}, "overflow_after_minutes"),
        ({"overflow_after_minutes": -1}, "overflow_after_minutes"),
        ({"overflow_after_minutes": True}, "overflow_after_minutes"),
    ],
)
def test_a_bad_office_is_refused_naming_the_field(
    client: Client, admin: str, change: dict[str, Any], field: str
) -> None:
    response = send(client, "POST", "/admin/offices", {**OFFICE, **change}, admin)

    assert response.status_code == 422, response.body
    assert field in fields(response)


@pytest.mark.parametrize(("version", "status"), [(None, 422), ("1", 422), (0, 422), (7, 409)])
def test_a_change_names_the_version_it_read(client: Client, admin: str, version: Any, status: int) -> None:
    omac = next(o for o in body(get(client, "/admin/offices", admin))["items"] if o["id"] == "OMAC")
    change = {k: v for k, v in omac.items() if k != "version"}
    if version is not None:
        change["version"] = version

    response = send(client, "PUT", "/admin/offices/OMAC", change, admin)

    assert response.status_code == status
    if status == 422:
        assert fields(response) == ["version"]


def test_an_office_keeps_the_kinds_its_services_procedures_need(client: Client, admin: str) -> None:
    ogat = next(o for o in body(get(client, "/admin/offices", admin))["items"] if o["id"] == "OGAT")

    response = send(client, "PUT", "/admin/offices/OGAT", {**ogat, "kinds": []}, admin)

    assert response.status_code == 422
    assert set(fields(response)) == {"kinds"}
    assert "payment-letter" in json.dumps(body(response))


def test_opening_hours_changed_are_handed_to_the_capacity_hook(client: Client, admin: str) -> None:
    """Shorter hours may leave appointments without an agent: the reassignment engine (a stand-in) says which."""
    calls: list[tuple[str, bool]] = []

    class Engine(StandIn):
        def office_changed(self, office: Office, preview: bool, context: RequestContext) -> Handled:
            calls.append((office.id, preview))
            return Handled([A1], None if preview else {"id": "job-1", "total": 30})

    container = get_container()
    container.catalogue_admin = CatalogueAdmin(container.catalogue_repository, container.audit, capacity=Engine())
    omac = next(o for o in body(get(client, "/admin/offices", admin))["items"] if o["id"] == "OMAC")
    shorter = {**omac, "opening_hours": {"1": [["09:00", "12:00"]]}}

    preview = send(client, "PUT", "/admin/offices/OMAC?preview=true", shorter, admin)
    assert preview.status_code == 200
    assert body(preview) == {"affected": [A1.as_json()]}
    assert body(get(client, "/admin/offices", admin))["items"][1]["version"] == omac["version"]  # nothing saved

    saved = send(client, "PUT", "/admin/offices/OMAC", shorter, admin)
    assert saved.status_code == 200
    assert body(saved)["job"] == {"id": "job-1", "total": 30}
    assert body(saved)["affected"][0]["appointment_id"] == "a1"
    # A change that leaves the hours as they were asks nothing.
    renamed = {**shorter, "address": "Plaça de la Vila, 2", "version": omac["version"] + 1}
    assert body(send(client, "PUT", "/admin/offices/OMAC", renamed, admin))["affected"] == []
    assert calls == [("OMAC", True), ("OMAC", False)]


# --- services ------------------------------------------------------------------------------------------------------


def test_a_new_office_and_service_are_listed_and_bookable_at_once(client: Client, admin: str) -> None:
    office = {**OFFICE, "opening_hours": WEEK}
    assert send(client, "POST", "/admin/offices", office, admin).status_code == 201
    created = send(client, "POST", "/admin/services", SERVICE, admin)
    assert created.status_code == 201, created.body
    assert body(created) == {
        **SERVICE,
        "buffer_minutes": 5,
        "min_notice_minutes": 120,
        "horizon_days": 60,
        "version": 1,
    }
    assert "library-card" in [s["id"] for s in body(client.http.get("/services?office=OBIB"))["items"]]
    assert get(client, "/services/library-card").status_code == 200
    # No agent works there yet: no slots.
    assert not [s for s in body(client.http.get("/services/library-card/slots"))["items"] if s["available"]]

    # An agent of the new office with a schedule there (the staff back office is another part of issue 15).
    container = get_container()
    staff = container._table(StaffItem, container.settings.table_staff)
    staff(
        "agent.obib",
        name="Agent Obib",
        email="agent.obib@vilademo.example",
        roles=["agent"],
        office="OBIB",
        enabled=True,
        schedule={"OBIB": WEEK},
    ).save()
    container.booking.forget_availability()  # the agent's schedule is read through its minute-long cache

    free = [s for s in body(client.http.get("/services/library-card/slots"))["items"] if s["available"]]
    assert free
    citizen = container.sessions.issue_citizen("12345678Z", _low(), "otp", "digest", None).token
    booking = {
        "service_id": "library-card",
        "start": free[0]["start"],
        "language": "ca",
        "contact": {"email": "rosa@example.org"},
    }
    booked = send(client, "POST", "/appointments", booking, citizen)
    assert booked.status_code == 201, booked.body
    assert body(booked)["office"] == "OBIB"


def _low() -> Any:
    from chalicelib.domain.catalogue import Assurance

    return Assurance.LOW


def test_a_disabled_service_is_listed_to_admins_only_and_reenabled(client: Client, admin: str) -> None:
    listed = body(get(client, "/admin/services?office=OMAC", admin))["items"]
    service = next(s for s in listed if s["id"] == "residence-certificate")
    assert service["enabled"] is True
    assert {s["office"] for s in listed} == {"OMAC"}

    off = send(client, "PUT", "/admin/services/residence-certificate", {**service, "enabled": False}, admin)
    assert off.status_code == 200, off.body
    assert body(off)["service"]["enabled"] is False
    assert body(off)["affected"] == []

    assert "residence-certificate" not in [s["id"] for s in body(client.http.get("/services"))["items"]]
    assert client.http.get("/services/residence-certificate").status_code == 404
    admins = body(get(client, "/admin/services", admin))["items"]
    assert next(s for s in admins if s["id"] == "residence-certificate")["enabled"] is False

    on = send(client, "PUT", "/admin/services/residence-certificate", {**service, "version": 2}, admin)
    assert on.status_code == 200
    assert "residence-certificate" in [s["id"] for s in body(client.http.get("/services"))["items"]]
    [before, after] = [json.loads(audit_events("catalogue.service.update")[0].details[k]) for k in ("before", "after")]
    assert (before["enabled"], after["enabled"]) == (True, False)


def test_disabling_a_service_is_handed_to_the_capacity_hook(client: Client, admin: str) -> None:
    calls: list[tuple[str, bool]] = []

    class Engine(StandIn):
        def service_disabled(self, service_id: str, preview: bool, context: RequestContext) -> Handled:
            calls.append((service_id, preview))
            return Handled([A2])

    container = get_container()
    container.catalogue_admin = CatalogueAdmin(container.catalogue_repository, container.audit, capacity=Engine())
    service = next(s for s in body(get(client, "/admin/services", admin))["items"] if s["id"] == "payment-letter")
    off = {**service, "enabled": False}

    preview = send(client, "PUT", "/admin/services/payment-letter?preview=true", off, admin)
    assert body(preview) == {"affected": [A2.as_json()]}
    assert "payment-letter" in [s["id"] for s in body(client.http.get("/services"))["items"]]  # nothing saved

    saved = send(client, "PUT", "/admin/services/payment-letter", off, admin)
    assert body(saved)["affected"] == [A2.as_json()]
    assert "job" not in body(saved)
    assert calls == [("payment-letter", True), ("payment-letter", False)]


def test_a_taken_service_id_and_a_stale_version_are_conflicts(client: Client, admin: str) -> None:
    taken = send(client, "POST", "/admin/services", {**SERVICE, "id": "payment-letter", "office": "OGAT"}, admin)
    assert taken.status_code == 409
    assert body(taken)["code"] == "already_exists"

    service = next(s for s in body(get(client, "/admin/services", admin))["items"] if s["id"] == "payment-letter")
    stale = send(client, "PUT", "/admin/services/payment-letter", {**service, "version": service["version"] + 1}, admin)
    assert stale.status_code == 409
    assert body(stale)["code"] == "version_conflict"


def test_a_service_stays_at_its_office(client: Client, admin: str) -> None:
    """Its booked appointments hold its office's agents: another office's service is a new service."""
    service = next(s for s in body(get(client, "/admin/services", admin))["items"] if s["id"] == "change-of-address")

    moved = send(client, "PUT", "/admin/services/change-of-address", {**service, "office": "OGAT"}, admin)

    assert moved.status_code == 422
    assert fields(moved) == ["office"]


def test_loading_the_demo_catalogue_again_changes_nothing(client: Client, admin: str) -> None:
    """The demo data goes through the administrators' use cases; a second run leaves every version as it was."""
    from dev.seed import DEMO, load_catalogue

    before = body(get(client, "/admin/services", admin))["items"], body(get(client, "/admin/offices", admin))["items"]

    load_catalogue(get_container().catalogue_admin, json.loads((DEMO / "catalogue.json").read_text(encoding="utf-8")))

    after = body(get(client, "/admin/services", admin))["items"], body(get(client, "/admin/offices", admin))["items"]
    assert after == before
    assert all(record["version"] == 1 for records in after for record in records)


def test_an_unknown_service_is_not_found(client: Client, admin: str) -> None:
    response = send(client, "PUT", "/admin/services/nope", {**SERVICE, "office": "OMAC", "version": 1}, admin)

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "ab"}, "id"),
        ({"id": "Library-Card"}, "id"),
        ({"id": "x" * 41}, "id"),
        ({"id": "-card"}, "id"),
        ({"office": "NOPE"}, "office"),
        ({"office": None}, "office"),
        ({"procedure": "juggling"}, "procedure"),
        ({"procedure": "payment_letter"}, "procedure"),  # a tax procedure at an office that is not a tax office
        ({"name": {"es": "Carné"}}, "name.ca"),
        ({"description": {"ca": "x" * 1001, "es": "x", "en": "x"}}, "description.ca"),
        ({"duration_minutes": 17}, "duration_minutes"),
        ({"duration_minutes": "15"}, "duration_minutes"),
        ({"duration_minutes": 240}, "duration_minutes"),  # with the default 5-minute buffer: over 240 minutes held
        ({"duration_minutes": 200, "buffer_minutes": 45}, "duration_minutes"),
        ({"buffer_minutes": 7}, "buffer_minutes"),
        ({"min_notice_minutes": 7 * 24 * 60 + 1}, "min_notice_minutes"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"min_assurance": "medium"}, "min_assurance"),
        ({"min_assurance": ["low"]}, "min_assurance"),
        ({"procedure": {"id": "payment_letter"}}, "procedure"),
        ({"required_documents": [{"ca": "DNI"}] * 11}, "required_documents"),
        ({"required_documents": [{"ca": ""}]}, "required_documents.0.ca"),
        ({"required_documents": "DNI"}, "required_documents"),
        ({"enabled": "yes"}, "enabled"),
    ],
)
def test_a_bad_service_is_refused_naming_the_field(
    client: Client, admin: str, change: dict[str, Any], field: str
) -> None:
    assert send(client, "POST", "/admin/offices", OFFICE, admin).status_code == 201

    response = send(client, "POST", "/admin/services", {**SERVICE, **change}, admin)

    assert response.status_code == 422, response.body
    assert field in fields(response)
    assert "library-card" not in [s["id"] for s in body(get(client, "/admin/services", admin))["items"]]


def test_a_tax_procedure_is_offered_by_a_tax_office(client: Client, admin: str) -> None:
    tax_office = {**OFFICE, "id": "OTAX", "kinds": ["tax"]}
    assert send(client, "POST", "/admin/offices", tax_office, admin).status_code == 201

    created = send(
        client, "POST", "/admin/services", {**SERVICE, "office": "OTAX", "procedure": "payment_letter"}, admin
    )

    assert created.status_code == 201, created.body
    assert body(created)["procedure"] == "payment_letter"


def test_an_idempotent_retry_answers_the_first_creation(client: Client, admin: str) -> None:
    first = send(client, "POST", "/admin/offices", OFFICE, admin, **{"Idempotency-Key": "office-obib-1"})
    again = send(client, "POST", "/admin/offices", OFFICE, admin, **{"Idempotency-Key": "office-obib-1"})

    assert first.status_code == again.status_code == 201
    assert body(first) == body(again)
    assert len(audit_events("catalogue.office.create")) == 1


# --- procedures ----------------------------------------------------------------------------------------------------


def test_the_procedure_modules_with_their_office_kinds_and_names(client: Client, admin: str) -> None:
    response = get(client, "/admin/procedures", admin)

    assert response.status_code == 200
    items = {p["id"]: p for p in body(response)["items"]}
    assert set(items) == set(REGISTRY)
    assert items["payment_letter"]["office_kinds"] == ["tax"]
    assert items["residence_certificate"]["office_kinds"] == []
    titles = {lang: REGISTRY["payment_letter"].title(lang) for lang in ("ca", "es", "en")}
    assert items["payment_letter"]["name"] == titles


# --- who may -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["agent.omac", "supervisor", "auditor"])
def test_other_staff_are_told_the_back_office_does_not_exist(client: Client, admin: str, username: str) -> None:
    token = admin_token(username)

    assert get(client, "/admin/offices", token).status_code == 404
    assert send(client, "POST", "/admin/offices", OFFICE, token).status_code == 404
    assert send(client, "POST", "/admin/services", SERVICE, token).status_code == 404
    assert get(client, "/admin/procedures", token).status_code == 404


def test_anonymous_callers_must_sign_in(client: Client, admin: str) -> None:
    assert get(client, "/admin/offices").status_code == 401
    assert send(client, "POST", "/admin/offices", OFFICE, None).status_code == 401


# --- a bad stored row ----------------------------------------------------------------------------------------------


def test_a_bad_stored_row_never_breaks_the_public_catalogue(
    client: Client, admin: str, caplog: pytest.LogCaptureFixture
) -> None:
    container = get_container()
    rows = container._table(CatalogueItem, container.settings.table_catalogue)
    rows("SERVICE", "broken-row", body={"office": "OMAC", "name": "not a text", "duration_minutes": "x"}).save()
    rows("OFFICE", "BROKEN", body={"name": {"ca": "Trencada"}, "opening_hours": {"9": []}}).save()
    container.catalogue.invalidate()

    services = client.http.get("/services")
    offices = client.http.get("/offices")

    assert services.status_code == 200
    assert "broken-row" not in [s["id"] for s in body(services)["items"]]
    assert "residence-certificate" in [s["id"] for s in body(services)["items"]]
    assert offices.status_code == 200
    assert "BROKEN" not in [o["id"] for o in json.loads(offices.body)]
    assert any("broken-row" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    assert get(client, "/admin/services", admin).status_code == 200
