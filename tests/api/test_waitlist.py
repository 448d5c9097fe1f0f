"""The waitlist through the API: joining, one entry per service and scope, leaving; a freed slot offered in
batches by one-time links; accepting (once, by the right person, never the same slot twice, even when a whole
batch accepts at once); a hold that passes moves the offer on to the next batch."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.auth.codes import contact_digest
from chalicelib.bootstrap import get_container
from chalicelib.domain.catalogue import Assurance
from dev.seed import DemoCounts
from tests.api.test_booking import book, slots
from tests.api.test_identity import body, citizen_token, eid_token, get, post
from tests.api.test_procedures import PEPPER

SERVICE = "residence-certificate"
LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni(n: int) -> str:
    return f"{n:08d}{LETTERS[n % 23]}"


def code_token(id_number: str, email: str) -> str:
    """A citizen signed in by a code sent to ``email`` (the code round trip is tested in test_identity)."""
    return (
        get_container()
        .sessions.issue_citizen(id_number, Assurance.LOW, "otp", contact_digest(PEPPER, email), None)
        .token
    )


def today() -> date:
    return get_container().booking.today()


def join(client: Client, token: str, service: str = SERVICE, email: str = "w@example.org", **extra: Any) -> Any:
    payload = {
        "service_id": service,
        "from": today().isoformat(),
        "to": (today() + timedelta(days=20)).isoformat(),
        "contact": {"email": email},
        "language": "en",
        **extra,
    }
    return post(client, "/waitlist", payload, token)


def offers_to(client: Client, email: str) -> list[str]:
    """The offer tokens sent to ``email``, oldest first (the outbox lists the newest first)."""
    items = body(client.http.get(f"/dev/outbox?to={email}"))["items"]
    found = [m.group(1) for item in items if (m := re.search(r"/offer#token=([A-Za-z0-9_-]+)", item["body"]))]
    return list(reversed(found))


def booked_slot(client: Client) -> tuple[str, str]:
    """A citizen's booked appointment (its id) at the first free time (its start)."""
    start = slots(client)[0]["start"]
    owner = citizen_token(client, "00000000T", "owner@example.org")
    response = book(client, owner, start, contact={"email": "owner@example.org"})
    assert response.status_code == 201, response.body
    return str(body(response)["id"]), start


def cancel(client: Client, appointment_id: str) -> None:
    owner = citizen_token(client, "00000000T", "owner@example.org")
    response = post(client, f"/appointments/{appointment_id}/cancel", {}, owner)
    assert response.status_code == 200, response.body


def waiting(client: Client, count: int, first: int = 1000) -> list[tuple[str, str, str]]:
    """``count`` citizens on the waitlist, in joining order: (ID number, email, token)."""
    people = []
    for n in range(first, first + count):
        email = f"w{n}@example.org"
        token = code_token(dni(n), email)
        response = join(client, token, email=email)
        assert response.status_code == 201, response.body
        people.append((dni(n), email, token))
    return people


class Clock:
    """The booking service's clock (the waitlist's too), moved by the test."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        from datetime import UTC

        return datetime.now(UTC) + self.offset


@pytest.fixture
def clock(client: Client, demo: DemoCounts) -> Clock:
    client.http.get("/services")
    moved = Clock()
    get_container().booking._clock = moved
    return moved


# --- entries -----------------------------------------------------------------------------------------------------


def test_a_citizen_joins_sees_and_leaves_the_waitlist(client: Client, demo: DemoCounts) -> None:
    token = citizen_token(client)

    joined = join(client, token, part_of_day="morning")
    assert joined.status_code == 201, joined.body
    entry = body(joined)
    assert entry["service_id"] == SERVICE
    assert entry["part_of_day"] == "morning"

    assert [e["id"] for e in body(get(client, "/waitlist", token))["items"]] == [entry["id"]]

    left = client.http.delete(f"/waitlist/{entry['id']}", headers={"Authorization": f"Bearer {token}"})
    assert left.status_code == 204
    assert body(get(client, "/waitlist", token))["items"] == []
    # and may join again
    assert join(client, token).status_code == 201


def test_one_entry_per_service_within_the_bookings_scope(client: Client, demo: DemoCounts) -> None:
    mine = citizen_token(client, "12345678Z", "rosa@example.org")
    assert join(client, mine).status_code == 201

    again = join(client, mine)
    assert again.status_code == 409
    assert body(again)["code"] == "already_waitlisted"

    # Someone with a code to another address under the same ID number neither sees nor blocks it (as bookings)...
    stranger = citizen_token(client, "12345678Z", "stranger@example.org")
    assert body(get(client, "/waitlist", stranger))["items"] == []
    assert join(client, stranger).status_code == 201
    # ... while an eID sign-in sees every entry under the ID number and is refused one more.
    eid = eid_token("12345678Z")
    assert len(body(get(client, "/waitlist", eid))["items"]) == 2
    assert body(join(client, eid))["code"] == "already_waitlisted"


def test_another_citizens_entry_cannot_be_left(client: Client, demo: DemoCounts) -> None:
    owner = citizen_token(client, "12345678Z", "rosa@example.org")
    entry = body(join(client, owner))
    stranger = citizen_token(client, "12345678Z", "stranger@example.org")

    refused = client.http.delete(f"/waitlist/{entry['id']}", headers={"Authorization": f"Bearer {stranger}"})

    assert refused.status_code == 404
    assert len(body(get(client, "/waitlist", owner))["items"]) == 1


@pytest.mark.parametrize(
    ("change", "field", "key"),
    [
        ({"from": "2020-01-01"}, "from", "window_waitlist"),
        ({"to": "9999-12-31"}, "to", "window_waitlist"),
        ({"to": "yesterday"}, "to", "date_format"),
        ({"part_of_day": "night"}, "part_of_day", "part_of_day"),
        ({"contact": {}}, "contact", "contact_needed"),
    ],
)
def test_a_waitlist_entry_is_bounded(
    client: Client, demo: DemoCounts, change: dict[str, Any], field: str, key: str
) -> None:
    token = citizen_token(client)

    refused = join(client, token, **change)

    assert refused.status_code == 422, refused.body
    assert field in {e["field"] for e in body(refused)["errors"]}


def test_to_before_from_is_refused(client: Client, demo: DemoCounts) -> None:
    token = citizen_token(client)
    later = (today() + timedelta(days=5)).isoformat()

    refused = join(client, token, **{"from": later, "to": today().isoformat()})

    assert refused.status_code == 422
    assert body(refused)["errors"][0]["field"] == "to"


# --- offers ------------------------------------------------------------------------------------------------------


def test_a_cancelled_slot_is_offered_and_booked_through_the_link(client: Client, demo: DemoCounts) -> None:
    appointment_id, start = booked_slot(client)
    (_, email, token), *_ = waiting(client, 1)

    cancel(client, appointment_id)

    [link] = offers_to(client, email)
    details = client.http.get(f"/offers/{link}")
    assert details.status_code == 200, details.body
    assert body(details)["start"] == start
    assert body(details)["service_id"] == SERVICE
    accepted = post(client, f"/offers/{link}/accept", {})
    assert accepted.status_code == 201, accepted.body
    assert body(accepted)["start"] == start
    # the appointment is the waiting citizen's, and their entry is gone
    mine = body(get(client, "/appointments", token))["items"]
    assert [a["id"] for a in mine] == [body(accepted)["id"]]
    assert body(get(client, "/waitlist", token))["items"] == []
    # the link works once
    again = post(client, f"/offers/{link}/accept", {})
    assert again.status_code == 410
    assert body(again)["code"] == "offer_expired"


def test_the_rest_of_the_batch_is_told_the_slot_is_gone_and_stays_on_the_list(client: Client, demo: DemoCounts) -> None:
    appointment_id, _ = booked_slot(client)
    first, *others = waiting(client, 3)
    cancel(client, appointment_id)

    [link] = offers_to(client, first[1])
    assert post(client, f"/offers/{link}/accept", {}).status_code == 201

    for _, email, token in others:
        newest = body(client.http.get(f"/dev/outbox?to={email}"))["items"][0]
        assert newest["subject"].startswith("The time is no longer available")
        assert len(body(get(client, "/waitlist", token))["items"]) == 1
        [theirs] = offers_to(client, email)
        late = post(client, f"/offers/{theirs}/accept", {})
        assert late.status_code == 409
        assert body(late)["code"] == "offer_taken"


def test_a_tampered_or_unknown_offer_is_not_found(client: Client, demo: DemoCounts) -> None:
    appointment_id, _ = booked_slot(client)
    (_, email, _), *_ = waiting(client, 1)
    cancel(client, appointment_id)
    [link] = offers_to(client, email)

    tampered = link[:-1] + ("A" if link[-1] != "A" else "B")

    assert client.http.get(f"/offers/{tampered}").status_code == 404
    assert post(client, f"/offers/{tampered}/accept", {}).status_code == 404
    assert client.http.get("/offers/x").status_code == 404


def test_an_offer_of_a_service_that_asks_for_eid_acts_only_for_the_same_person(
    client: Client, demo: DemoCounts
) -> None:
    service = "tax-information"
    start = slots(client, service)[0]["start"]
    owner = eid_token("00000000T")
    booked = book(client, owner, start, service=service, contact={"email": "owner@example.org"})
    assert booked.status_code == 201, booked.body
    waiter = eid_token(dni(2000))
    assert join(client, waiter, service=service, email="eid-waiter@example.org").status_code == 201
    assert post(client, f"/appointments/{body(booked)['id']}/cancel", {}, owner).status_code == 200
    [link] = offers_to(client, "eid-waiter@example.org")

    # the link alone is not enough; another person's eID is told it does not exist
    alone = client.http.get(f"/offers/{link}")
    assert alone.status_code == 403
    assert body(alone)["code"] == "insufficient_assurance"
    assert get(client, f"/offers/{link}", eid_token(dni(2001))).status_code == 404
    code_only = code_token(dni(2000), "eid-waiter@example.org")
    assert body(post(client, f"/offers/{link}/accept", {}, code_only))["code"] == "insufficient_assurance"
    # the same person with eID books it
    accepted = post(client, f"/offers/{link}/accept", {}, waiter)
    assert accepted.status_code == 201, accepted.body


def _accept_all(client: Client, links: list[str]) -> list[Any]:
    results: list[Any] = [None] * len(links)
    barrier = threading.Barrier(len(links))

    def accept(i: int) -> None:
        barrier.wait()
        results[i] = client.http.post(
            f"/offers/{links[i]}/accept", body="{}", headers={"Content-Type": "application/json"}
        )

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(len(links))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _booked_at(start: str) -> int:
    container = get_container()
    at = datetime.fromisoformat(start)
    day = at.astimezone(container.booking.zone).date().isoformat()
    return sum(
        1
        for a in container.booking_store.of_office_day("OMAC", day)
        if a.start == at and a.service_id == SERVICE and a.is_active
    )


@pytest.mark.parametrize("batch_size", [3, 30])
def test_a_whole_batch_accepting_at_once_books_the_slot_once(client: Client, demo: DemoCounts, batch_size: int) -> None:
    appointment_id, start = booked_slot(client)
    people = waiting(client, 30)
    get_container().waitlist.settings = replace(get_container().waitlist.settings, batch_size=batch_size)

    cancel(client, appointment_id)

    links = [link for _, email, _ in people for link in offers_to(client, email)]
    assert len(links) == batch_size  # the first batch_size in joining order
    assert all(offers_to(client, email) for _, email, _ in people[:batch_size])
    results = _accept_all(client, links)
    codes = sorted(r.status_code for r in results)
    assert codes == [201] + [409] * (batch_size - 1), [r.body for r in results]
    assert {body(r)["code"] for r in results if r.status_code == 409} == {"offer_taken"}
    assert _booked_at(start) == 1
    # the others stay on the list, and were told it is gone
    losers = [p for p, r in zip(people[:batch_size], results, strict=True) if r.status_code == 409]
    assert all(len(body(get(client, "/waitlist", token))["items"]) == 1 for _, _, token in losers)


def test_an_unaccepted_offer_moves_on_to_the_next_batch(client: Client, clock: Clock) -> None:
    appointment_id, _ = booked_slot(client)
    people = waiting(client, 4)
    cancel(client, appointment_id)
    first_batch = [offers_to(client, email) for _, email, _ in people]
    assert [len(x) for x in first_batch] == [1, 1, 1, 0]

    clock.offset = timedelta(minutes=16)
    late = client.http.get(f"/offers/{first_batch[0][0]}")

    assert late.status_code == 410
    assert body(late)["code"] == "offer_expired"
    [fourth] = offers_to(client, people[3][1])
    accepted = post(client, f"/offers/{fourth}/accept", {})
    assert accepted.status_code == 201, accepted.body
    assert post(client, f"/offers/{first_batch[1][0]}/accept", {}).status_code == 410


def test_the_scheduled_sweep_moves_expired_offers_on(client: Client, clock: Clock) -> None:
    appointment_id, _ = booked_slot(client)
    people = waiting(client, 4)
    cancel(client, appointment_id)

    clock.offset = timedelta(minutes=16)
    sent = get_container().waitlist.sweep()

    assert sent == 1
    assert len(offers_to(client, people[3][1])) == 1


def test_a_rescheduled_appointments_old_time_is_offered(client: Client, demo: DemoCounts) -> None:
    appointment_id, start = booked_slot(client)
    (_, email, _), *_ = waiting(client, 1)
    owner = citizen_token(client, "00000000T", "owner@example.org")
    later = next(s["start"] for s in slots(client) if s["start"] != start)

    moved = post(client, f"/appointments/{appointment_id}/reschedule", {"start": later}, owner)

    assert moved.status_code == 200, moved.body
    [link] = offers_to(client, email)
    assert body(client.http.get(f"/offers/{link}"))["start"] == start


def test_an_offer_email_is_in_the_entrys_language_with_the_one_tap_link(client: Client, demo: DemoCounts) -> None:
    appointment_id, _ = booked_slot(client)
    token = code_token(dni(3000), "ca@example.org")
    assert join(client, token, email="ca@example.org", language="ca").status_code == 201

    cancel(client, appointment_id)

    message = body(client.http.get("/dev/outbox?to=ca@example.org"))["items"][0]
    assert message["subject"].startswith("Hi ha una hora lliure")
    assert "/offer#token=" in message["body"]


def test_the_audit_trail_records_joining_and_offers_with_pseudonyms(client: Client, demo: DemoCounts) -> None:
    appointment_id, _ = booked_slot(client)
    (citizen, email, _), *_ = waiting(client, 1)
    cancel(client, appointment_id)
    [link] = offers_to(client, email)
    assert post(client, f"/offers/{link}/accept", {}).status_code == 201

    events = get_container().audit_events.events_of_day(today().isoformat())
    mine = [e for e in events if e.action in {"waitlist.join", "offer.sent", "offer.accepted"}]
    assert {e.action for e in mine} == {"waitlist.join", "offer.sent", "offer.accepted"}
    # the citizen appears only as their pseudonym
    pseudonym = get_container().pseudonym(citizen)
    assert all(e.data_subject == pseudonym for e in mine)
    assert all(citizen not in json.dumps(e.details) and citizen not in e.actor.id for e in mine)
