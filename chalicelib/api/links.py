"""One-tap links: what a link is for (``GET /links/{token}``) and doing it (``POST /links/{token}``).

Public routes that also take a sign-in (``auth="optional"``): the link alone acts for a low-assurance service; for
the others an eID sign-in of the same person comes with it (chalicelib/services/links.py).
"""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.blueprint import NO_STORE, ApiBlueprint, json_response, signed_in
from chalicelib.api.request import context_of, json_object
from chalicelib.bootstrap import get_container
from chalicelib.domain.calls import window
from chalicelib.services.links import Resolved, summary

links = ApiBlueprint(__name__)


def _described(found: Resolved) -> dict[str, Any]:
    """The action and its appointment's service, time and status; never the person's name, ID number or contact."""
    appointment = found.appointment
    opening = window(appointment.start, appointment.end)
    return {
        "action": found.action,
        "appointment": summary(appointment, found.service),
        "min_assurance": found.service.min_assurance.value,
        "call_window": {"opens_at": opening.opens_at.isoformat(), "closes_at": opening.closes_at.isoformat()},
    }


@links.route("/links/{token}", methods=["GET"], auth="optional")
def describe(token: str) -> Response:
    container = get_container()
    found = container.links.resolve(token, context_of(links.current_request))
    described = _described(found)
    if found.action == "preflight":
        # The check's page needs the documents to tick and, for whoever may act through the link, where to measure.
        may_act = container.links.may_act(found, signed_in())
        described["check"] = container.preflight.for_link(found.appointment, may_act)
    return json_response(described, headers=NO_STORE)


@links.route("/links/{token}", methods=["POST"], auth="optional")
def perform(token: str) -> Response:
    request = links.current_request
    body = json_object(request) if request.raw_body else {}
    found, result = get_container().links.perform(token, signed_in(), body, context_of(request))
    return json_response({**_described(found), "result": result}, headers=NO_STORE)
