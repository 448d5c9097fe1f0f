"""No ID number reaches the trail: actors, subjects and data subjects are stored as keyed hashes."""

from __future__ import annotations

from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext, citizen_pseudonym, pseudonymise

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
