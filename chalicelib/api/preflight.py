"""An appointment's pre-flight check: the citizen stores their check; the citizen and the office's staff read it."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api import commands
from chalicelib.api.blueprint import NO_STORE, ApiBlueprint, json_response, principal
from chalicelib.api.request import json_object
from chalicelib.bootstrap import get_container
from chalicelib.services.preflight import view_json

preflight = ApiBlueprint(__name__)


@preflight.route("/appointments/{appointment_id}/preflight", methods=["GET"], auth="any")
def get_preflight(appointment_id: str) -> Response:
    view = get_container().preflight.view(principal(), appointment_id)
    return json_response(view_json(view), headers=NO_STORE)


@preflight.route("/appointments/{appointment_id}/preflight", methods=["PUT"], auth="any")
def put_preflight(appointment_id: str) -> Response:
    """The server classifies the check from what was measured (never the browser's verdict); the latest replaces."""
    request = json_object(preflight.current_request)
    view = get_container().preflight.record(principal(), appointment_id, commands.preflight(request))
    return json_response(view_json(view), headers=NO_STORE)
