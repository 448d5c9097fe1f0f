"""Procedures and documents: the agent's form and issue, the citizen's documents, the public CSV verification."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.blueprint import ApiBlueprint, json_response, principal
from chalicelib.api.request import context_of, json_object
from chalicelib.bootstrap import get_container
from chalicelib.domain.messages import from_accept_language
from chalicelib.settings import LANGUAGES

procedures = ApiBlueprint(__name__)

NO_STORE = {"Cache-Control": "no-store"}


def _language() -> str:
    request = procedures.current_request
    asked = dict(request.query_params or {}).get("lang")
    if asked in LANGUAGES:
        return str(asked)
    return from_accept_language(request.headers.get("accept-language")) or "ca"


@procedures.route("/appointments/{appointment_id}/procedure-form", methods=["GET"], auth="staff")
def procedure_form(appointment_id: str) -> Response:
    request = procedures.current_request
    form = get_container().procedures.form(principal(), appointment_id, _language(), context_of(request))
    return json_response(form, headers=NO_STORE)


@procedures.route("/appointments/{appointment_id}/procedures", methods=["POST"], auth="staff")
def run_procedure(appointment_id: str) -> Response:
    request = procedures.current_request
    result = get_container().procedures.run(principal(), appointment_id, json_object(request), context_of(request))
    return json_response(result, status=201, headers=NO_STORE)


@procedures.route("/appointments/{appointment_id}/procedures", methods=["GET"], auth="any")
def appointment_procedures(appointment_id: str) -> Response:
    items = get_container().procedures.of_appointment(principal(), appointment_id)
    return json_response({"items": items, "next": None}, headers=NO_STORE)


@procedures.route("/procedures/{procedure_id}", methods=["GET"], auth="any")
def get_procedure(procedure_id: str) -> Response:
    return json_response(get_container().procedures.get(principal(), procedure_id), headers=NO_STORE)


@procedures.route("/documents", methods=["GET"], auth="any")
def list_documents() -> Response:
    appointment = dict(procedures.current_request.query_params or {}).get("appointment")
    items = get_container().procedures.documents(principal(), appointment)
    return json_response({"items": items, "next": None}, headers=NO_STORE)


@procedures.route("/documents/{document_id}", methods=["GET"], auth="any")
def get_document(document_id: str) -> Response:
    request = procedures.current_request
    return json_response(
        get_container().procedures.document(principal(), document_id, context_of(request)), headers=NO_STORE
    )


@procedures.route("/verify/{csv}", methods=["GET"])
def verify(csv: str) -> Response:
    request = procedures.current_request
    id_number = dict(request.query_params or {}).get("id_number")
    result = get_container().procedures.verify(csv, id_number, context_of(request))
    return json_response(result, headers=NO_STORE)


@procedures.route("/procedures/{procedure_id}/confirm", methods=["POST"], auth="citizen")
def confirm(procedure_id: str) -> Response:
    """Step 1 (no body): a fresh one-time code to the citizen's contact → 202. Step 2 (challenge_id + code) → 200."""
    request = procedures.current_request
    body = json_object(request) if request.raw_body else {}
    status, result = get_container().procedures.confirm(principal(), procedure_id, body, context_of(request))
    return json_response(result, status=status, headers=NO_STORE)


@procedures.route("/instalment-plans/preview", methods=["POST"], auth="any")
def preview_instalments() -> Response:
    result = get_container().procedures.preview_instalments(json_object(procedures.current_request))
    return json_response(result, headers=NO_STORE)


@procedures.route("/appointments/{appointment_id}/attachments", methods=["POST"], auth="staff")
def attach(appointment_id: str) -> Response:
    """A supporting document shown in the call (PDF, JPEG or PNG, ≤ 4 MB, as base64 JSON), kept with the case."""
    request = procedures.current_request
    result = get_container().procedures.attach(principal(), appointment_id, json_object(request), context_of(request))
    return json_response(result, status=201, headers=NO_STORE)
