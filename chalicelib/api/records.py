"""Recordings and the retention register: a supervisor's list and playback, legal holds."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from chalice.app import Response

from chalicelib.api import commands
from chalicelib.api.blueprint import ApiBlueprint, json_response, principal
from chalicelib.api.request import context_of, json_object, query_day, query_params
from chalicelib.bootstrap import get_container
from chalicelib.domain.record_view import LegalHold, Playback, RecordingView

records = ApiBlueprint(__name__)

NO_STORE = {"Cache-Control": "no-store"}


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
    request = records.current_request
    result = get_container().records.playback(
        principal(), record_id, commands.stated_reason(json_object(request)), context_of(request)
    )
    return json_response(playback_json(result), headers=NO_STORE)


@records.route("/records/{record_id}/legal-hold", methods=["POST"], auth="staff")
def legal_hold(record_id: str) -> Response:
    request = records.current_request
    result = get_container().records.hold(
        principal(), record_id, commands.place_hold(json_object(request)), context_of(request)
    )
    return json_response(legal_hold_json(result), headers=NO_STORE)


@records.route("/records/{record_id}/legal-hold/release", methods=["POST"], auth="staff")
def request_release(record_id: str) -> Response:
    """A hold is lifted by two people: this asks; another supervisor or admin approves."""
    request = records.current_request
    result = get_container().records.request_release(
        principal(), record_id, commands.stated_reason(json_object(request)), context_of(request)
    )
    return json_response(legal_hold_json(result), status=202, headers=NO_STORE)


@records.route("/records/{record_id}/legal-hold/release/approve", methods=["POST"], auth="staff")
def approve_release(record_id: str) -> Response:
    request = records.current_request
    result = get_container().records.approve_release(
        principal(), record_id, commands.stated_reason(json_object(request)), context_of(request)
    )
    return json_response(legal_hold_json(result), headers=NO_STORE)


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
