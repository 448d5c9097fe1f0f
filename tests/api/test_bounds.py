"""Far dates and long texts are the caller's mistake: 422 naming the field, never 500 (issue 13, item 7).

Each case here answered 500 before the windows of ``chalicelib/domain/bounds.py``: date arithmetic past year 9999
overflowed (``from=9999-12-31`` in slots, audit search and verify, the instalment preview), a far offset overflowed
converting to council time, and texts of any length were searched and stored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from dev.seed import DemoCounts
from tests.api.test_booking import book, slots
from tests.api.test_identity import body, citizen_token, eid_token, get, post, staff_token
from tests.api.test_procedures import EMAIL, INSTALMENTS, appointment, issue
from tests.zones import COUNCIL_ZONE

FAR = ("9999-12-31", "0001-01-01", "2019-12-31")
FAR_TIMES = ("9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00")


def fields(response: Any) -> list[str]:
    assert response.status_code == 422, (response.status_code, response.body)
    problem = body(response)
    assert problem["code"] == "validation_error"
    return [e["field"] for e in problem["errors"]]


@pytest.fixture
def auditor(client: Client, demo: DemoCounts) -> str:
    return staff_token(client, "auditor")


@pytest.mark.parametrize("day", FAR)
@pytest.mark.parametrize("name", ["from", "to"])
def test_slots_for_a_far_day_name_the_day(client: Client, demo: DemoCounts, name: str, day: str) -> None:
    assert fields(client.http.get(f"/services/residence-certificate/slots?{name}={day}")) == [name]


def test_slots_beyond_the_longest_horizon_are_refused_within_it_answered(client: Client, demo: DemoCounts) -> None:
    today = datetime.now(COUNCIL_ZONE).date()
    late = (today + timedelta(days=400)).isoformat()
    assert fields(client.http.get(f"/services/residence-certificate/slots?from={late}")) == ["from"]
    soon = (today + timedelta(days=300)).isoformat()
    answer = client.http.get(f"/services/residence-certificate/slots?from={soon}")
    assert answer.status_code == 200  # past the service's 60-day horizon: no slots, but no error
    assert body(answer)["items"] == []


@pytest.mark.parametrize("start", FAR_TIMES)
def test_booking_or_moving_to_a_far_time_names_the_start(client: Client, demo: DemoCounts, start: str) -> None:
    citizen = citizen_token(client)
    assert fields(book(client, citizen, start)) == ["start"]
    booked = book(client, citizen, slots(client)[0]["start"])
    assert booked.status_code == 201, booked.body
    moved = post(client, f"/appointments/{body(booked)['id']}/reschedule", {"start": start}, citizen)
    assert fields(moved) == ["start"]


@pytest.mark.parametrize("day", FAR)
@pytest.mark.parametrize("route", ["/agenda?office=OMAC&", "/appointments?office=OMAC&", "/recordings?"])
def test_staff_day_views_for_a_far_day_name_the_date(client: Client, demo: DemoCounts, route: str, day: str) -> None:
    who = "supervisor" if route.startswith("/recordings") else "agent.omac"
    assert fields(get(client, f"{route}date={day}", staff_token(client, who))) == ["date"]


@pytest.mark.parametrize("value", [*FAR, *FAR_TIMES])
@pytest.mark.parametrize("name", ["from", "to"])
@pytest.mark.parametrize("route", ["/audit/events", "/audit/export"])
def test_audit_search_and_export_of_a_far_period_name_the_field(
    client: Client, auditor: str, route: str, name: str, value: str
) -> None:
    answer = client.http.get(
        f"{route}?{name}={value.replace('+', '%2B')}", headers={"Authorization": f"Bearer {auditor}"}
    )
    assert name in fields(answer)


@pytest.mark.parametrize("value", [*FAR, *FAR_TIMES, 5, ["2026-01-01"]])
@pytest.mark.parametrize("name", ["from", "to"])
def test_verifying_a_far_period_names_the_field(client: Client, auditor: str, name: str, value: object) -> None:
    assert name in fields(post(client, "/audit/verify", {name: value}, auditor))


def test_audit_filters_and_cursors_have_a_length(client: Client, auditor: str) -> None:
    assert fields(get(client, "/audit/events?action=" + "a" * 201, auditor)) == ["action"]
    assert fields(get(client, "/audit/events?cursor=" + "a" * 600, auditor)) == ["cursor"]
    assert fields(get(client, "/audit/events?from=" + "2" * 100, auditor)) == ["from"]
    assert get(client, "/audit/events?action=" + "a" * 200, auditor).status_code == 200


@pytest.mark.parametrize("day", FAR)
@pytest.mark.parametrize("name", ["voluntary_period_end", "first_due"])
def test_an_instalment_preview_with_a_far_date_names_it(client: Client, demo: DemoCounts, name: str, day: str) -> None:
    citizen = citizen_token(client, "12345678Z", EMAIL)
    assert post(client, "/instalment-plans/preview", INSTALMENTS, citizen).status_code == 200
    assert fields(post(client, "/instalment-plans/preview", {**INSTALMENTS, name: day}, citizen)) == [name]


def test_an_instalment_plan_due_in_year_9999_names_the_field(client: Client, demo: DemoCounts) -> None:
    ogat = appointment("instalment-plan", "OGAT")
    agent = staff_token(client, "agent.ogat")
    data = {"debts": ["DEBT#2026-PLUS-H001"], "fractions": 6, "day_of_month": 5, "guarantee": "aval"}
    assert fields(issue(client, ogat, agent, "instalment_plan", {**data, "first_due": "9999-12-31"})) == [
        "data.first_due"
    ]


def test_a_day_that_does_not_exist_is_refused_not_guessed(client: Client, demo: DemoCounts) -> None:
    year = datetime.now(UTC).year + 1
    assert fields(client.http.get(f"/services/residence-certificate/slots?from={year}-02-30")) == ["from"]
    assert fields(client.http.get("/services/residence-certificate/slots?from=20261201")) == ["from"]


# --- lengths: every path and query parameter, every string in a body, as long as a request may be ----------------


def _operations() -> list[tuple[str, str, dict[str, Any]]]:

    from tests.openapi_spec import spec

    return [
        (method.upper(), path, op)
        for path, item in spec()["paths"].items()
        for method, op in item.items()
        if method in ("get", "post")
    ]


def _long_request(path: str, op: dict[str, Any], size: int) -> tuple[str, dict[str, Any]]:
    from urllib.parse import quote

    long = "x" * size
    filled = path
    query = []
    for parameter in op.get("parameters", []):
        if parameter["in"] == "path":
            filled = filled.replace("{" + parameter["name"] + "}", quote(long))
        elif parameter["in"] == "query":
            query.append(f"{parameter['name']}={quote(long)}")
    schema = ((op.get("requestBody") or {}).get("content") or {}).get("application/json", {}).get("schema", {})
    payload = {name: long for name, spec in (schema.get("properties") or {}).items() if spec.get("type") == "string"}
    return filled + ("?" + "&".join(query) if query else ""), payload


@pytest.mark.parametrize("size", [3000, 20_000])
def test_any_parameter_or_text_of_any_length_is_refused_or_answered_never_a_failure(
    client: Client, demo: DemoCounts, size: int
) -> None:
    citizen = citizen_token(client, "12345678Z", EMAIL)
    staff = {name: staff_token(client, name) for name in ("agent.omac", "auditor", "supervisor")}
    failures = []
    for method, path, op in _operations():
        url, payload = _long_request(path, op, size)
        for token in (None, citizen, *staff.values()):
            headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
            if method == "GET":
                answer = client.http.get(url, headers=headers)
            else:
                answer = client.http.post(url, body=json.dumps(payload), headers=headers)
            if answer.status_code >= 500:
                failures.append((method, path, answer.status_code, answer.body[:200]))
    assert not failures


def test_texts_and_parameters_past_their_length_name_the_field(client: Client, demo: DemoCounts) -> None:
    agent = staff_token(client, "agent.omac")
    citizen = citizen_token(client, "12345678Z", EMAIL)
    start = slots(client)[0]["start"]
    long_name = book(client, agent, start, citizen={"id_number": "99584529A", "name": "N" * 121})
    assert fields(long_name) == ["citizen.name"]
    assert fields(get(client, "/documents?appointment=" + "a" * 65, citizen)) == ["appointment"]
    assert fields(get(client, "/me/access-log?cursor=" + "a" * 513, eid_token())) == ["cursor"]
    assert fields(client.http.get("/verify/ABC?id_number=" + "1" * 65)) == ["id_number"]
    named = book(client, agent, start, citizen={"id_number": "99584529A", "name": "N" * 120})
    assert named.status_code == 201, named.body


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--from", "9999-12-31"], "--from: '9999-12-31' must be a day in the service's records"),
        (["--to", "9999-12-31T23:59:59-23:59"], "--to: '9999-12-31T23:59:59-23:59' must be a day in the service's"),
        (["--from", "2026-02-30"], "--from: '2026-02-30' must be a real date"),
        (["--from", "2026-12-01", "--to", "2026-11-01"], "--to must be after --from"),
    ],
)
def test_the_command_line_verifier_refuses_far_or_wrong_dates_in_plain_words(
    arguments: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from chalicelib import verify_records

    with pytest.raises(SystemExit) as stopped:
        verify_records.main([*arguments, "--dir", "/nonexistent", "--public-key", "/nonexistent.pem"])
    assert stopped.value.code == 2  # could not run
    error = capsys.readouterr().err
    assert words in error
    assert "Traceback" not in error
