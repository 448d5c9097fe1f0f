"""Appointments: slots, booking (idempotent), my appointments, change, cancel, outcome, calendar file, agenda."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.blueprint import ApiBlueprint, json_response, principal
from chalicelib.api.request import context_of, json_object, with_language
from chalicelib.bootstrap import get_container
from chalicelib.domain.appointments import OUTCOMES, Appointment
from chalicelib.domain.calls import IDLE_JSON, window
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.identifiers import masked

appointments = ApiBlueprint(__name__)

NO_STORE = {"Cache-Control": "no-store"}


def appointment_json(
    appointment: Appointment, manage_url: str, staff_view: bool = False, call: dict[str, Any] | None = None
) -> dict[str, Any]:
    opening = window(appointment.start, appointment.end)
    body: dict[str, Any] = {
        "id": appointment.id,
        "service_id": appointment.service_id,
        "office": appointment.office.value,
        "start": appointment.start.isoformat(),
        "end": appointment.end.isoformat(),
        "status": appointment.status.value,
        "language": appointment.language,
        "contact": {k: v for k, v in (("email", appointment.contact.email), ("phone", appointment.contact.phone)) if v},
        "manage_url": manage_url,
        "call_window": {"opens_at": opening.opens_at.isoformat(), "closes_at": opening.closes_at.isoformat()},
        "call": call if call is not None else dict(IDLE_JSON),
    }
    if staff_view:
        body["citizen"] = {"id_number_masked": masked(appointment.citizen), "name": appointment.citizen_name}
        body["outcome"] = appointment.status.value if appointment.status in OUTCOMES else None
        body["reminders"] = appointment.reminders
        body["agent"] = appointment.agent
    return body


def _params() -> dict[str, str]:
    return dict(appointments.current_request.query_params or {})


def _json(appointment: Appointment, call: dict[str, Any] | None = None) -> dict[str, Any]:
    container = get_container()
    if call is None:
        call = container.calls.states([appointment.id])[appointment.id]
    manage_url = container.booking.manage_url(appointment)
    return appointment_json(appointment, manage_url, staff_view=principal().is_staff, call=call)


def _many(found: list[Appointment]) -> list[dict[str, Any]]:
    """Appointments with their live call state, read in one batch."""
    calls = get_container().calls.states([a.id for a in found])
    return [_json(a, calls[a.id]) for a in found]


@appointments.route("/services/{service_id}/slots", methods=["GET"])
def slots(service_id: str) -> Response:
    params = _params()
    found = get_container().booking.slots(service_id, params.get("from"), params.get("to"))
    items = [{"start": s.start.isoformat(), "end": s.end.isoformat(), "available": left} for s, left in found]
    return json_response({"items": items, "next": None}, headers={"Cache-Control": "no-store"})


@appointments.route("/appointments", methods=["POST"], auth="any")
def book() -> Response:
    request = appointments.current_request
    body = with_language(request, json_object(request))
    key = request.headers.get("idempotency-key")
    if key is not None and not 8 <= len(key) <= 128:
        raise ValidationFailed([FieldError("Idempotency-Key", "must be 8 to 128 characters")])
    container = get_container()
    caller = principal()
    if key is None:
        appointment = container.booking.book(caller, body, context_of(request))
        return json_response(_json(appointment, dict(IDLE_JSON)), status=201, headers=NO_STORE)
    return json_response(_idempotent_book(caller, body, key), status=201, headers=NO_STORE)


def _idempotent_book(caller: Any, body: dict[str, Any], key: str) -> dict[str, Any]:
    """A retry with the same Idempotency-Key and body answers the first result (Powertools idempotency)."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    from chalicelib.domain.errors import Conflict

    container = get_container()
    config = IdempotencyConfig(
        event_key_jmespath="[caller, key]", payload_validation_jmespath="body", expires_after_seconds=24 * 3600
    )

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="request", persistence_store=container.idempotency_store, config=config
    )
    def create(request: dict[str, Any]) -> dict[str, Any]:
        appointment = container.booking.book(caller, request["body"], context_of(appointments.current_request))
        return _json(appointment, dict(IDLE_JSON))

    try:
        result: dict[str, Any] = create(request={"caller": f"{caller.kind}:{caller.subject}", "key": key, "body": body})
    except IdempotencyValidationError:
        raise Conflict("idempotency_key_reused", "This Idempotency-Key was used for a different request.") from None
    except IdempotencyAlreadyInProgressError:
        # A double click: the first request is still being served; its answer will be this one's too.
        raise Conflict("request_in_progress", "This booking is already being made; check My appointments.") from None
    return result


@appointments.route("/appointments", methods=["GET"], auth="any")
def list_appointments() -> Response:
    caller = principal()
    booking = get_container().booking
    if caller.is_citizen:
        found = booking.mine(caller)
    else:
        params = _params()
        _, _, found = booking.agenda(caller, params.get("date"), params.get("office"))
    return json_response({"items": _many(found), "next": None}, headers=NO_STORE)


@appointments.route("/appointments/{appointment_id}", methods=["GET"], auth="any")
def get_appointment(appointment_id: str) -> Response:
    return json_response(_json(get_container().booking.get(principal(), appointment_id)), headers=NO_STORE)


@appointments.route("/appointments/{appointment_id}/cancel", methods=["POST"], auth="any")
def cancel(appointment_id: str) -> Response:
    request = appointments.current_request
    appointment = get_container().booking.cancel(principal(), appointment_id, context_of(request))
    return json_response(_json(appointment), headers=NO_STORE)


@appointments.route("/appointments/{appointment_id}/reschedule", methods=["POST"], auth="any")
def reschedule(appointment_id: str) -> Response:
    request = appointments.current_request
    booking = get_container().booking
    appointment = booking.reschedule(principal(), appointment_id, json_object(request), context_of(request))
    return json_response(_json(appointment), headers=NO_STORE)


@appointments.route("/appointments/{appointment_id}/outcome", methods=["POST"], auth="staff")
def outcome(appointment_id: str) -> Response:
    request = appointments.current_request
    booking = get_container().booking
    appointment = booking.record_outcome(principal(), appointment_id, json_object(request), context_of(request))
    return json_response(_json(appointment), headers=NO_STORE)


@appointments.route("/appointments/{appointment_id}/calendar.ics", methods=["GET"], auth="any")
def calendar(appointment_id: str) -> Response:
    data = get_container().booking.calendar(principal(), appointment_id)
    return Response(
        body=data.decode("utf-8"),
        status_code=200,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": f'attachment; filename="cita-{appointment_id}.ics"',
            "Cache-Control": "no-store",
        },
    )


@appointments.route("/agenda", methods=["GET"], auth="staff")
def agenda() -> Response:
    params = _params()
    day, office, found = get_container().booking.agenda(principal(), params.get("date"), params.get("office"))
    body = {"date": day.isoformat(), "office": office.value, "items": _many(found), "next": None}
    return json_response(body, headers=NO_STORE)
