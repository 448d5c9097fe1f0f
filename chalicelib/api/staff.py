"""Staff administration (``/admin/staff``, administrators only) and setting a password through an emailed link."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api import commands
from chalicelib.api.blueprint import NO_STORE, ApiBlueprint, json_response, principal
from chalicelib.api.request import context_of, json_object, language_of, preview_asked, query_params
from chalicelib.bootstrap import get_container
from chalicelib.domain.catalogue import WeeklyHours
from chalicelib.services.ports import StaffRecord

staff = ApiBlueprint(__name__)


def _offices() -> frozenset[str]:
    return frozenset(str(o.id) for o in get_container().catalogue.offices())


@staff.route("/admin/staff", methods=["GET"], auth="staff")
def list_staff() -> Response:
    office = query_params(staff.current_request).get("office")
    found = get_container().staff_admin.people(principal(), office, _offices)
    return json_response({"items": [staff_json(r) for r in found]}, headers=NO_STORE)


@staff.route("/admin/staff", methods=["POST"], auth="staff")
def create_staff() -> Response:
    request = staff.current_request
    asked = commands.new_staff(json_object(request), offices=_offices())
    record = get_container().staff_admin.create(principal(), asked, context_of(request), language_of(request))
    return json_response(staff_json(record), status=201, headers=NO_STORE)


@staff.route("/admin/staff/{username}", methods=["GET"], auth="staff")
def get_staff(username: str) -> Response:
    return json_response(staff_json(get_container().staff_admin.get(principal(), username)), headers=NO_STORE)


@staff.route("/admin/staff/{username}", methods=["PUT"], auth="staff")
def change_staff(username: str) -> Response:
    request = staff.current_request
    asked = commands.staff_change(json_object(request), offices=_offices())
    preview = preview_asked(request)
    record, handled = get_container().staff_admin.update(principal(), username, asked, context_of(request), preview)
    if preview:
        return json_response(handled.as_json(), headers=NO_STORE)
    return json_response({"staff": staff_json(record), **handled.as_json()}, headers=NO_STORE)


@staff.route("/admin/staff/{username}/invitation", methods=["POST"], auth="staff")
def send_invitation(username: str) -> Response:
    request = staff.current_request
    get_container().staff_admin.send_invitation(principal(), username, context_of(request), language_of(request))
    return Response(body="", status_code=202, headers={"Cache-Control": "no-store"})


@staff.route("/admin/staff/{username}/password-reset", methods=["POST"], auth="staff")
def send_password_reset(username: str) -> Response:
    request = staff.current_request
    get_container().staff_admin.send_password_reset(principal(), username, context_of(request), language_of(request))
    return Response(body="", status_code=202, headers={"Cache-Control": "no-store"})


@staff.route("/auth/staff/activate", methods=["POST"])
def activate() -> Response:
    """An invitation's or a password reset's link: the same page and the same call."""
    request = staff.current_request
    get_container().staff_admin.set_password(commands.set_password(json_object(request)), context_of(request))
    return Response(body="", status_code=204, headers={"Cache-Control": "no-store"})


def staff_json(record: StaffRecord) -> dict[str, Any]:
    """openapi ``Staff``: the schedule shown is the one at the person's office."""
    weekly = WeeklyHours.parse(record.schedule.get(record.office, {}) if record.office else {}, "weekly").iso()
    exceptions = [
        {"date": e.get("date"), "kind": e.get("kind"), "intervals": e.get("intervals") or []}
        for e in record.exceptions
        if record.office is None or e.get("office", record.office) == record.office
    ]
    return {
        "username": record.username,
        "name": record.name,
        "email": record.email,
        "roles": list(record.roles),
        "office": record.office,
        "enabled": record.enabled,
        "activated": record.activated,
        "version": record.version,
        "schedule": {"office": record.office, "weekly": weekly, "version": record.schedule_version},
        "exceptions": exceptions,
    }
