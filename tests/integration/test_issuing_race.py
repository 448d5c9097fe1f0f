"""Two clicks on "Issue" at the same moment, through the HTTP API of the running stack: one sealed document, one CSV.

Issue 13 found that two identical concurrent ``POST /appointments/{id}/procedures`` gave four sealed certificates
with four CSVs. Now the procedure's record is written (conditionally) before any document exists, so the request
that loses learns it issued nothing (409 ``request_in_progress`` while the other works, ``already_issued`` after),
with or without an ``Idempotency-Key``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from dev.calls_now import seed_calls_now
from tests.integration.races import TIMEOUT, at_once, tally
from tests.integration.test_booking_race import AGENT
from tests.stack import RunningStack

pytestmark = pytest.mark.integration

RESIDENCE = {"type": "residence_certificate", "data": {"certificate_type": "individual", "requester": "holder"}}
# People of the demo padrón no other test books for: each race has an appointment of its own, happening now.
WITHOUT_KEY = ("OMAC", "residence-certificate", "99687491V", "Rosa Martínez", "rosa.martinez.race@example.org", AGENT)
WITH_KEY = ("OMAC", "residence-certificate", "Y9991530E", "Oriol Sánchez", "oriol.sanchez.race@example.org", AGENT)


def _appointment_now(stack: RunningStack, person: tuple[str, str, str, str, str, str], agent: str) -> str:
    (made,) = seed_calls_now("dev", "eu-south-2", f"http://127.0.0.1:{stack.moto}", calls=(person,))
    checked = requests.post(
        f"{stack.api_url}/appointments/{made.appointment_id}/identity-check",
        json={"method": "dni_shown", "matches": True},
        headers={"Authorization": f"Bearer {agent}"},
        timeout=TIMEOUT,
    )
    assert checked.status_code == 201, checked.text
    return made.appointment_id


def _race(stack: RunningStack, appointment_id: str, headers: dict[str, str], clicks: int) -> list[requests.Response]:
    url = f"{stack.api_url}/appointments/{appointment_id}/procedures"
    return at_once(stack, [lambda session: session.post(url, json=RESIDENCE, headers=headers, timeout=60)] * clicks)


def _documents(stack: RunningStack, agent: str, appointment_id: str) -> list[dict[str, Any]]:
    found = requests.get(
        f"{stack.api_url}/documents",
        params={"appointment": appointment_id},
        headers={"Authorization": f"Bearer {agent}"},
        timeout=TIMEOUT,
    )
    assert found.status_code == 200, found.text
    return list(found.json()["items"])


def test_two_identical_issues_at_once_make_one_document(stack: RunningStack, omac_agent_token: str) -> None:
    # GIVEN an appointment happening now whose citizen showed their DNI in the call
    agent = omac_agent_token
    appointment_id = _appointment_now(stack, WITHOUT_KEY, agent)

    # WHEN the agent's "Issue" is sent twice at the same moment, without an Idempotency-Key
    answers = _race(stack, appointment_id, {"Authorization": f"Bearer {agent}"}, 2)

    # THEN one issues, the other is told it is in progress or already issued: never a second document
    outcomes = tally(answers)
    assert outcomes[(201, None)] == 1, [(a.status_code, a.text) for a in answers]
    assert set(outcomes) - {(201, None)} <= {(409, "request_in_progress"), (409, "already_issued")}, outcomes
    (winner,) = [a.json() for a in answers if a.status_code == 201]
    (document,) = _documents(stack, agent, appointment_id)
    assert [document["id"]] == [d["id"] for d in winner["documents"]]
    assert document["csv"] == winner["documents"][0]["csv"]


def test_a_double_click_with_one_key_makes_one_document(stack: RunningStack, omac_agent_token: str) -> None:
    # GIVEN the same, and the SPA's Idempotency-Key (one per click on "Issue", the same for its retries)
    agent = omac_agent_token
    appointment_id = _appointment_now(stack, WITH_KEY, agent)
    headers = {"Authorization": f"Bearer {agent}", "Idempotency-Key": str(uuid.uuid4())}

    # WHEN it is sent three times at once
    answers = _race(stack, appointment_id, headers, 3)

    # THEN every success is the same procedure, the rest are told to wait: one document, one CSV
    assert all(a.status_code in (201, 409) for a in answers), [(a.status_code, a.text) for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} <= {"request_in_progress", "already_issued"}
    issued = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(issued) == 1, [(a.status_code, a.text) for a in answers]
    assert len(_documents(stack, agent, appointment_id)) == 1
    # AND a retry with the key afterwards answers the first result
    again = requests.post(
        f"{stack.api_url}/appointments/{appointment_id}/procedures", json=RESIDENCE, headers=headers, timeout=TIMEOUT
    )
    assert (again.status_code, again.json()["id"]) == (201, issued.pop())
