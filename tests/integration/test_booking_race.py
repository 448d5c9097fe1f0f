"""Thirty people try to book the same last places at once, through the HTTP API of the running stack (moto's server
serialises AWS calls, as DynamoDB would order conflicting transactions): exactly the capacity succeed, nobody is
double-booked, and the agenda shows exactly the winners."""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from stdnum.es import dni

from dev.fake_eid import load_people
from tests.integration.races import TIMEOUT, at_once, tally
from tests.stack import STAFF_PASSWORD, RunningStack

pytestmark = pytest.mark.integration

# Services of the same office share its agents' time; these three have start times in common (every 100 minutes).
SERVICES = ("residence-certificate", "change-of-address", "general-information")
ATTEMPTS = 30
# Every request comes from 127.0.0.1, and the API allows 10 code requests per address and 15 minutes (the browser
# tests of the same session use some): a few citizens sign in by code, the fake eID provider's people sign in with
# no such limit, and the rest call the office and are booked by an agent (5 staff logins per user: agent.omac is
# used by the browser tests, so this test takes the office's other agent's session, shared in conftest.py).
BY_CODE = 4
AGENT = "agent.omac2"


@dataclass(frozen=True)
class Attempt:
    """One person's try: whose token makes the request, and the body it sends."""

    token: str
    body: dict[str, Any]
    who: str


def _json(response: requests.Response) -> dict[str, Any]:
    return dict(response.json()) if response.content else {}


def _post(url: str, body: dict[str, Any], token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(url, json=body, headers=headers, timeout=TIMEOUT)


def _code_sent_to(stack: RunningStack, to: str) -> str:
    items = requests.get(f"{stack.api_url}/dev/outbox", params={"to": to}, timeout=TIMEOUT).json()["items"]
    match = re.search(r"\b(\d{6})\b", items[0]["body"])
    assert match, items
    return match.group(1)


def _id_number(n: int) -> str:
    number = f"{71_000_000 + n:08d}"
    return number + dni.calc_check_digit(number)


def sign_in_by_code(stack: RunningStack, id_number: str, email: str) -> str:
    requested = _post(f"{stack.api_url}/auth/otp", {"id_number": id_number, "channel": "email", "destination": email})
    assert requested.status_code == 202, requested.text
    challenge = _json(requested)["challenge_id"]
    verified = _post(
        f"{stack.api_url}/auth/otp/verify", {"challenge_id": challenge, "code": _code_sent_to(stack, email)}
    )
    assert verified.status_code == 200, verified.text
    return str(_json(verified)["access_token"])


class _HiddenFields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


def sign_in_by_eid(stack: RunningStack, identifier: str) -> str:
    """The browser's round trip without a browser: API → provider's page → pick the person → callback → token."""
    attempt = "race-test-attempt-0123456789"
    start = requests.get(
        f"{stack.api_url}/auth/eid/start",
        params={"return_to": "/me", "attempt": attempt},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert start.status_code == 302, start.text
    # The flow's browser binding (its path is the SPA's /api prefix, which this direct call to the API lacks).
    binding = start.headers["Set-Cookie"].split(";", 1)[0]
    page = requests.get(start.headers["Location"], timeout=TIMEOUT)
    form = _HiddenFields()
    form.feed(page.text)
    provider = urlsplit(start.headers["Location"])
    chosen = requests.post(
        f"{provider.scheme}://{provider.netloc}/o/oauth2/auth",
        data={**form.fields, "person": identifier, "action": "identify"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert chosen.status_code in (302, 303), chosen.text
    callback = requests.get(
        chosen.headers["Location"], headers={"Cookie": binding}, allow_redirects=False, timeout=TIMEOUT
    )
    assert callback.status_code == 302, callback.text
    fragment = dict(parse_qsl(urlsplit(callback.headers["Location"]).fragment))
    assert "access_token" in fragment, fragment
    assert fragment["attempt"] == attempt
    return fragment["access_token"]


def _book(url: str, body: dict[str, Any], token: str, session: requests.Session) -> requests.Response:
    return session.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def staff_token(stack: RunningStack, username: str) -> str:
    url = f"{stack.api_url}/auth/staff/login"
    first = _post(url, {"username": username, "password": STAFF_PASSWORD})
    assert _json(first).get("code") == "otp_required", first.text
    code = _code_sent_to(stack, f"{username}@vilademo.example")
    second = _post(url, {"username": username, "password": STAFF_PASSWORD, "otp": code})
    assert second.status_code == 200, second.text
    return str(_json(second)["access_token"])


def offered(stack: RunningStack, service: str) -> dict[str, int]:
    response = requests.get(f"{stack.api_url}/services/{service}/slots", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return {item["start"]: item["available"] for item in response.json()["items"]}


def booked_at(stack: RunningStack, token: str, start: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{stack.api_url}/agenda",
        params={"date": start[:10]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return [a for a in response.json()["items"] if a["start"] == start and a["status"] == "booked"]


def services_held(stack: RunningStack, token: str) -> set[str]:
    response = requests.get(
        f"{stack.api_url}/appointments", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    return {a["service_id"] for a in response.json()["items"] if a["status"] == "booked"}


@pytest.fixture(scope="module")
def agent(omac_agent_token: str) -> str:
    """AGENT's session, shared with the other integration tests (tests/integration/conftest.py)."""
    return omac_agent_token


def test_thirty_people_race_for_the_last_places_and_exactly_the_capacity_wins(stack: RunningStack, agent: str) -> None:
    # GIVEN a start time every one of the three services offers, with the same places left for each
    slots = [offered(stack, s) for s in SERVICES]
    common = sorted(start for start in slots[0] if all(start in other for other in slots[1:]))
    candidates = [start for start in common if len({s[start] for s in slots}) == 1]
    assert candidates, "no start time is offered alike by the three services"
    start = candidates[-1]  # the latest: the browser tests book the first times offered
    capacity = slots[0][start]
    assert 1 <= capacity <= 2
    before = booked_at(stack, agent, start)

    # AND thirty different people ready to book it: some signed in by code, some by eID, the rest by phone
    attempts: list[Attempt] = []
    for n in range(BY_CODE):
        id_number, email = _id_number(n), f"race-code-{n}@example.org"
        token = sign_in_by_code(stack, id_number, email)
        attempts.append(Attempt(token, {"contact": {"email": email}}, id_number))
    for person in load_people():
        token = sign_in_by_eid(stack, person.identifier)
        free = [s for s in SERVICES if s not in services_held(stack, token)]
        assert free, f"{person.identifier} already holds an appointment for every service"
        attempts.append(Attempt(token, {"service_id": free[0], "contact": {"email": person.email}}, person.identifier))
    n = BY_CODE
    while len(attempts) < ATTEMPTS:
        id_number, email = _id_number(n), f"race-phone-{n}@example.org"
        body = {"citizen": {"id_number": id_number, "name": f"Caller {n}"}, "contact": {"email": email}}
        attempts.append(Attempt(agent, body, id_number))
        n += 1
    assert len({a.who for a in attempts}) == ATTEMPTS
    bodies = [
        {"service_id": SERVICES[i % len(SERVICES)], "start": start, "language": "ca", **a.body}
        for i, a in enumerate(attempts)
    ]

    # WHEN they all press "book" at the same moment
    responses = at_once(
        stack,
        [
            functools.partial(_book, f"{stack.api_url}/appointments", body, attempt.token)
            for body, attempt in zip(bodies, attempts, strict=True)
        ],
    )

    # THEN exactly the capacity succeed, each for the person who asked, and everybody else is told the time is gone
    outcomes = tally(responses)
    assert outcomes == {(201, None): capacity, (409, "slot_unavailable"): ATTEMPTS - capacity}, outcomes
    winners = {}
    for body, response in zip(bodies, responses, strict=True):
        if response.status_code == 201:
            booked = _json(response)
            assert (booked["service_id"], booked["start"]) == (body["service_id"], start)
            winners[booked["id"]] = body

    # AND the time is no longer offered for any of the three services
    for service in SERVICES:
        assert start not in offered(stack, service)

    # AND the agenda lists exactly the winners at that time, each with an agent of their own
    agenda = booked_at(stack, agent, start)
    assert len(agenda) == len(before) + capacity
    assert {a["id"] for a in agenda} - {a["id"] for a in before} == set(winners)
    assert len({a["agent"] for a in agenda}) == len(agenda)
    for row in agenda:
        if row["id"] in winners:
            assert row["contact"] == winners[row["id"]]["contact"]


def test_a_double_submit_while_the_first_is_running_is_not_a_server_error(stack: RunningStack, agent: str) -> None:
    # GIVEN a citizen on the phone, booked by the agent with one Idempotency-Key, sent four times at once (identical
    # requests: whatever the local server mixes up between them, each still carries the same token, key and body)
    start = sorted(offered(stack, "general-information"))[-1]
    body = {
        "service_id": "general-information",
        "start": start,
        "language": "es",
        "citizen": {"id_number": _id_number(99)},
        "contact": {"email": "double-click@example.org"},
    }
    headers = {"Authorization": f"Bearer {agent}", "Idempotency-Key": str(uuid.uuid4())}

    # WHEN they are served at the same time
    url = f"{stack.api_url}/appointments"
    answers = at_once(stack, [lambda session: session.post(url, json=body, headers=headers, timeout=60)] * 4)
    if all(a.status_code == 201 for a in answers):
        pytest.skip("the requests did not overlap: each found the first one's stored answer")

    # THEN one books, and every other is told to wait or gets the same appointment: never a server error
    assert all(a.status_code in (201, 409) for a in answers), [(a.status_code, a.text) for a in answers]
    assert len({_json(a)["id"] for a in answers if a.status_code == 201}) == 1
    assert len([a for a in booked_at(stack, agent, start) if a["contact"] == body["contact"]]) == 1
