"""Liveness: answers without touching any dependency, so a load balancer never flaps with the database."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.blueprint import ApiBlueprint, json_response

health = ApiBlueprint(__name__)


@health.route("/health", methods=["GET"])
def get_health() -> Response:
    return json_response({"status": "ok"}, headers={"Cache-Control": "no-store"})
