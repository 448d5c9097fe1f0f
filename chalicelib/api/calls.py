"""Calls: join an appointment's video call, and the media nodes' signed reports about their rooms."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.blueprint import NO_STORE, ApiBlueprint, json_response, principal
from chalicelib.api.request import context_of
from chalicelib.bootstrap import get_container

calls = ApiBlueprint(__name__)


@calls.route("/appointments/{appointment_id}/call", methods=["POST"], auth="any", scoped=True)
def join_call(appointment_id: str) -> Response:
    """A room on a media node, a join token for it (2 minutes to use) and the ICE servers; ask again to reconnect."""
    service = get_container().calls
    joined = service.join(principal(), appointment_id, context_of(calls.current_request))
    body = {
        "room_id": joined.call.room_id,
        "media_url": joined.call.media_url,
        "join_token": joined.join_token,
        "ice_servers": joined.ice_servers,
        "participant_id": joined.participant_id,
        "role": joined.role.value,
        "expires_in": 120,
        "call_window": {
            "opens_at": joined.window.opens_at.isoformat(),
            "closes_at": joined.window.closes_at.isoformat(),
        },
    }
    return json_response(body, headers=NO_STORE)


@calls.route("/media/events", methods=["POST"], content_types=["application/json"])
def media_event() -> Response:
    """A media node's report (HMAC-signed with the nodes' shared secret; retries are applied once)."""
    request = calls.current_request
    raw = request.raw_body or b""
    body = raw.encode() if isinstance(raw, str) else raw
    get_container().calls.report(dict(request.headers), body, context_of(request))
    return Response(body="", status_code=204)


@calls.route("/media/sessions", methods=["POST"], content_types=["application/json"])
def media_sessions() -> Response:
    """Which of the sessions a media node names have been revoked (HMAC-signed like the reports)."""
    request = calls.current_request
    raw = request.raw_body or b""
    body = raw.encode() if isinstance(raw, str) else raw
    revoked = get_container().calls.revoked_sessions(dict(request.headers), body)
    return json_response({"revoked": revoked}, headers=NO_STORE)
