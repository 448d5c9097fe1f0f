"""Procedures through the API: the agent's form, issuing sealed documents, the citizen's documents, CSV verification."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import boto3
import pytest
from chalice.test import Client
from pypdf import PdfReader

from chalicelib.adapters.dynamo.booking import booking_store
from chalicelib.auth.codes import contact_digest
from chalicelib.bootstrap import get_container
from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.catalogue import OfficeId
from chalicelib.domain.csv_code import new_csv
from chalicelib.texts import say
from dev.seed import DemoCounts
from infra.resources import RESOURCES, physical_name
from tests.api.test_identity import body, citizen_token, get, last_code, post, staff_token
from tests.zones import COUNCIL_ZONE

EMAIL = "rosa@example.org"
PEPPER = next(p for p in RESOURCES.parameters if p.name == "auth/otp-pepper").dev_value.encode()
# An instalment-plan preview request: the worked example of test_instalment_preview_matches_the_worked_example,
# reused by the bounds, date-bounds and authorization tests.
INSTALMENTS = {
    "amount_cents": 120000,
    "voluntary_period_end": "2025-07-21",
    "fractions": 6,
    "first_due": "2025-09-05",
    "day_of_month": 5,
    "guarantee": "none",
}


def blank_pdf() -> bytes:
    """A real one-page PDF with nothing active in it, as a scanner or a "print to PDF" makes."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def appointment(
    service: str,
    office: str,
    citizen: str = "12345678Z",
    email: str = EMAIL,
    start: datetime | None = None,
    later: timedelta = timedelta(0),
    **fields: Any,
) -> str:
    """An appointment happening now (or at ``start``, or ``later``) for ``citizen``, who signs in with a code sent to
    ``email``; ``fields`` set any other of its fields (e.g. ``citizen_assurance``)."""
    start = start or (datetime.now(UTC) + later).astimezone(COUNCIL_ZONE).replace(second=0, microsecond=0)
    booked = Appointment(
        id=str(uuid.uuid4()),
        service_id=service,
        office=OfficeId(office),
        start=start,
        end=start + timedelta(minutes=20),
        status=Status.BOOKED,
        citizen=citizen,
        citizen_contact=contact_digest(PEPPER, email),
        contact=Contact(email=email),
        language="en",
        agent=f"agent.{office.lower()}",
        units=(),
        created_at=start,
        created_by="staff:test",
        **fields,
    )
    store = booking_store(
        physical_name("dev", "appointments"),
        physical_name("dev", "booking"),
        region=os.environ["AWS_REGION"],
        host=None,
        zone=COUNCIL_ZONE,
    )
    store.book(booked, max_active=100)
    return booked.id


@pytest.fixture
def omac(demo: DemoCounts) -> str:
    return appointment("residence-certificate", "OMAC")


def check_identity(client: Client, appointment_id: str, token: str, method: str = "dni_shown") -> Any:
    return post(client, f"/appointments/{appointment_id}/identity-check", {"method": method, "matches": True}, token)


def issue(
    client: Client, appointment_id: str, token: str, kind: str, data: dict[str, Any], checked: bool = True
) -> Any:
    """Carry the procedure out; with ``checked`` the agent first records that they saw the citizen's DNI."""
    if checked:
        assert check_identity(client, appointment_id, token).status_code in (200, 201)
    return post(client, f"/appointments/{appointment_id}/procedures", {"type": kind, "data": data}, token)


def pdf_of(document_id: str) -> bytes:
    record = get_container().procedures._store.get_document(document_id)
    assert record is not None
    data: bytes = (
        boto3.client("s3").get_object(Bucket=physical_name("dev", "documents"), Key=record["key"])["Body"].read()
    )
    return data


def test_the_agent_gets_the_form_of_the_appointments_procedure(client: Client, omac: str) -> None:
    agent = staff_token(client, "agent.omac")
    answer = get(client, f"/appointments/{omac}/procedure-form?lang=ca", agent)
    assert answer.status_code == 200, answer.body
    form = body(answer)
    assert form["type"] == "residence_certificate"
    assert form["needs_consent"] is False
    fields = {f["name"]: f for f in form["fields"]}
    assert [o["value"] for o in fields["certificate_type"]["options"]] == ["individual", "household", "historical"]
    assert fields["certificate_type"]["label"] == "Tipus de certificat"
    # Reading the citizen's register data is audited with its purpose.
    trail = get_container().audit.events_of_day(datetime.now(UTC).astimezone(COUNCIL_ZONE).date().isoformat())
    read = [e for e in trail if e.action == "register.read"]
    assert read
    assert read[-1].purpose == "residence certificate"
    assert "12345678Z" not in read[-1].subject


def test_an_agent_issues_a_sealed_certificate_the_citizen_downloads_and_anyone_verifies(
    client: Client, omac: str
) -> None:
    agent = staff_token(client, "agent.omac")
    answer = issue(
        client, omac, agent, "residence_certificate", {"certificate_type": "household", "requester": "holder"}
    )
    assert answer.status_code == 201, answer.body
    procedure = body(answer)
    assert procedure["status"] == "issued"
    (document,) = procedure["documents"]
    pdf = pdf_of(document["id"])
    assert pdf.startswith(b"%PDF")
    assert len(pdf) <= 150 * 1024

    citizen = citizen_token(client, "12345678Z", EMAIL)
    mine = body(get(client, "/documents", citizen))["items"]
    assert [d["id"] for d in mine] == [document["id"]]
    detail = body(get(client, f"/documents/{document['id']}", citizen))
    assert detail["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert detail["download_url"].startswith("http")

    # Public verification: a padrón document needs the holder's ID number too, and the answer says so at that field
    # (the QR leads to the code alone); a wrong ID number is "not found", like an unknown code.
    asked = get(client, f"/verify/{document['csv']}")
    assert asked.status_code == 422
    assert [e["field"] for e in body(asked)["errors"]] == ["id_number"]
    assert get(client, f"/verify/{document['csv']}?id_number=99301193G").status_code == 404
    verified = get(client, f"/verify/{document['csv'].lower()}?id_number=12345678z")
    assert verified.status_code == 200, verified.body
    assert body(verified)["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert body(verified)["office"] == "OMAC"
    assert get(client, f"/verify/{new_csv()}").status_code == 404  # well formed, never issued
    # A mistyped character is told at the field, not as "not found".
    typo = document["csv"][:-1] + ("0" if document["csv"][-1] != "0" else "1")
    mistyped = get(client, f"/verify/{typo}?id_number=12345678Z")
    assert mistyped.status_code == 422
    assert [e["field"] for e in body(mistyped)["errors"]] == ["csv"]


def test_another_citizen_never_sees_the_document(client: Client, omac: str) -> None:
    agent = staff_token(client, "agent.omac")
    issued = body(
        issue(client, omac, agent, "residence_certificate", {"certificate_type": "individual", "requester": "holder"})
    )
    document_id = issued["documents"][0]["id"]
    stranger = citizen_token(client, "99301193G", "jordi@example.org")
    assert get(client, f"/documents/{document_id}", stranger).status_code == 404
    assert get(client, f"/procedures/{issued['id']}", stranger).status_code == 404
    assert body(get(client, "/documents", stranger))["items"] == []
    assert get(client, f"/appointments/{omac}/procedure-form", staff_token(client, "agent.ogat")).status_code == 404


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"certificate_type": "weekly", "requester": "holder"}, {"data.certificate_type"}),
        (
            {"certificate_type": "individual", "requester": "representative", "representative_id_number": "1234"},
            {"data.representative_name", "data.representative_id_number", "data.authorisation_document"},
        ),
    ],
)
def test_bad_input_names_the_fields(client: Client, omac: str, data: dict[str, Any], fields: set[str]) -> None:
    answer = issue(client, omac, staff_token(client, "agent.omac"), "residence_certificate", data)
    assert answer.status_code == 422
    assert {e["field"] for e in body(answer)["errors"]} == fields


def test_a_procedure_of_another_office_is_refused(client: Client, omac: str) -> None:
    answer = issue(client, omac, staff_token(client, "agent.omac"), "payment_letter", {"item_id": "x"})
    assert answer.status_code == 422
    assert body(answer)["errors"][0]["field"] == "type"


def test_a_payment_letter_for_a_debt_and_not_for_a_paid_receipt(client: Client, demo: DemoCounts) -> None:
    ogat = appointment("payment-letter", "OGAT")
    agent = staff_token(client, "agent.ogat")
    form = body(get(client, f"/appointments/{ogat}/procedure-form?lang=en", agent))
    options = {o["value"] for o in form["fields"][0]["options"]}
    assert "DEBT#2026-PLUS-H001" in options
    assert "RCPT#2025-IBI-9000017DF2774N0001HX" not in options  # paid
    paid = issue(client, ogat, agent, "payment_letter", {"item_id": "RCPT#2025-IBI-9000017DF2774N0001HX"})
    assert paid.status_code == 422
    assert body(paid)["errors"] == [
        {"field": "data.item_id", "code": "already_paid", "message": say("validation.already_paid", "ca")}
    ]
    letter = issue(client, ogat, agent, "payment_letter", {"item_id": "DEBT#2026-PLUS-H001"})
    assert letter.status_code == 201, letter.body
    lines = {line["label"]: line["value"] for line in body(letter)["summary"]["lines"]}
    assert set(lines) == {"Concept", "Amount", "Pay by"}
    assert pdf_of(body(letter)["documents"][0]["id"]).startswith(b"%PDF")


def test_verification_lookups_are_rate_limited(client: Client, demo: DemoCounts) -> None:
    unknown = new_csv()
    codes = [get(client, f"/verify/{unknown}").status_code for _ in range(31)]
    assert codes[:30] == [404] * 30
    assert codes[30] == 429


def test_instalment_preview_matches_the_worked_example(client: Client, demo: DemoCounts) -> None:
    citizen = citizen_token(client, "12345678Z", EMAIL)
    answer = post(client, "/instalment-plans/preview", INSTALMENTS, citizen)
    assert answer.status_code == 200, answer.body
    plan = body(answer)
    assert [i["interest_cents"] for i in plan["items"]] == [102, 171, 238, 305, 374, 443]
    assert plan["items"][1]["due"] == "2025-10-06"  # 5 October 2025 is a Sunday
    assert (plan["interest_cents"], plan["total_cents"]) == (1633, 121633)
    bad = post(client, "/instalment-plans/preview", {**INSTALMENTS, "day_of_month": 7}, citizen)
    assert bad.status_code == 422
    assert {e["field"] for e in body(bad)["errors"]} == {"day_of_month"}
    # Below the minimum amount, and more fractions than the amount's band allows (100 to 600 € → 6 months).
    small = post(client, "/instalment-plans/preview", {**INSTALMENTS, "amount_cents": 5000}, citizen)
    assert (small.status_code, next(e["field"] for e in body(small)["errors"])) == (422, "amount_cents")
    many = post(client, "/instalment-plans/preview", {**INSTALMENTS, "amount_cents": 50000, "fractions": 7}, citizen)
    assert (many.status_code, [e["field"] for e in body(many)["errors"]]) == (422, ["fractions"])


def test_an_instalment_plan_waits_for_the_citizens_consent_by_code(client: Client, demo: DemoCounts) -> None:
    ogat = appointment("instalment-plan", "OGAT")
    agent = staff_token(client, "agent.ogat")
    data = {"debts": ["DEBT#2026-PLUS-H001"], "fractions": 6, "day_of_month": 5, "first_due": "2027-01-05"}
    # Above 3,000 € a bank guarantee is required.
    refused = issue(client, ogat, agent, "instalment_plan", {**data, "guarantee": "none"})
    assert refused.status_code == 422
    assert [e["field"] for e in body(refused)["errors"]] == ["data.guarantee"]
    answer = issue(client, ogat, agent, "instalment_plan", {**data, "guarantee": "aval"})
    assert answer.status_code == 201, answer.body
    procedure = body(answer)
    assert procedure["status"] == "awaiting_consent"
    assert procedure["documents"] == []
    assert any(line["label"] == "Total" for line in procedure["summary"]["lines"])

    citizen = citizen_token(client, "12345678Z", EMAIL)
    listed = body(get(client, f"/appointments/{ogat}/procedures", citizen))["items"]
    assert [p["status"] for p in listed] == ["awaiting_consent"]
    # Staff cannot consent for the citizen.
    assert post(client, f"/procedures/{procedure['id']}/confirm", {}, agent).status_code == 404
    sent = post(client, f"/procedures/{procedure['id']}/confirm", {}, citizen)
    assert sent.status_code == 202, sent.body
    challenge = body(sent)["challenge_id"]
    wrong = post(
        client, f"/procedures/{procedure['id']}/confirm", {"challenge_id": challenge, "code": "000000"}, citizen
    )
    assert (wrong.status_code, body(wrong)["code"]) == (401, "invalid_code")
    code = last_code(client, EMAIL)
    done = post(client, f"/procedures/{procedure['id']}/confirm", {"challenge_id": challenge, "code": code}, citizen)
    assert done.status_code == 200, done.body
    confirmed = body(done)
    assert confirmed["status"] == "issued"
    assert pdf_of(confirmed["documents"][0]["id"]).startswith(b"%PDF")
    again = post(client, f"/procedures/{procedure['id']}/confirm", {"challenge_id": challenge, "code": code}, citizen)
    assert (again.status_code, body(again)["code"]) == (409, "not_awaiting_consent")


def test_a_direct_debit_checks_the_iban(client: Client, demo: DemoCounts) -> None:
    ogat = appointment("direct-debit", "OGAT")
    agent = staff_token(client, "agent.ogat")
    form = body(get(client, f"/appointments/{ogat}/procedure-form?lang=es", agent))
    assert form["needs_consent"] is True
    objects = [o["value"] for o in form["fields"][0]["options"]]
    assert "OBJ#IBI-9000017DF2774N0001HX" in objects
    data = {"objects": objects[:1], "account_holder": "Rosa Roca", "holder_authorised": True}
    bad = issue(client, ogat, agent, "direct_debit", {**data, "iban": "ES1212341234161234567890"})
    assert bad.status_code == 422
    assert [e["field"] for e in body(bad)["errors"]] == ["data.iban"]
    good = issue(client, ogat, agent, "direct_debit", {**data, "iban": "ES91 2100 0418 4502 0005 1332"})
    assert good.status_code == 201, good.body
    lines = {line["label"]: line["value"] for line in body(good)["summary"]["lines"]}
    assert lines["Account IBAN"] == "ES91 •••• 1332"
    assert lines["Account holder"] == "Rosa Roca"


def test_a_representative_brings_the_signed_authorisation(client: Client, omac: str) -> None:
    agent = staff_token(client, "agent.omac")
    attachments = f"/appointments/{omac}/attachments"
    fake = post(
        client, attachments, {"filename": "a.pdf", "content_type": "application/pdf", "data_base64": "aGVsbG8="}, agent
    )
    assert fake.status_code == 422
    assert [e["field"] for e in body(fake)["errors"]] == ["data_base64"]  # "hello" is no PDF
    pdf = base64.b64encode(blank_pdf()).decode()
    added = post(
        client,
        attachments,
        {"filename": "autoritzacio.pdf", "content_type": "application/pdf", "data_base64": pdf},
        agent,
    )
    assert added.status_code == 201, added.body
    data = {
        "certificate_type": "individual",
        "requester": "representative",
        "representative_name": "Jordi Sala",
        "representative_id_number": "99301193G",
        "authorisation_document": body(added)["id"],
    }
    issued = issue(client, omac, agent, "residence_certificate", data)
    assert issued.status_code == 201, issued.body
    # The authorisation stays with the case, not among the citizen's issued documents.
    citizen = citizen_token(client, "12345678Z", EMAIL)
    assert [d["type"] for d in body(get(client, "/documents", citizen))["items"]] == ["residence_certificate"]


def test_a_document_prints_until_when_the_council_keeps_it_from_the_retention_rules(
    client: Client, demo: DemoCounts
) -> None:
    ogat = appointment("payment-letter", "OGAT")
    agent = staff_token(client, "agent.ogat")
    letter = body(issue(client, ogat, agent, "payment_letter", {"item_id": "DEBT#2026-PLUS-H001"}))
    (document,) = letter["documents"]
    record = get_container().records._store.get(f"doc-{document['id']}")
    assert record is not None

    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf_of(document["id"]))).pages)

    # The appointment is in English: the date as the sweep will delete it (4 years and a month, retention.json).
    kept_until = datetime.fromisoformat(str(record["retain_until"])).astimezone(COUNCIL_ZONE).date()
    assert f"The City Council keeps this document until {kept_until.isoformat()}" in " ".join(text.split())
