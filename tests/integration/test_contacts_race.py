"""Six addresses sign in by code with one ID number and book at the same moment, each a time of its own: the cap on
contacts per ID number holds under the race (it is a condition of the booking's own transaction), so exactly two
contacts hold bookings and the others are told, in words that reveal nothing, how else to book."""

from __future__ import annotations

import pytest
import requests

from tests.integration.races import Send, at_once, tally
from tests.integration.test_booking_race import _id_number, _json, offered, sign_in_by_code
from tests.stack import RunningStack

pytestmark = pytest.mark.integration

SERVICE = "general-information"
CONTACTS = 6
CAP = 2  # contacts per ID number that may hold active bookings at once
TIMEOUT = 60


def test_six_contacts_of_one_id_number_race_and_exactly_two_hold_bookings(stack: RunningStack) -> None:
    # GIVEN six addresses signed in by code under one ID number, and six free times (away from the latest ones,
    # which the other race test uses)
    id_number = _id_number(900)
    emails = [f"contacts-race-{n}@example.org" for n in range(CONTACTS)]
    tokens = [sign_in_by_code(stack, id_number, email) for email in emails]
    starts = sorted(offered(stack, SERVICE))[-6 - CONTACTS : -6]
    assert len(starts) == CONTACTS

    # WHEN they all press "book" at the same moment
    def book(i: int) -> Send:
        body = {"service_id": SERVICE, "start": starts[i], "language": "en", "contact": {"email": emails[i]}}
        headers = {"Authorization": f"Bearer {tokens[i]}"}
        url = f"{stack.api_url}/appointments"
        return lambda session: session.post(url, json=body, headers=headers, timeout=TIMEOUT)

    responses = at_once(stack, [book(i) for i in range(CONTACTS)])

    # THEN exactly two contacts hold a booking, and the others are refused with the same words
    outcomes = tally(responses)
    assert outcomes == {(201, None): CAP, (409, "online_limit_reached"): CONTACTS - CAP}, outcomes
    assert len({_json(r)["detail"] for r in responses if r.status_code == 409}) == 1
    # AND each winner sees only their own booking; the refused see none
    for token, response in zip(tokens, responses, strict=True):
        listed = requests.get(
            f"{stack.api_url}/appointments", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
        ).json()["items"]
        assert [a["id"] for a in listed] == ([_json(response)["id"]] if response.status_code == 201 else [])
