"""The waitlist (a signed-in citizen's own entries) and the offers of freed slots (one-tap links: the offer's token
is the proof for a low-assurance service; for the others an eID sign-in of the same person must come with it)."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api import commands, idempotency
from chalicelib.api.appointments import appointment_json
from chalicelib.api.blueprint import NO_STORE, ApiBlueprint, json_response, principal, signed_in
from chalicelib.api.request import context_of, json_object, with_language
from chalicelib.bootstrap import get_container
from chalicelib.domain.calls import IDLE_JSON
from chalicelib.services.waitlist import entry_json

waitlist = ApiBlueprint(__name__)


@waitlist.route("/waitlist", methods=["POST"], auth="citizen")
def join() -> Response:
    """Idempotent with an ``Idempotency-Key``: a retry answers the first join."""
    request = waitlist.current_request
    container = get_container()
    service_waitlist, booking = container.waitlist, container.booking
    caller = principal()

    def join_once(body: dict[str, Any]) -> dict[str, Any]:
        service = service_waitlist.service(commands.service_id(body))
        parsed = commands.join_waitlist(body, today=booking.today(), latest=service_waitlist.latest_day(service))
        return entry_json(service_waitlist.join(caller, service, parsed, context_of(request)))

    result = idempotency.once(
        request,
        caller,
        "waitlist",
        with_language(request, json_object(request)),
        join_once,
        busy="You are already being added to this waitlist; check My waitlist.",
    )
    return json_response(result, status=201, headers=NO_STORE)


@waitlist.route("/waitlist", methods=["GET"], auth="citizen")
def mine() -> Response:
    items = [entry_json(e) for e in get_container().waitlist.mine(principal())]
    return json_response({"items": items, "next": None}, headers=NO_STORE)


@waitlist.route("/waitlist/{entry_id}", methods=["DELETE"], auth="citizen")
def leave(entry_id: str) -> Response:
    get_container().waitlist.leave(principal(), entry_id, context_of(waitlist.current_request))
    return Response(body="", status_code=204, headers={"Cache-Control": "no-store"})


@waitlist.route("/offers/{token}", methods=["GET"], auth="optional")
def offer(token: str) -> Response:
    found, service = get_container().waitlist.details(token, signed_in())
    body = {
        "service_id": service.id,
        "office": service.office,
        "start": found.start.isoformat(),
        "end": found.end.isoformat(),
        "hold_until": found.hold_until.isoformat(),
        "min_assurance": service.min_assurance.value,
    }
    return json_response(body, headers=NO_STORE)


@waitlist.route("/offers/{token}/accept", methods=["POST"], auth="optional")
def accept(token: str) -> Response:
    container = get_container()
    appointment = container.waitlist.accept(token, signed_in(), context_of(waitlist.current_request))
    body = appointment_json(appointment, container.booking.manage_url(appointment), call=dict(IDLE_JSON))
    return json_response(body, status=201, headers=NO_STORE)
