"""Recordings and the retention register: a supervisor's list and playback, legal holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, TypeVar

from chalice.app import Response

from chalicelib.api import commands
from chalicelib.api.blueprint import NO_STORE, ApiBlueprint, json_response, principal
from chalicelib.api.request import context_of, json_object, query_day, query_params
from chalicelib.auth.principal import Principal
from chalicelib.bootstrap import get_container
from chalicelib.domain.audit import RequestContext
from chalicelib.services.commands import Parsed, StatedReason

if TYPE_CHECKING:  # annotations only: the values come from the services (no import at cold start)
    from chalicelib.domain.record_view import LegalHold, Playback, RecordingView

records = ApiBlueprint(__name__)

Result = TypeVar("Result")


@records.route("/recordings", methods=["GET"], auth="staff")
def list_recordings() -> Response:
    request = records.current_request
    query_params(request)
    service = get_container().records
    found = service.list_recordings(principal(), query_day(request, "date", service.records_window()))
    return json_response({"items": [recording_json(r) for r in found], "next": None}, headers=NO_STORE)


@records.route("/recordings/{record_id}/playback", methods=["POST"], auth="staff")
def playback(record_id: str) -> Response:
    """Links to the recording's segments for five minutes; the stated reason goes into the audit trail."""
    result = _act(get_container().records.playback, record_id, commands.stated_reason)
    return json_response(playback_json(result), headers=NO_STORE)


@records.route("/records/{record_id}/legal-hold", methods=["POST"], auth="staff")
def legal_hold(record_id: str) -> Response:
    result = _act(get_container().records.hold, record_id, commands.place_hold)
    return json_response(legal_hold_json(result), headers=NO_STORE)


@records.route("/records/{record_id}/legal-hold/release", methods=["POST"], auth="staff")
def request_release(record_id: str) -> Response:
    """A hold is lifted by two people: this asks; another supervisor or admin approves."""
    result = _act(get_container().records.request_release, record_id, commands.stated_reason)
    return json_response(legal_hold_json(result), status=202, headers=NO_STORE)


@records.route("/records/{record_id}/legal-hold/release/approve", methods=["POST"], auth="staff")
def approve_release(record_id: str) -> Response:
    result = _act(get_container().records.approve_release, record_id, commands.stated_reason)
    return json_response(legal_hold_json(result), headers=NO_STORE)


def _act(
    act: Callable[[Principal, str, Parsed[StatedReason], RequestContext], Result],
    record_id: str,
    parse: Callable[[dict[str, Any]], Parsed[StatedReason]],
) -> Result:
    """A supervisor's act on a record: its stated reason parsed from the body, done as the caller, audited with the
    request's context."""
    request = records.current_request
    return act(principal(), record_id, parse(json_object(request)), context_of(request))


def recording_json(recording: RecordingView) -> dict[str, Any]:
    """A recording as listed (openapi ``Recording``): every field, its release request as ``ReleaseRequest``."""
    return asdict(recording)


def legal_hold_json(hold: LegalHold) -> dict[str, Any]:
    return asdict(hold)


def playback_json(playback: Playback) -> dict[str, Any]:
    return {
        "record_id": playback.record_id,
        "appointment_id": playback.appointment_id,
        "expires_in": playback.expires_in,
        "segments": [asdict(segment) for segment in playback.segments],
    }
