"""Records: auditors search, export and verify the trail; citizens see who accessed their data."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from chalice.app import Response

from chalicelib.api import commands
from chalicelib.api.blueprint import NO_STORE, ApiBlueprint, json_response, principal
from chalicelib.api.request import context_of, json_object, query_params
from chalicelib.bootstrap import get_container
from chalicelib.domain.files import content_disposition
from chalicelib.domain.trail import PeriodVerification

audit = ApiBlueprint(__name__)


def _params() -> dict[str, str]:
    return query_params(audit.current_request, long=("actor", "subject", "action", "cursor"))


@audit.route("/audit/events", methods=["GET"], auth="staff")
def search_events() -> Response:
    result = get_container().trail.search(principal(), _params(), context_of(audit.current_request))
    return json_response(result, headers=NO_STORE)


@audit.route("/audit/export", methods=["GET"], auth="staff")
def export_events() -> Response:
    body, name = get_container().trail.export(principal(), _params(), context_of(audit.current_request))
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": "application/x-ndjson; charset=utf-8",
            "Content-Disposition": content_disposition(name),
            **NO_STORE,
        },
    )


@audit.route("/audit/verify", methods=["POST"], auth="staff")
def verify_trail() -> Response:
    request = audit.current_request
    body = json_object(request) if request.raw_body else {}
    trail = get_container().trail
    period = commands.verify_period(body, today=trail.today(), zone=trail.zone)
    return json_response(verification_json(trail.verify(principal(), period, context_of(request))), headers=NO_STORE)


def verification_json(verification: PeriodVerification) -> dict[str, Any]:
    result = verification.result
    return {
        "ok": result.ok,
        "from": verification.start.isoformat(),
        "to": verification.end.isoformat(),
        "digests": result.digests,
        "log_files": result.log_files,
        "events": result.events,
        "problems": [asdict(problem) for problem in result.problems],
        "verified_at": verification.verified_at.isoformat(),
    }


@audit.route("/audit/public-keys", methods=["GET"])
def trail_public_keys() -> Response:
    """The keys that verify the digest chain: anyone may check the trail (with read access to the bucket)."""
    return json_response({"items": get_container().trail.public_keys()}, headers={"Cache-Control": "max-age=300"})


@audit.route("/me/access-log", methods=["GET"], auth="citizen")
def access_log() -> Response:
    params = query_params(audit.current_request, long=("cursor",))
    return json_response(get_container().trail.access_log(principal(), params), headers=NO_STORE)
