"""The supervisor's figures (issue 15): ``GET /stats`` and ``GET /stats.csv`` over a small seeded world."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_container
from chalicelib.domain.appointments import Status
from chalicelib.domain.calls import Call, apply
from dev.seed import DemoCounts
from tests.api.test_identity import body, get, staff_token
from tests.api.test_procedures import appointment
from tests.zones import COUNCIL_ZONE

DAY = datetime(2025, 3, 3, tzinfo=COUNCIL_ZONE)  # a Monday long before the demo's appointments
PERIOD = "from=2025-03-03&to=2025-03-04"


def at(hour: int, minute: int) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


def booked(service: str, start: datetime, status: Status = Status.BOOKED, office: str = "OMAC") -> str:
    """An appointment at ``start`` (council time), left in ``status``."""
    appointment_id = appointment(service, office, citizen=new_id_number(), start=start)
    if status is not Status.BOOKED:
        store = get_container().booking_store
        found = store.get(appointment_id)
        assert found is not None
        if status is Status.CANCELLED:
            store.cancel(found)
        else:
            store.close(found, status, None)
    return appointment_id


def new_id_number() -> str:
    """A valid DNI nobody else here has (one active appointment per service and person)."""
    number = uuid.uuid4().int % 10**8
    return f"{number:08d}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"


def call(appointment_id: str, events: list[tuple[str, str, datetime]]) -> Call:
    """The call of an appointment after the media node's reports ``(type, role, at)``, as stored."""
    room = f"r-{uuid.uuid4().hex}"
    current = Call(appointment_id, room, "node-a", "http://node-a", created_at=at(9, 0).isoformat())
    for kind, role, when in events:
        current = apply(
            current,
            {"type": kind, "room_id": room, "role": role, "participant_id": f"p-{role}", "at": when.isoformat()},
        )
    assert get_container().call_store.put(current, None)
    return current


def document(appointment_id: str, kind: str = "residence_certificate") -> None:
    get_container().procedure_store.put_document(
        {
            "id": f"doc-{uuid.uuid4().hex}",
            "appointment_id": appointment_id,
            "kind": kind,
            "owner": "12345678Z",
            "issued_at": at(10, 10).isoformat(),
        }
    )


@pytest.fixture
def world(client: Client, demo: DemoCounts) -> dict[str, str]:
    """OMAC on 3 March 2025: residence certificates booked (still), completed (a call and two documents), incomplete
    (a call whose recording failed), no-show and cancelled; a change of address on 4 March; one on 5 March, outside
    the period; nothing at OGAT."""
    client.http.get("/services")  # builds the container with the stage's environment
    first = booked("residence-certificate", at(10, 0), Status.COMPLETED)
    # Came early (09:55), admitted 10:02 → waited 120 s; ended 10:17 → a 900 s call.
    call(
        first,
        [
            ("waiting", "citizen", at(9, 55)),
            ("admitted", "citizen", at(10, 2)),
            ("ended", "agent", at(10, 17)),
        ],
    )
    document(first)
    document(first)
    document(first, kind="attachment")  # what the citizen handed in: not issued
    second = booked("residence-certificate", at(10, 30), Status.INCOMPLETE)
    # Came late (10:40), admitted 10:45 → waited 300 s; ended 10:55 → a 600 s call; its recording failed.
    call(
        second,
        [
            ("waiting", "citizen", at(10, 40)),
            ("admitted", "citizen", at(10, 45)),
            ("ended", "agent", at(10, 55)),
            ("recording_failed", "agent", at(10, 56)),
        ],
    )
    booked("residence-certificate", at(11, 0))
    booked("residence-certificate", at(11, 30), Status.NO_SHOW)
    booked("residence-certificate", at(12, 0), Status.CANCELLED)
    booked("change-of-address", at(9, 0) + timedelta(days=1), Status.COMPLETED)
    booked("residence-certificate", at(10, 0) + timedelta(days=2))
    return {"supervisor": staff_token(client, "supervisor")}


def figures(client: Client, token: str, query: str, path: str = "/stats") -> Any:
    response = get(client, f"{path}?{query}", token)
    assert response.status_code == 200, response.body
    return response


def test_a_supervisor_gets_each_services_figures_for_the_period(client: Client, world: dict[str, str]) -> None:
    found = body(figures(client, world["supervisor"], PERIOD + "&office=OMAC"))

    assert found["from"] == "2025-03-03"
    assert found["to"] == "2025-03-04"
    assert [o["office"] for o in found["offices"]] == ["OMAC"]
    services = {s["service_id"]: s for s in found["offices"][0]["services"]}
    assert services["residence-certificate"] == {
        "service_id": "residence-certificate",
        "booked": 1,
        "completed": 1,
        "incomplete": 1,
        "no_show": 1,
        "cancelled": 1,
        "wait_p50_s": 120,
        "wait_p90_s": 300,
        "call_p50_s": 600,
        "documents_issued": 2,
        "recordings_failed": 1,
    }
    assert services["change-of-address"] == {
        "service_id": "change-of-address",
        "booked": 0,
        "completed": 1,
        "incomplete": 0,
        "no_show": 0,
        "cancelled": 0,
        "wait_p50_s": None,
        "wait_p90_s": None,
        "call_p50_s": None,
        "documents_issued": 0,
        "recordings_failed": 0,
    }


def test_every_office_without_one_named_and_one_day_periods(client: Client, world: dict[str, str]) -> None:
    every = body(figures(client, world["supervisor"], PERIOD))
    one_day = body(figures(client, world["supervisor"], "from=2025-03-04&to=2025-03-04&office=OMAC"))

    assert {o["office"] for o in every["offices"]} == {"OMAC", "OGAT"}
    assert next(o for o in every["offices"] if o["office"] == "OGAT")["services"] == []
    assert [s["service_id"] for s in one_day["offices"][0]["services"]] == ["change-of-address"]


def test_an_admin_gets_them_too_and_the_read_is_audited(client: Client, world: dict[str, str]) -> None:
    admin = staff_token(client, "admin")

    figures(client, admin, "from=2025-03-03&to=2025-03-03&office=OMAC")

    today = datetime.now(COUNCIL_ZONE).date().isoformat()
    (audited,) = [e for e in get_container().audit.events_of_day(today) if e.action == "stats.read"]
    assert audited.actor.id == "staff:admin"
    assert audited.subject == "stats:2025-03-03/2025-03-03"
    assert audited.details == {"office": "OMAC", "appointments": "5"}
    assert audited.data_subject is None


def test_the_csv_has_a_header_and_a_row_per_office_and_service(client: Client, world: dict[str, str]) -> None:
    response = figures(client, world["supervisor"], PERIOD, "/stats.csv")

    assert response.headers["Content-Type"].startswith("text/csv")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="stats-2025-03-03-2025-03-04.csv"' in disposition
    rows = list(csv.reader(io.StringIO(response.body.decode())))
    assert rows[0] == [
        "office",
        "service_id",
        "booked",
        "completed",
        "incomplete",
        "no_show",
        "cancelled",
        "wait_p50_s",
        "wait_p90_s",
        "call_p50_s",
        "documents_issued",
        "recordings_failed",
    ]
    assert sorted(rows[1:]) == [
        ["OMAC", "change-of-address", "0", "1", "0", "0", "0", "", "", "", "0", "0"],
        ["OMAC", "residence-certificate", "1", "1", "1", "1", "1", "120", "300", "600", "2", "1"],
    ]


@pytest.mark.parametrize(
    ("query", "field", "key"),
    [
        ("from=2025-13-01&to=2025-03-04", "from", "real_date"),
        ("from=03/03/2025&to=2025-03-04", "from", "date_format"),
        ("from=2025-03-03T10:00:00Z&to=2025-03-04", "from", "date_format"),
        ("from=2025-03-03&to=tomorrow", "to", "date_format"),
        ("from=2025-03-04&to=2025-03-03", "to", "not_before_from"),
        ("from=2025-01-01&to=2025-04-03", "to", "period_too_long"),  # 93 days
        ("from=9999-01-01&to=9999-01-02", "from", "window_agenda"),
        ("from=2025-03-03&to=2025-03-04&office=NOPE", "office", "one_of"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client: Client, demo: DemoCounts, query: str, field: str, key: str
) -> None:
    token = staff_token(client, "supervisor")
    for path in ("/stats", "/stats.csv"):
        response = get(client, f"{path}?{query}", token)

        assert response.status_code == 422, response.body
        errors = body(response)["errors"]
        assert field in [e["field"] for e in errors], errors
        assert key in [e["code"] for e in errors if e["field"] == field], errors


def test_a_quarter_of_92_days_is_allowed(client: Client, demo: DemoCounts) -> None:
    found = body(figures(client, staff_token(client, "supervisor"), "from=2025-01-01&to=2025-04-02&office=OGAT"))

    assert (found["from"], found["to"]) == ("2025-01-01", "2025-04-02")


def test_an_agent_is_told_the_figures_do_not_exist(client: Client, demo: DemoCounts) -> None:
    agent = staff_token(client, "agent.omac")

    assert get(client, f"/stats?{PERIOD}", agent).status_code == 404
    assert get(client, f"/stats.csv?{PERIOD}&office=NOPE", agent).status_code == 404  # the body is never judged
    assert client.http.get(f"/stats?{PERIOD}").status_code == 401
