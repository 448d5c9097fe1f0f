"""Development stage only: what the service sent, so a person trying it locally can read their code.

``app.py`` registers this blueprint only when the stage is ``dev``; the view checks the stage again.
"""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.blueprint import ApiBlueprint, json_response
from chalicelib.bootstrap import get_container
from chalicelib.domain.errors import NotFound

dev = ApiBlueprint(__name__)


@dev.route("/dev/outbox", methods=["GET"])
def outbox() -> Response:
    container = get_container()
    if not container.settings.is_dev:
        raise NotFound("There is no such resource.")
    params: dict[str, str] = dict(dev.current_request.query_params or {})
    to = params.get("to")
    return json_response({"items": container.outbox.messages(to), "next": None}, headers={"Cache-Control": "no-store"})
