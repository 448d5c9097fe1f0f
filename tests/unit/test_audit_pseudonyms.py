"""No ID number reaches the trail: actors, subjects and data subjects are stored as keyed hashes."""

from __future__ import annotations

from chalicelib.domain.audit import (
    Actor,
    AuditEvent,
    Outcome,
    RequestContext,
    citizen_pseudonym,
    pseudonymise,
    redact,
)

KEY = b"test-key"


def event(actor: Actor, subject: str, data_subject: str | None = None) -> AuditEvent:
    return AuditEvent(actor, "register.read", subject, Outcome.SUCCESS, RequestContext("r1"), data_subject=data_subject)


def hide(value: str) -> str:
    return citizen_pseudonym(KEY, value)


def test_citizen_ids_become_keyed_hashes_everywhere() -> None:
    stored = pseudonymise(event(Actor("citizen:12345678Z", "citizen"), "citizen:12345678Z"), hide)
    pseudonym = citizen_pseudonym(KEY, "12345678z")
    assert stored.actor.id == f"citizen:{pseudonym}"
    assert stored.subject == f"citizen:{pseudonym}"
    assert stored.data_subject == pseudonym  # a citizen acting on their own data is its subject
    assert "12345678Z" not in repr(stored)


def test_staff_reading_a_citizen_names_the_citizen_only_by_pseudonym() -> None:
    stored = pseudonymise(event(Actor("staff:agent.omac", "agent"), "appointment:a1", "12345678Z"), hide)
    assert stored.actor.id == "staff:agent.omac"
    assert stored.subject == "appointment:a1"
    assert stored.data_subject == citizen_pseudonym(KEY, "12345678Z")


def test_pseudonyms_depend_on_the_key_and_are_not_hashed_twice() -> None:
    assert citizen_pseudonym(KEY, "12345678Z") != citizen_pseudonym(b"other", "12345678Z")
    once = pseudonymise(event(Actor("citizen:12345678Z", "citizen"), "citizen:12345678Z"), hide)
    assert pseudonymise(once, hide) == once


def test_what_people_type_keeps_no_id_number_email_or_phone() -> None:
    reason = "Complaint by 12345678-z (rosa@example.org, +34 600 111 222) about X1234567L's call"
    typed = AuditEvent(
        Actor("staff:44444444A", "staff"),  # an ID number typed as a user name at sign-in
        "record.hold",
        "staff:laia@example.org",
        Outcome.SUCCESS,
        RequestContext("r1"),
        purpose=reason,
        details={"actor": "citizen:12345678Z", "filter": "600111222"},
    )
    stored = pseudonymise(typed, hide)
    text = repr(stored)
    for raw in ("12345678", "rosa@", "600 111", "600111222", "X1234567L", "44444444A", "laia@"):
        assert raw not in text
    assert stored.purpose == (f"Complaint by {hide('12345678Z')} (****.org, ****1222) about {hide('X1234567L')}'s call")
    assert stored.details["actor"] == f"citizen:{hide('12345678Z')}"
    assert pseudonymise(stored, hide) == stored


def test_machine_values_in_details_are_left_alone() -> None:
    details = {
        "sha256": "12345678a" + "b" * 55,
        "csv_digest": "1234567890123456",
        "start": "2026-11-28T09:00:00+01:00",
        "room": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "objects": "3",
        "events": "20000",
    }
    assert {k: redact(v, hide) for k, v in details.items()} == details
