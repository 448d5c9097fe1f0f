"""The pre-flight check's use cases: store a citizen's check on their appointment, and read it with the service's
checklist of documents to have at hand (chalicelib/domain/preflight.py has the rules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import texts
from chalicelib.auth.policy import Action
from chalicelib.auth.principal import Principal
from chalicelib.domain.appointments import Appointment
from chalicelib.domain.catalogue import Service
from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed
from chalicelib.domain.preflight import Preflight, Report, parse_report
from chalicelib.services.booking import BookingService
from chalicelib.services.commands import Parsed

CLOSED = ("appointment_closed", "This appointment was cancelled or has already been closed.")


@dataclass(frozen=True)
class PreflightView:
    appointment: Appointment
    preflight: Preflight | None
    checklist: list[dict[str, str]]
    # For the citizen about to run the check: the media node to measure against and the ICE servers to try.
    probe: dict[str, Any] | None = None


class PreflightService:
    def __init__(
        self,
        booking: BookingService,
        turn_configured: bool,
        probe: Callable[[Appointment], dict[str, Any]],
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._booking = booking
        self._turn_configured = turn_configured
        self._probe = probe
        self._clock = clock or booking.now

    def view(self, caller: Principal, appointment_id: str) -> PreflightView:
        """The appointment's latest check (None: not done) and its checklist: its owner's, or its office's staff.
        Its citizen also gets where to measure, while the appointment is booked."""
        appointment = self._booking.get(caller, appointment_id)
        probe = self._probe(appointment) if caller.is_citizen and appointment.is_active else None
        return PreflightView(appointment, appointment.preflight, self.checklist(appointment), probe)

    def record(self, caller: Principal, appointment_id: str, request: Parsed[Report]) -> PreflightView:
        """The citizen's own check (staff are refused: the check is of the citizen's devices)."""
        appointment = self._booking.get(caller, appointment_id, Action.CHECK_DEVICES)
        return self._store(appointment, request.command())

    def perform_by_link(self, appointment: Appointment, body: dict[str, Any]) -> dict[str, Any]:
        """The one-tap link's action "preflight": the link (checked by its holder rules) names the appointment."""
        return view_json(self._store(appointment, parse_report(body)))

    def for_link(self, appointment: Appointment, may_act: bool) -> dict[str, Any]:
        """What a pre-flight link's page needs to run the check: the documents to tick, and (for whoever may act
        through the link, while the appointment is booked) where to measure; never the person."""
        probe = self._probe(appointment) if may_act and appointment.is_active else None
        return {"documents": self.checklist(appointment), "probe": probe}

    def checklist(self, appointment: Appointment) -> list[dict[str, str]]:
        """The service's documents to have at hand; a service that names none still asks for an identity document
        (the agent may need to see it on camera)."""
        service: Service | None = self._booking.catalogue.any_service(appointment.service_id)
        if service is not None and service.required_documents:
            return [document.as_dict() for document in service.required_documents]
        return [{lang: texts.say("preflight.checklist.id_document", lang) for lang in texts.LANGUAGES}]

    def _store(self, appointment: Appointment, report: Report) -> PreflightView:
        checklist = self.checklist(appointment)
        if any(i >= len(checklist) for i in report.checklist):
            raise ValidationFailed([FieldError("checklist", "list_at_most", count=len(checklist))])
        if not appointment.is_active or self._clock() >= appointment.end:
            raise Conflict(*CLOSED)
        preflight = Preflight.measured(report, self._clock(), self._turn_configured)
        if not self._booking.store.record_preflight(appointment.id, preflight):
            raise Conflict(*CLOSED)
        return PreflightView(appointment, preflight, checklist)


def view_json(view: PreflightView) -> dict[str, Any]:
    """The API's answer: the result (``not_done`` until the first check) and the checklist."""
    body = view.preflight.to_json() if view.preflight is not None else {"result": "not_done"}
    probe = {"probe": view.probe} if view.probe is not None else {}
    return {"appointment_id": view.appointment.id, **body, "documents": view.checklist, **probe}
