"""Issuing documents safely (issue 13, items 3 and 6).

3. A one-time code proves only an address: anyone who knows someone's ID number can sign in with it and their own
   email. A document with personal data is issued only when the appointment's citizen identified at the substantial
   level or higher for it (eID), or the office's agent recorded an identity check in the call; and a session below
   substantial may not open such a document when its appointment has no check.
4. Running a procedure twice issues its documents once: ``Idempotency-Key`` (same key and body → the first answer),
   and without a key a second run is 409 ``already_issued`` unless it asks for a reissue with a reason (audited).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_container
from chalicelib.domain.audit import AuditEvent
from chalicelib.domain.catalogue import Assurance
from chalicelib.domain.procedures import REGISTRY
from chalicelib.texts import say
from dev.seed import DEMO, DemoCounts
from tests.api.test_calls import register_node
from tests.api.test_identity import body, citizen_token, eid_token, get, post, staff_token
from tests.api.test_procedures import EMAIL, appointment, blank_pdf, check_identity, issue
from tests.zones import COUNCIL_ZONE

RESIDENCE = {"certificate_type": "individual", "requester": "holder"}
# The demo catalogue's services that carry out a procedure: id → (procedure, office).
WITH_PROCEDURE = {
    s["id"]: (s["procedure"], s["office"])
    for s in json.loads((DEMO / "catalogue.json").read_text(encoding="utf-8"))["services"]
    if s.get("procedure")
}


def trail(action: str) -> list[AuditEvent]:
    today = datetime.now(UTC).astimezone(COUNCIL_ZONE).date().isoformat()
    return [e for e in get_container().audit.events_of_day(today) if e.action == action]


def run(client: Client, appointment_id: str, token: str, payload: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    path = f"/appointments/{appointment_id}/procedures"
    return client.http.post(path, body=json.dumps(payload), headers=headers)


def documents_of(appointment_id: str) -> list[dict[str, Any]]:
    found = get_container().procedures._store.documents_of_appointment(appointment_id)
    return [d for d in found if d.get("kind") != "attachment"]


@pytest.fixture
def agent(client: Client, demo: DemoCounts) -> str:
    return staff_token(client, "agent.omac")


# --- the identity check --------------------------------------------------------------------------------------------


def test_the_agent_records_a_check_once_and_it_is_audited_without_the_id_number(client: Client, agent: str) -> None:
    omac = appointment("residence-certificate", "OMAC")

    first = check_identity(client, omac, agent, "nie_shown")
    again = check_identity(client, omac, agent, "nie_shown")

    assert first.status_code == 201, first.body
    assert body(first)["method"] == "nie_shown"
    assert body(first)["checked_by"] == "staff:agent.omac"
    # Recording the same check again changes nothing: the first one's answer, one audit event.
    assert again.status_code == 200, again.body
    assert body(again) == body(first)
    (event,) = [e for e in trail("appointment.identity_check") if e.subject == f"appointment:{omac}"]
    assert event.details["method"] == "nie_shown"
    assert event.data_subject
    assert "12345678Z" not in event.data_subject  # pseudonymised


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"method": "dni_shown", "matches": False}, "matches"),
        ({"method": "dni_shown"}, "matches"),
        ({"method": "selfie", "matches": True}, "method"),
    ],
)
def test_a_check_that_does_not_match_is_refused_at_its_field_in_plain_words(
    client: Client, agent: str, payload: dict[str, Any], field: str
) -> None:
    omac = appointment("residence-certificate", "OMAC")

    answer = post(client, f"/appointments/{omac}/identity-check", payload, agent)

    assert answer.status_code == 422, answer.body
    errors = {e["field"]: e for e in body(answer)["errors"]}
    assert set(errors) == {field}
    if payload.get("matches") is False:
        assert errors["matches"]["code"] == "identity_not_matching"
        assert errors["matches"]["message"] == say("validation.identity_not_matching", "ca")
        english = say("validation.identity_not_matching", "en")
        assert "Do not issue" in english
        assert "digital identity" in english
        assert "in person" in english
    assert get_container().booking.lookup(omac).identity_check is None  # type: ignore[union-attr]


def test_a_check_is_only_for_the_offices_agent_during_the_call(client: Client, agent: str) -> None:
    omac = appointment("residence-certificate", "OMAC")
    tomorrow = appointment(
        "residence-certificate",
        "OMAC",
        "99301193G",
        start=datetime.now(UTC).astimezone(COUNCIL_ZONE).replace(second=0, microsecond=0) + timedelta(days=1),
    )

    assert check_identity(client, omac, staff_token(client, "agent.ogat")).status_code == 404
    assert check_identity(client, omac, staff_token(client, "supervisor")).status_code == 404
    assert check_identity(client, omac, citizen_token(client, "12345678Z", EMAIL)).status_code == 404
    # The person shows the document on camera: not before the call opens.
    early = check_identity(client, tomorrow, agent)
    assert (early.status_code, body(early)["code"]) == (409, "call_not_open")
    # Once the agent has recorded how it ended, the appointment is closed (a started one can no longer be cancelled).
    assert post(client, f"/appointments/{omac}/outcome", {"outcome": "completed"}, agent).status_code == 200
    closed = check_identity(client, omac, agent)
    assert (closed.status_code, body(closed)["code"]) == (409, "appointment_closed")


# --- issuing needs a proven identity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("service", sorted(WITH_PROCEDURE))
def test_every_procedure_with_personal_data_is_refused_without_a_check(
    client: Client, demo: DemoCounts, service: str
) -> None:
    kind, office = WITH_PROCEDURE[service]
    assert REGISTRY[kind].personal_data  # each of today's procedures: say so if a new one does not
    booked = appointment(service, office)
    token = staff_token(client, f"agent.{office.lower()}")

    answer = issue(client, booked, token, kind, {}, checked=False)

    assert (answer.status_code, body(answer)["code"]) == (409, "identity_not_checked"), answer.body
    assert "DNI, NIE or passport" in body(answer)["detail"]
    assert documents_of(booked) == []
    assert get_container().procedures._store.procedures_of(booked) == []


def test_with_a_check_the_procedure_and_its_document_record_it(client: Client, agent: str) -> None:
    omac = appointment("residence-certificate", "OMAC")

    issued = issue(client, omac, agent, "residence_certificate", RESIDENCE)

    assert issued.status_code == 201, issued.body
    record = get_container().procedures._store.get_procedure(body(issued)["id"])
    assert record is not None
    assert record["identity"]["basis"] == "check"
    assert record["identity"]["method"] == "dni_shown"
    assert record["identity"]["checked_by"] == "staff:agent.omac"
    (document,) = documents_of(omac)
    assert document["identity"]["method"] == "dni_shown"


def test_an_eid_level_for_the_appointment_needs_no_check(client: Client, agent: str) -> None:
    omac = appointment("residence-certificate", "OMAC", citizen_assurance=Assurance.SUBSTANTIAL)

    issued = issue(client, omac, agent, "residence_certificate", RESIDENCE, checked=False)

    assert issued.status_code == 201, issued.body
    (document,) = documents_of(omac)
    assert document["identity"] == {"basis": "eid", "level": "substantial"}
    form = body(get(client, f"/appointments/{omac}/procedure-form", agent))
    assert form["needs_identity_check"] is False


def test_the_form_says_a_check_is_needed_until_it_is_recorded(client: Client, agent: str) -> None:
    omac = appointment("residence-certificate", "OMAC")

    before = body(get(client, f"/appointments/{omac}/procedure-form", agent))
    check_identity(client, omac, agent, "passport_shown")
    after = body(get(client, f"/appointments/{omac}/procedure-form", agent))

    assert (before["needs_identity_check"], before["identity"]) == (True, None)
    assert after["needs_identity_check"] is False
    assert after["identity"]["method"] == "passport_shown"


def test_booking_and_joining_with_eid_record_the_level_on_the_appointment(client: Client, demo: DemoCounts) -> None:
    # Booked by a code sign-in: low.
    code = citizen_token(client, "12345678Z", EMAIL)
    slot = body(get(client, "/services/change-of-address/slots"))["items"][0]["start"]
    booked = post(
        client,
        "/appointments",
        {"service_id": "change-of-address", "start": slot, "language": "en", "contact": {"email": EMAIL}},
        code,
    )
    assert booked.status_code == 201, booked.body
    assert get_container().booking.lookup(body(booked)["id"]).citizen_assurance is Assurance.LOW  # type: ignore[union-attr]
    # Booked with eID: substantial.
    eid = eid_token("99301193G")
    other = post(
        client,
        "/appointments",
        {"service_id": "change-of-address", "start": slot, "language": "en", "contact": {"email": "j@example.org"}},
        eid,
    )
    assert other.status_code == 201, other.body
    assert get_container().booking.lookup(body(other)["id"]).citizen_assurance is Assurance.SUBSTANTIAL  # type: ignore[union-attr]
    # Booked by the office (no identity proven), then joined with eID by its citizen: substantial from then on.
    register_node("node-a")
    omac = appointment("residence-certificate", "OMAC", "99301193G", "j@example.org")
    assert post(client, f"/appointments/{omac}/call", {}, eid).status_code == 200
    assert get_container().booking.lookup(omac).citizen_assurance is Assurance.SUBSTANTIAL  # type: ignore[union-attr]
    agent = staff_token(client, "agent.omac")
    assert issue(client, omac, agent, "residence_certificate", RESIDENCE, checked=False).status_code == 201


# --- opening a document with personal data --------------------------------------------------------------------------


def test_a_code_session_cannot_open_a_document_whose_appointment_had_no_check(client: Client, agent: str) -> None:
    # GIVEN a certificate issued on the eID level recorded for the appointment, and no check in the call
    omac = appointment("residence-certificate", "OMAC", citizen_assurance=Assurance.SUBSTANTIAL)
    issued = body(issue(client, omac, agent, "residence_certificate", RESIDENCE, checked=False))
    (document,) = issued["documents"]

    # WHEN someone signs in with the citizen's ID number and the appointment's email address, by code
    code = citizen_token(client, "12345678Z", EMAIL)

    # THEN the document is refused in plain words, and neither its CSV nor it appear in their lists
    refused = get(client, f"/documents/{document['id']}", code)
    assert (refused.status_code, body(refused)["code"]) == (403, "identity_not_checked"), refused.body
    assert "digital identity" in body(refused)["detail"]
    assert document["id"] not in json.dumps(body(get(client, "/documents", code)))
    assert document["csv"] not in json.dumps(body(get(client, f"/procedures/{issued['id']}", code)))
    assert document["csv"] not in json.dumps(body(get(client, f"/appointments/{omac}/procedures", code)))
    assert trail("document.download") == []
    # AND the citizen with eID opens it
    opened = get(client, f"/documents/{document['id']}", eid_token("12345678Z"))
    assert opened.status_code == 200, opened.body


def test_a_code_session_opens_the_document_once_the_agent_checked_the_identity(client: Client, agent: str) -> None:
    omac = appointment("residence-certificate", "OMAC")
    issued = body(issue(client, omac, agent, "residence_certificate", RESIDENCE))
    (document,) = issued["documents"]
    code = citizen_token(client, "12345678Z", EMAIL)

    assert get(client, f"/documents/{document['id']}", code).status_code == 200
    assert [d["id"] for d in body(get(client, "/documents", code))["items"]] == [document["id"]]


# --- once per appointment ------------------------------------------------------------------------------------------


def test_a_second_run_without_a_key_is_already_issued_and_names_the_first(client: Client, agent: str) -> None:
    omac = appointment("residence-certificate", "OMAC")
    first = issue(client, omac, agent, "residence_certificate", RESIDENCE)
    assert first.status_code == 201, first.body

    second = run(client, omac, agent, {"type": "residence_certificate", "data": RESIDENCE})

    assert second.status_code == 409, second.body
    problem = body(second)
    assert problem["code"] == "already_issued"
    assert problem["procedure_id"] == body(first)["id"]
    assert problem["documents"] == body(first)["documents"]
    assert len(documents_of(omac)) == 1
    assert len(trail("document.issue")) == 1


def test_a_reissue_needs_a_reason_and_is_audited(client: Client, agent: str) -> None:
    omac = appointment("residence-certificate", "OMAC")
    first = body(issue(client, omac, agent, "residence_certificate", RESIDENCE))
    payload = {"type": "residence_certificate", "data": RESIDENCE, "reissue": True}

    no_reason = run(client, omac, agent, payload)
    again = run(client, omac, agent, {**payload, "reason": "The citizen lost the first copy"})

    assert no_reason.status_code == 422
    assert [e["field"] for e in body(no_reason)["errors"]] == ["reason"]
    assert again.status_code == 201, again.body
    assert body(again)["id"] != first["id"]
    assert len(documents_of(omac)) == 2
    (event,) = trail("procedure.reissue")
    assert event.details["previous"] == first["id"]
    assert event.details["reason"] == "The citizen lost the first copy"
    assert event.subject == f"procedure:{body(again)['id']}"


def test_the_same_idempotency_key_answers_the_first_issue(client: Client, agent: str) -> None:
    omac = appointment("residence-certificate", "OMAC")
    check_identity(client, omac, agent)
    payload = {"type": "residence_certificate", "data": RESIDENCE}

    first = run(client, omac, agent, payload, key="issue-click-0001")
    retry = run(client, omac, agent, payload, key="issue-click-0001")
    other_body = run(
        client, omac, agent, {**payload, "data": {**RESIDENCE, "certificate_type": "household"}}, "issue-click-0001"
    )
    other_appointment = run(
        client, appointment("residence-certificate", "OMAC", "99301193G"), agent, payload, "issue-click-0001"
    )

    assert first.status_code == 201, first.body
    # The same document, the same CSV: nothing issued twice.
    assert (retry.status_code, body(retry)) == (201, body(first))
    assert len(documents_of(omac)) == 1
    assert (other_body.status_code, body(other_body)["code"]) == (409, "idempotency_key_reused")
    assert (other_appointment.status_code, body(other_appointment)["code"]) == (409, "idempotency_key_reused")
    bad_key = run(client, omac, agent, payload, key="short")
    assert (bad_key.status_code, body(bad_key)["errors"][0]["field"]) == (422, "Idempotency-Key")


def test_a_run_while_another_is_issuing_is_in_progress_and_issues_nothing(client: Client, agent: str) -> None:
    omac = appointment("residence-certificate", "OMAC")
    check_identity(client, omac, agent)
    store = get_container().procedures._store
    original = store.store_pdf
    answers: list[Any] = []

    def meanwhile(*args: Any, **kwargs: Any) -> None:
        # While the first run stores its PDF, the agent clicks again (no key).
        if not answers:
            answers.append(run(client, omac, agent, {"type": "residence_certificate", "data": RESIDENCE}))
        original(*args, **kwargs)

    store.store_pdf = meanwhile  # type: ignore[method-assign]
    try:
        first = run(client, omac, agent, {"type": "residence_certificate", "data": RESIDENCE})
    finally:
        store.store_pdf = original  # type: ignore[method-assign]

    assert first.status_code == 201, first.body
    (second,) = answers
    assert (second.status_code, body(second)["code"]) == (409, "request_in_progress")
    assert len(documents_of(omac)) == 1


def test_a_run_that_fails_midway_leaves_the_turn_to_the_next_one(client: Client, agent: str) -> None:
    omac = appointment("residence-certificate", "OMAC")
    check_identity(client, omac, agent)
    store = get_container().procedures._store
    original = store.store_pdf

    def broken(*args: Any, **kwargs: Any) -> None:
        from chalicelib.domain.errors import DependencyUnavailable

        raise DependencyUnavailable("The document could not be stored; nothing was issued.")

    store.store_pdf = broken  # type: ignore[method-assign]
    try:
        failed = run(client, omac, agent, {"type": "residence_certificate", "data": RESIDENCE})
    finally:
        store.store_pdf = original  # type: ignore[method-assign]
    retried = run(client, omac, agent, {"type": "residence_certificate", "data": RESIDENCE})

    assert failed.status_code == 503
    assert retried.status_code == 201, retried.body
    assert [p["id"] for p in body(get(client, f"/appointments/{omac}/procedures", agent))["items"]] == [
        body(retried)["id"]
    ]


def test_the_same_key_adds_an_attachment_once(client: Client, agent: str) -> None:
    omac = appointment("residence-certificate", "OMAC")
    payload = {
        "filename": "authorisation.pdf",
        "content_type": "application/pdf",
        "data_base64": base64.b64encode(blank_pdf()).decode(),
    }
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {agent}", "Idempotency-Key": "upload-0001"}
    path = f"/appointments/{omac}/attachments"

    first = client.http.post(path, body=json.dumps(payload), headers=headers)
    retry = client.http.post(path, body=json.dumps(payload), headers=headers)

    assert first.status_code == 201, first.body
    assert body(retry) == body(first)
    attachments = [
        d for d in get_container().procedures._store.documents_of_appointment(omac) if d["kind"] == "attachment"
    ]
    assert len(attachments) == 1
