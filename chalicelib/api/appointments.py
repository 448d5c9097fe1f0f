"""Appointments: slots, booking (idempotent), my appointments, change, cancel, outcome, calendar file, agenda."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api import commands, idempotency
from chalicelib.api.blueprint import NO_STORE, ApiBlueprint, json_response, principal
from chalicelib.api.request import context_of, json_object, query_day, query_params, with_language
from chalicelib.bootstrap import get_container
from chalicelib.domain.appointments import OUTCOMES, Appointment
from chalicelib.domain.calls import IDLE_JSON, window
from chalicelib.domain.files import content_disposition
from chalicelib.domain.identifiers import masked
from chalicelib.domain.preflight import summary as preflight_summary

appointments = ApiBlueprint(__name__)


def appointment_json(
    appointment: Appointment, manage_url: str, staff_view: bool = False, call: dict[str, Any] | None = None
) -> dict[str, Any]:
    opening = window(appointment.start, appointment.end)
    body: dict[str, Any] = {
        "id": appointment.id,
        "service_id": appointment.service_id,
        "office": appointment.office,
        "start": appointment.start.isoformat(),
        "end": appointment.end.isoformat(),
        "status": appointment.status.value,
        "language": appointment.language,
        "contact": {k: v for k, v in (("email", appointment.contact.email), ("phone", appointment.contact.phone)) if v},
        "manage_url": manage_url,
        "call_window": {"opens_at": opening.opens_at.isoformat(), "closes_at": opening.closes_at.isoformat()},
        "call": call if call is not None else dict(IDLE_JSON),
        "preflight": preflight_summary(appointment.preflight),
    }
    if staff_view:
        body["citizen"] = {"id_number_masked": masked(appointment.citizen), "name": appointment.citizen_name}
        body["outcome"] = appointment.status.value if appointment.status in OUTCOMES else None
        body["reminders"] = appointment.reminders
        body["agent"] = appointment.agent
    return body


def _params() -> dict[str, str]:
    return query_params(appointments.current_request)


def appointment_body(appointment: Appointment, call: dict[str, Any] | None = None) -> dict[str, Any]:
    """The appointment as the caller may see it, with its call's state (read here unless given)."""
    container = get_container()
    if call is None:
        call = container.calls.states([appointment.id])[appointment.id]
    manage_url = container.booking.manage_url(appointment)
    return appointment_json(appointment, manage_url, staff_view=principal().is_staff, call=call)


def _many(found: list[Appointment]) -> list[dict[str, Any]]:
    """Appointments with their live call state, read in one batch."""
    calls = get_container().calls.states([a.id for a in found])
    return [appointment_body(a, calls[a.id]) for a in found]


@appointments.route("/services/{service_id}/slots", methods=["GET"])
def slots(service_id: str) -> Response:
    request = appointments.current_request
    booking = get_container().booking
    window = booking.booking_window()
    query_params(request)
    found = booking.slots(service_id, query_day(request, "from", window), query_day(request, "to", window))
    items = [{"start": s.start.isoformat(), "end": s.end.isoformat(), "available": left} for s, left in found]
    return json_response({"items": items, "next": None}, headers={"Cache-Control": "no-store"})


@appointments.route("/appointments", methods=["POST"], auth="any")
def book() -> Response:
    """Idempotent with an ``Idempotency-Key`` (chalicelib/api/idempotency.py): a retry answers the first booking."""
    request = appointments.current_request
    booking = get_container().booking
    caller = principal()

    def book_once(body: dict[str, Any]) -> dict[str, Any]:
        wanted = commands.service_id(body)
        parsed = commands.book_request(body, staff=caller.is_staff, window=booking.booking_window(), zone=booking.zone)
        return appointment_body(booking.book(caller, wanted, parsed, context_of(request)), dict(IDLE_JSON))

    result = idempotency.once(
        request,
        caller,
        "book",
        with_language(request, json_object(request)),
        book_once,
        busy="This booking is already being made; check My appointments.",
    )
    return json_response(result, status=201, headers=NO_STORE)


@appointments.route("/appointments", methods=["GET"], auth="any")
def list_appointments() -> Response:
    caller = principal()
    booking = get_container().booking
    if caller.is_citizen:
        found = booking.mine(caller)
    else:
        params = _params()
        day = query_day(appointments.current_request, "date", booking.agenda_window())
        _, _, found = booking.agenda(caller, day, params.get("office"))
    return json_response({"items": _many(found), "next": None}, headers=NO_STORE)


@appointments.route("/appointments/{appointment_id}", methods=["GET"], auth="any", scoped=True)
def get_appointment(appointment_id: str) -> Response:
    return json_response(appointment_body(get_container().booking.get(principal(), appointment_id)), headers=NO_STORE)


@appointments.route("/appointments/{appointment_id}/cancel", methods=["POST"], auth="any")
def cancel(appointment_id: str) -> Response:
    request = appointments.current_request
    appointment = get_container().booking.cancel(principal(), appointment_id, context_of(request))
    return json_response(appointment_body(appointment), headers=NO_STORE)


@appointments.route("/appointments/{appointment_id}/reschedule", methods=["POST"], auth="any")
def reschedule(appointment_id: str) -> Response:
    request = appointments.current_request
    booking = get_container().booking
    parsed = commands.reschedule(json_object(request), window=booking.booking_window(), zone=booking.zone)
    appointment = booking.reschedule(principal(), appointment_id, parsed, context_of(request))
    return json_response(appointment_body(appointment), headers=NO_STORE)


@appointments.route("/appointments/{appointment_id}/outcome", methods=["POST"], auth="staff")
def outcome(appointment_id: str) -> Response:
    request = appointments.current_request
    booking = get_container().booking
    parsed = commands.record_outcome(json_object(request))
    appointment = booking.record_outcome(principal(), appointment_id, parsed, context_of(request))
    return json_response(appointment_body(appointment), headers=NO_STORE)


@appointments.route("/appointments/{appointment_id}/calendar.ics", methods=["GET"], auth="any")
def calendar(appointment_id: str) -> Response:
    data = get_container().booking.calendar(principal(), appointment_id)
    return Response(
        body=data.decode("utf-8"),
        status_code=200,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": content_disposition(f"cita-{appointment_id}.ics"),
            "Cache-Control": "no-store",
        },
    )


@appointments.route("/agenda", methods=["GET"], auth="staff")
def agenda() -> Response:
    params = _params()
    booking = get_container().booking
    chosen = query_day(appointments.current_request, "date", booking.agenda_window())
    day, office, found = booking.agenda(principal(), chosen, params.get("office"))
    body = {"date": day.isoformat(), "office": office, "items": _many(found), "next": None}
    return json_response(body, headers=NO_STORE)
