"""Procedures and documents: the agent's form and issue, the citizen's documents, the public CSV verification."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.api import commands, idempotency
from chalicelib.api.blueprint import NO_STORE, ApiBlueprint, json_response, principal
from chalicelib.api.request import context_of, json_object, query_params
from chalicelib.auth.principal import Principal
from chalicelib.bootstrap import get_container
from chalicelib.domain.audit import RequestContext
from chalicelib.domain.instalments import Plan
from chalicelib.domain.messages import from_accept_language
from chalicelib.domain.procedure_view import ProcedureView
from chalicelib.services.procedures import ConsentCodeSent
from chalicelib.texts import LANGUAGES

if TYPE_CHECKING:  # annotations only: the values come from the services (no import at cold start)
    from chalicelib.domain.document_view import DocumentView

procedures = ApiBlueprint(__name__)

# A use case that creates something in an appointment: (caller, body, request context) → its JSON.
Create = Callable[[Principal, dict[str, Any], RequestContext], dict[str, Any]]


def _language() -> str:
    request = procedures.current_request
    asked = query_params(request).get("lang")
    if asked in LANGUAGES:
        return str(asked)
    return from_accept_language(request.headers.get("accept-language")) or "ca"


@procedures.route("/appointments/{appointment_id}/procedure-form", methods=["GET"], auth="staff")
def procedure_form(appointment_id: str) -> Response:
    request = procedures.current_request
    form = get_container().procedures.form(principal(), appointment_id, _language(), context_of(request))
    return json_response(form, headers=NO_STORE)


@procedures.route("/appointments/{appointment_id}/identity-check", methods=["POST"], auth="staff")
def identity_check(appointment_id: str) -> Response:
    """The agent saw the citizen's DNI, NIE or passport in the call and it matches (before issuing personal data)."""
    request = procedures.current_request
    booking = get_container().booking
    check, recorded = booking.check_identity(
        principal(), appointment_id, commands.identity_check(json_object(request)), context_of(request)
    )
    body = {"appointment_id": appointment_id, **check.to_json()}
    return json_response(body, status=201 if recorded else 200, headers=NO_STORE)


@procedures.route("/appointments/{appointment_id}/procedures", methods=["POST"], auth="staff")
def run_procedure(appointment_id: str) -> Response:
    """Issues its documents once: idempotent with an ``Idempotency-Key``; a second run is 409 ``already_issued``."""
    busy = "This procedure is being carried out right now; reload it in a moment."
    run = get_container().procedures.run
    return _create_once(
        appointment_id,
        "procedure",
        lambda caller, body, ctx: procedure_json(run(caller, appointment_id, commands.run_procedure(body), ctx)),
        busy,
    )


@procedures.route("/appointments/{appointment_id}/procedures", methods=["GET"], auth="any")
def appointment_procedures(appointment_id: str) -> Response:
    items = get_container().procedures.of_appointment(principal(), appointment_id)
    return json_response({"items": [procedure_json(p) for p in items], "next": None}, headers=NO_STORE)


@procedures.route("/procedures/{procedure_id}", methods=["GET"], auth="any")
def get_procedure(procedure_id: str) -> Response:
    return json_response(procedure_json(get_container().procedures.get(principal(), procedure_id)), headers=NO_STORE)


@procedures.route("/documents", methods=["GET"], auth="any")
def list_documents() -> Response:
    appointment = query_params(procedures.current_request).get("appointment")
    items = get_container().documents.documents(principal(), appointment)
    return json_response({"items": [document_json(d) for d in items], "next": None}, headers=NO_STORE)


@procedures.route("/documents/{document_id}", methods=["GET"], auth="any")
def get_document(document_id: str) -> Response:
    request = procedures.current_request
    opened = get_container().documents.document(principal(), document_id, context_of(request))
    return json_response({**document_json(opened.document), "download_url": opened.download_url}, headers=NO_STORE)


@procedures.route("/verify/{csv}", methods=["GET"])
def verify(csv: str) -> Response:
    request = procedures.current_request
    id_number = query_params(request).get("id_number")
    found = get_container().documents.verify(csv, id_number, context_of(request))
    body = {**document_json(found.document), "office": found.document.office, "download_url": found.download_url}
    return json_response(body, headers=NO_STORE)


@procedures.route("/procedures/{procedure_id}/confirm", methods=["POST"], auth="citizen")
def confirm(procedure_id: str) -> Response:
    """Step 1 (no body): a fresh one-time code to the citizen's contact → 202. Step 2 (challenge_id + code) → 200."""
    request = procedures.current_request
    body = json_object(request) if request.raw_body else {}
    code = commands.confirm_consent(body)
    result = get_container().procedures.confirm(principal(), procedure_id, code, context_of(request))
    if isinstance(result, ConsentCodeSent):
        return json_response(asdict(result), status=202, headers=NO_STORE)
    return json_response(procedure_json(result), headers=NO_STORE)


@procedures.route("/instalment-plans/preview", methods=["POST"], auth="any")
def preview_instalments() -> Response:
    service = get_container().procedures
    preview = commands.instalment_preview(json_object(procedures.current_request), window=service.preview_window())
    return json_response(_plan_json(service.preview_instalments(preview)), headers=NO_STORE)


def procedure_json(view: ProcedureView) -> dict[str, Any]:
    return {
        "id": view.id,
        "appointment_id": view.appointment_id,
        "type": view.type,
        "status": view.status,
        "created_at": view.created_at,
        "summary": {"title": view.title, "lines": [asdict(line) for line in view.lines]},
        "documents": [asdict(document) for document in view.documents],
    }


def document_json(document: DocumentView) -> dict[str, Any]:
    """An issued document as listed and opened (the public verification adds its office)."""
    return {
        "id": document.id,
        "csv": document.csv,
        "title": document.title,
        "type": document.type,
        "issued_at": document.issued_at,
        "available_until": document.available_until,
        "sha256": document.sha256,
        "size": document.size,
        "appointment_id": document.appointment_id,
    }


def _plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "items": [
            {
                "due": f.due.isoformat(),
                "principal_cents": f.principal_cents,
                "interest_cents": f.interest_cents,
                "total_cents": f.total_cents,
            }
            for f in plan.items
        ],
        "interest_cents": plan.interest_cents,
        "total_cents": plan.total_cents,
        "guarantee_required": plan.guarantee_required,
        "guarantee_cents": plan.guarantee_cents,
    }


@procedures.route("/appointments/{appointment_id}/attachments", methods=["POST"], auth="staff")
def attach(appointment_id: str) -> Response:
    """A supporting document shown in the call (PDF, JPEG or PNG, ≤ 4 MB, as base64 JSON), kept with the case."""
    busy = "This file is being added right now; reload the page in a moment."
    attach = get_container().documents.attach
    return _create_once(
        appointment_id,
        "attachment",
        lambda caller, body, ctx: asdict(attach(caller, appointment_id, commands.add_attachment(body), ctx)),
        busy,
    )


def _create_once(appointment_id: str, operation: str, create: Create, busy: str) -> Response:
    """An agent's create in an appointment (a procedure's run, an attachment), once per ``Idempotency-Key``: 201."""
    request = procedures.current_request
    caller = principal()
    result = idempotency.once(
        request,
        caller,
        operation,
        json_object(request),
        lambda body: create(caller, body, context_of(request)),
        target=appointment_id,
        busy=busy,
    )
    return json_response(result, status=201, headers=NO_STORE)
