"""Any string where the API takes a date or a time answers 2xx or 4xx, never 5xx (issue 13, item 7).

Every date and time input of openapi.yaml, in the query, the path or the body, gets strings that are near a date
(far years, far offsets, impossible days, other shapes) and arbitrary text, through the API (the Chalice test client
on moto, with the demo data) as the caller who may use the route. ``test_every_date_input_is_here`` keeps the list
in step with the contract: a new date parameter fails it until it is added to ``TARGETS``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dev.seed import DemoCounts
from tests.api.test_booking import book, slots
from tests.api.test_identity import citizen_token, staff_token
from tests.api.test_procedures import EMAIL, INSTALMENTS, appointment
from tests.openapi_spec import spec

OFFSETS = st.builds(timezone, st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23)))
DAYS = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat)
TIMES = st.builds(
    lambda at, zone: at.replace(tzinfo=zone).isoformat(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    OFFSETS,
)
EDGES = st.sampled_from(
    [
        "9999-12-31",
        "0001-01-01",
        "9999-12-31T23:59:59+00:00",
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+23:59",
        "2026-02-30",
        "2026-13-01",
        "20261201",
        "2026-12-01T25:00:00Z",
        "+002026-12-01",
        "",
        " ",
        "2026-12-01\n",
        "9" * 500,
    ]
)
STRINGS = DAYS | TIMES | EDGES | st.text(max_size=40)


def _send(client: Client, method: str, path: str, token: str | None, body: Any = None) -> int:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    if method == "GET":
        return int(client.http.get(path, headers=headers).status_code)
    if method == "DELETE":
        return int(client.http.delete(path, headers=headers).status_code)
    return int(client.http.post(path, body=json.dumps(body), headers=headers).status_code)


# A waitlist entry's body but its days (the date under test, and a valid or invalid other).
WAITING = {"service_id": "residence-certificate", "from": "2030-01-07", "to": "2030-01-08", "contact": {"email": EMAIL}}

# (method, path as in openapi.yaml, where, name): how to send a value there, as whom.
Target = tuple[str, str, str, str]
TARGETS: tuple[Target, ...] = (
    ("GET", "/services/{service_id}/slots", "query", "from"),
    ("GET", "/services/{service_id}/slots", "query", "to"),
    ("POST", "/appointments", "body", "start"),
    ("GET", "/appointments", "query", "date"),
    ("POST", "/appointments/{appointment_id}/reschedule", "body", "start"),
    ("POST", "/instalment-plans/preview", "body", "voluntary_period_end"),
    ("POST", "/instalment-plans/preview", "body", "first_due"),
    ("POST", "/appointments/{appointment_id}/procedures", "body", "data.first_due"),
    ("GET", "/agenda", "query", "date"),
    ("GET", "/recordings", "query", "date"),
    ("GET", "/audit/events", "query", "from"),
    ("GET", "/audit/events", "query", "to"),
    ("GET", "/audit/export", "query", "from"),
    ("GET", "/audit/export", "query", "to"),
    ("POST", "/audit/verify", "body", "from"),
    ("POST", "/audit/verify", "body", "to"),
    ("GET", "/stats", "query", "from"),
    ("GET", "/stats", "query", "to"),
    ("GET", "/stats.csv", "query", "from"),
    ("GET", "/stats.csv", "query", "to"),
    ("POST", "/admin/staff/{username}/exceptions", "body", "date"),
    ("DELETE", "/admin/staff/{username}/exceptions/{day}", "path", "day"),
    ("POST", "/links/{token}", "body", "start"),
    ("POST", "/waitlist", "body", "from"),
    ("POST", "/waitlist", "body", "to"),
)


def _date_inputs() -> set[Target]:
    """Every input of openapi.yaml whose schema is a date or a time, or whose name says it is one."""
    found: set[Target] = set()
    timely = {"from", "to", "date", "start", "first_due", "voluntary_period_end"}
    for path, item in spec()["paths"].items():
        for method, op in item.items():
            for p in op.get("parameters", []):
                if p["schema"].get("format") in ("date", "date-time") or p["name"] in timely:
                    found.add((method.upper(), path, p["in"], p["name"]))
            body = ((op.get("requestBody") or {}).get("content") or {}).get("application/json", {}).get("schema", {})
            for name, schema in (body.get("properties") or {}).items():
                if schema.get("format") in ("date", "date-time") or name in timely:
                    found.add((method.upper(), path, "body", name))
    return found


# Named like a date but not one (an address), or a date the API only stores as the sender's text (a media node's
# signed report time, ≤ 200 characters, kept in the audit details and never computed on).
NOT_COMPUTED: frozenset[Target] = frozenset(
    {("GET", "/dev/outbox", "query", "to"), ("POST", "/media/events", "body", "at")}
)


def test_every_date_input_is_here() -> None:
    assert _date_inputs() - NOT_COMPUTED <= set(TARGETS)


def test_any_string_for_any_date_answers_2xx_or_4xx(client: Client, demo: DemoCounts) -> None:
    citizen = citizen_token(client, "12345678Z", EMAIL)
    agent = staff_token(client, "agent.omac")
    ogat = staff_token(client, "agent.ogat")
    supervisor = staff_token(client, "supervisor")
    auditor = staff_token(client, "auditor")
    admin = staff_token(client, "admin")
    booked = book(client, citizen, slots(client)[0]["start"])
    assert booked.status_code == 201, booked.body
    mine = json.loads(booked.body)["id"]
    plan = appointment("instalment-plan", "OGAT")

    senders: dict[Target, Callable[[str], int]] = {
        TARGETS[0]: lambda v: _send(client, "GET", f"/services/residence-certificate/slots?from={quote(v)}", None),
        TARGETS[1]: lambda v: _send(client, "GET", f"/services/residence-certificate/slots?to={quote(v)}", None),
        TARGETS[2]: lambda v: int(book(client, agent, v, citizen={"id_number": "99584529A"}).status_code),
        TARGETS[3]: lambda v: _send(client, "GET", f"/appointments?office=OMAC&date={quote(v)}", agent),
        TARGETS[4]: lambda v: _send(client, "POST", f"/appointments/{mine}/reschedule", citizen, {"start": v}),
        TARGETS[5]: lambda v: _send(
            client, "POST", "/instalment-plans/preview", citizen, {**INSTALMENTS, "voluntary_period_end": v}
        ),
        TARGETS[6]: lambda v: _send(
            client, "POST", "/instalment-plans/preview", citizen, {**INSTALMENTS, "first_due": v}
        ),
        TARGETS[7]: lambda v: _send(
            client,
            "POST",
            f"/appointments/{plan}/procedures",
            ogat,
            {
                "type": "instalment_plan",
                "data": {"debts": ["DEBT#2026-PLUS-H001"], "fractions": 6, "day_of_month": 5, "first_due": v},
            },
        ),
        TARGETS[8]: lambda v: _send(client, "GET", f"/agenda?office=OMAC&date={quote(v)}", agent),
        TARGETS[9]: lambda v: _send(client, "GET", f"/recordings?date={quote(v)}", supervisor),
        TARGETS[10]: lambda v: _send(client, "GET", f"/audit/events?from={quote(v)}", auditor),
        TARGETS[11]: lambda v: _send(client, "GET", f"/audit/events?to={quote(v)}", auditor),
        TARGETS[12]: lambda v: _send(client, "GET", f"/audit/export?from={quote(v)}", auditor),
        TARGETS[13]: lambda v: _send(client, "GET", f"/audit/export?to={quote(v)}", auditor),
        TARGETS[14]: lambda v: _send(client, "POST", "/audit/verify", auditor, {"from": v}),
        TARGETS[15]: lambda v: _send(client, "POST", "/audit/verify", auditor, {"to": v}),
        TARGETS[16]: lambda v: _send(client, "GET", f"/stats?from={quote(v)}", supervisor),
        TARGETS[17]: lambda v: _send(client, "GET", f"/stats?to={quote(v)}", supervisor),
        TARGETS[18]: lambda v: _send(client, "GET", f"/stats.csv?from={quote(v)}&office=OGAT", supervisor),
        TARGETS[19]: lambda v: _send(client, "GET", f"/stats.csv?to={quote(v)}&office=OGAT", supervisor),
        TARGETS[20]: lambda v: _send(
            client,
            "POST",
            "/admin/staff/agent.omac2/exceptions",
            admin,
            {"date": v, "kind": "extra", "intervals": [["16:00", "17:00"]]},
        ),
        TARGETS[21]: lambda v: _send(
            client, "DELETE", f"/admin/staff/agent.omac2/exceptions/{quote(v, safe='')}", admin
        ),
        TARGETS[22]: lambda v: _send(client, "POST", "/links/unknown-link-0001", None, {"start": v}),
        TARGETS[23]: lambda v: _send(client, "POST", "/waitlist", citizen, {**WAITING, "from": v}),
        TARGETS[24]: lambda v: _send(client, "POST", "/waitlist", citizen, {**WAITING, "to": v}),
    }
    assert set(senders) == set(TARGETS)

    for target, send in senders.items():
        _never_5xx(target, send)()


def _never_5xx(target: Target, send: Callable[[str], int]) -> Callable[[], None]:
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(value=STRINGS)
    def answers(value: str) -> None:
        status = send(value)
        assert 200 <= status < 500, (target, value, status)

    return answers
