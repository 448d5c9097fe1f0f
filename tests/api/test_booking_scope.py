"""Issue 13, item 2: someone who knows another person's ID number and signs in with a code sent to their OWN address
can neither squat that person's bookings nor learn about them.

A code sign-in's limits are counted within (ID number, verified contact); at most two contacts per ID number hold
active bookings at once; an eID sign-in (which proves the identity) sees, can cancel and is limited by every booking
under its ID number. (Every route's 404 for an impostor is walked in test_authorization_matrix.py.)"""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client

from dev.seed import DemoCounts
from tests.api.test_booking import book, slots
from tests.api.test_identity import body, citizen_token, eid_token, get, post

OWNER_ID = "12345678Z"
SERVICES = ("residence-certificate", "change-of-address", "general-information")


def mine(client: Client, token: str) -> set[str]:
    response = get(client, "/appointments", token)
    assert response.status_code == 200, response.body
    return {a["id"] for a in body(response)["items"]}


def booked(client: Client, token: str, index: int = 0, service: str = SERVICES[0], **extra: Any) -> dict[str, Any]:
    response = book(client, token, slots(client, service)[index]["start"], service=service, **extra)
    assert response.status_code == 201, response.body
    return body(response)


def test_a_stranger_using_someones_id_number_never_spends_or_sees_their_bookings(
    client: Client, demo: DemoCounts
) -> None:
    # GIVEN a stranger who signs in with the owner's ID number and their own address and books as much as they may
    stranger = citizen_token(client, OWNER_ID, "stranger@example.org")
    squatted = [booked(client, stranger, 0, service) for service in SERVICES]  # the maximum of active appointments
    refused = book(client, stranger, slots(client)[3]["start"])
    assert (refused.status_code, body(refused)["code"]) == (409, "already_booked")  # their own booking: they see it

    # WHEN the owner signs in with a code to their own address
    owner = citizen_token(client, OWNER_ID, "owner@example.org")

    # THEN they see none of the stranger's bookings, and book every service as if nobody had
    assert mine(client, owner) == set()
    own = [booked(client, owner, 1, service) for service in SERVICES]
    assert mine(client, owner) == {a["id"] for a in own}
    assert mine(client, stranger) == {a["id"] for a in squatted}
    # and neither can reach the other's bookings on any route of the appointment
    for token, others in ((owner, squatted), (stranger, own)):
        for appointment in others:
            base = f"/appointments/{appointment['id']}"
            assert get(client, base, token).status_code == 404
            assert get(client, f"{base}/calendar.ics", token).status_code == 404
            assert post(client, f"{base}/cancel", {}, token).status_code == 404
            assert post(client, f"{base}/reschedule", {"start": slots(client)[6]["start"]}, token).status_code == 404
            assert post(client, f"{base}/call", {}, token).status_code == 404


def test_no_refusal_tells_a_code_sign_in_about_a_booking_it_cannot_see(client: Client, demo: DemoCounts) -> None:
    # GIVEN the owner's booking for a service, made with a code to their own address
    owner = citizen_token(client, OWNER_ID, "owner@example.org")
    theirs = booked(client, owner, 0)

    # WHEN a stranger with the same ID number and another address books the same service
    stranger = citizen_token(client, OWNER_ID, "stranger@example.org")
    response = book(client, stranger, slots(client)[2]["start"])

    # THEN it is not "already booked" (which would reveal that the owner has an appointment): it is their own booking
    assert response.status_code == 201, response.body
    assert body(response)["id"] != theirs["id"]


def test_a_third_contact_under_one_id_number_is_refused_in_plain_words_that_reveal_nothing(
    client: Client, demo: DemoCounts
) -> None:
    # GIVEN two contacts holding bookings under one ID number
    booked(client, citizen_token(client, OWNER_ID, "owner@example.org"), 0)
    booked(client, citizen_token(client, OWNER_ID, "stranger@example.org"), 1)

    # WHEN a third address books, for a service nobody holds
    third = citizen_token(client, OWNER_ID, "third@example.org")
    response = book(client, third, slots(client, SERVICES[2])[0]["start"], service=SERVICES[2])

    # THEN it is refused with what still works, and nothing about the bookings that exist
    assert response.status_code == 409
    problem = body(response)
    assert problem["code"] == "online_limit_reached"
    assert "by phone or in person" in problem["detail"]
    assert "digital identity" in problem["detail"]
    assert set(problem) <= {"type", "title", "status", "detail", "code", "instance", "request_id"}
    assert mine(client, third) == set()


def test_an_eid_sign_in_sees_is_limited_by_and_cancels_every_booking_under_its_id_number(
    client: Client, demo: DemoCounts
) -> None:
    owner = citizen_token(client, OWNER_ID, "owner@example.org")
    stranger = citizen_token(client, OWNER_ID, "stranger@example.org")
    own = booked(client, owner, 0)
    squatted = booked(client, stranger, 1)
    eid = eid_token(OWNER_ID)

    # the eID sign-in sees both, and "already booked" concerns bookings it can see
    assert mine(client, eid) == {own["id"], squatted["id"]}
    again = book(client, eid, slots(client)[4]["start"])
    assert (again.status_code, body(again)["code"]) == (409, "already_booked")

    # it cancels the stranger's booking; the stranger's contact leaves, so a third address may book again
    cancelled = post(client, f"/appointments/{squatted['id']}/cancel", {}, eid)
    assert cancelled.status_code == 200, cancelled.body
    assert body(cancelled)["status"] == "cancelled"
    third = citizen_token(client, OWNER_ID, "third@example.org")
    booked(client, third, 2)
    # and the owner with eID books a service nobody holds
    assert book(client, eid, slots(client, SERVICES[1])[0]["start"], service=SERVICES[1]).status_code == 201


def test_the_same_idempotency_key_from_two_contacts_makes_two_bookings(client: Client, demo: DemoCounts) -> None:
    owner = citizen_token(client, OWNER_ID, "owner@example.org")
    stranger = citizen_token(client, OWNER_ID, "stranger@example.org")
    times = slots(client)

    first = book(client, owner, times[0]["start"], key="shared-key-0001")
    second = book(client, stranger, times[1]["start"], key="shared-key-0001")
    third = book(client, eid_token(OWNER_ID), times[0]["start"], key="shared-key-0001")
    # (the same body as the owner's first request: it must never be answered with the owner's booking)

    assert first.status_code == 201, first.body
    assert second.status_code == 201, second.body
    assert body(second)["id"] != body(first)["id"]
    assert third.status_code == 409, third.body  # taken, or already booked: either way not a replay
    assert body(first)["id"] not in json.dumps(body(third))
