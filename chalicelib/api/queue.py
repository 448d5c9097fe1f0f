"""The waiting room's queue (issue 16): a citizen's place and estimated wait, the office's "waiting for anyone" list,
and taking or handing over a citizen whose own agent is still busy."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.appointments import appointment_body
from chalicelib.api.blueprint import NO_STORE, ApiBlueprint, json_response, principal
from chalicelib.api.request import context_of, json_object, query_params
from chalicelib.bootstrap import get_container

queue = ApiBlueprint(__name__)


@queue.route("/appointments/{appointment_id}/queue", methods=["GET"], auth="any", scoped=True)
def place(appointment_id: str) -> Response:
    """Where the citizen stands in their agent's queue and how long they will probably wait (asked every 5 s)."""
    return json_response(get_container().queue.place(principal(), appointment_id).to_json(), headers=NO_STORE)


@queue.route("/queue/overflow", methods=["GET"], auth="staff")
def overflow() -> Response:
    office = query_params(queue.current_request).get("office")
    return json_response(get_container().queue.overflow(principal(), office), headers=NO_STORE)


@queue.route("/appointments/{appointment_id}/take", methods=["POST"], auth="staff")
def take(appointment_id: str) -> Response:
    request = queue.current_request
    moved = get_container().queue.take(principal(), appointment_id, context_of(request))
    return json_response(appointment_body(moved), headers=NO_STORE)


@queue.route("/appointments/{appointment_id}/hand-over", methods=["POST"], auth="staff")
def hand_over(appointment_id: str) -> Response:
    request = queue.current_request
    agent = json_object(request).get("agent")
    moved = get_container().queue.hand_over(principal(), appointment_id, agent, context_of(request))
    return json_response(appointment_body(moved), headers=NO_STORE)
