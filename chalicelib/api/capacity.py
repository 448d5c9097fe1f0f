"""Schedules and leave, holidays, capacity jobs (admin) and the "needs rebooking" list (supervisors, admins). The
citizen of an appointment that needs rebooking acts through one-tap links (chalicelib/api/links.py)."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api import commands
from chalicelib.api.blueprint import NO_STORE, ApiBlueprint, json_response, principal
from chalicelib.api.request import context_of, json_object, preview_asked, query_params
from chalicelib.bootstrap import get_container
from chalicelib.domain.appointments import Appointment

capacity = ApiBlueprint(__name__)


@capacity.route("/admin/staff/{username}/schedule", methods=["PUT"], auth="staff")
def put_schedule(username: str) -> Response:
    request = capacity.current_request
    preview = preview_asked(capacity.current_request)
    asked = commands.schedule_change(json_object(request))
    body = get_container().capacity.put_schedule(principal(), username, asked, preview, context_of(request))
    return json_response(body, headers=NO_STORE)


@capacity.route("/admin/staff/{username}/exceptions", methods=["POST"], auth="staff")
def add_exception(username: str) -> Response:
    request = capacity.current_request
    preview = preview_asked(capacity.current_request)
    container = get_container()
    asked = commands.schedule_exception(json_object(request), today=container.booking.today())
    body = container.capacity.add_exception(principal(), username, asked, preview, context_of(request))
    return json_response(body, status=200 if preview else 201, headers=NO_STORE)


@capacity.route("/admin/staff/{username}/exceptions/{day}", methods=["DELETE"], auth="staff")
def delete_exception(username: str, day: str) -> Response:
    request = capacity.current_request
    preview = preview_asked(capacity.current_request)
    body = get_container().capacity.delete_exception(principal(), username, day, preview, context_of(request))
    return json_response(body, headers=NO_STORE)


@capacity.route("/admin/holidays", methods=["GET"], auth="staff")
def holidays() -> Response:
    year = query_params(capacity.current_request).get("year")
    return json_response(get_container().capacity.holidays_of(principal(), year), headers=NO_STORE)


@capacity.route("/admin/holidays/{year}", methods=["PUT"], auth="staff")
def save_holidays(year: str) -> Response:
    request = capacity.current_request
    preview = preview_asked(capacity.current_request)
    container = get_container()
    chosen = container.capacity.year_of(year)
    offices = [o.id for o in container.catalogue.offices()]
    asked = commands.holidays_change(json_object(request), year=chosen, offices=offices)
    body = container.capacity.save_holidays(principal(), chosen, asked, preview, context_of(request))
    return json_response(body, headers=NO_STORE)


@capacity.route("/admin/jobs/{job_id}", methods=["GET"], auth="staff")
def job(job_id: str) -> Response:
    return json_response(get_container().capacity.job(principal(), job_id), headers=NO_STORE)


@capacity.route("/rebooking", methods=["GET"], auth="staff")
def rebooking() -> Response:
    office = query_params(capacity.current_request).get("office")
    found = get_container().capacity.needing_rebooking(principal(), office)
    return json_response({"items": [rebooking_json(a) for a in found]}, headers=NO_STORE)


def rebooking_json(a: Appointment) -> dict[str, Any]:
    """openapi ``RebookingItem``."""
    rebooking = a.rebooking or {}
    return {
        "appointment_id": a.id,
        "service_id": a.service_id,
        "office": a.office,
        "start": a.start.isoformat(),
        "end": a.end.isoformat(),
        "citizen_name": a.citizen_name,
        "since": rebooking.get("since"),
        "reason": rebooking.get("reason"),
    }
