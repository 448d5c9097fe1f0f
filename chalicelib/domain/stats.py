"""The supervisor's figures: per office and service, the appointments of a period counted by their status as it
stands, how long citizens waited to be admitted, how long calls lasted, documents issued and failed recordings.

Pure (no AWS): ``services/stats.py`` reads the appointments, their calls and their documents and hands them here.

- Counted by status: ``booked`` (still to happen, including ``needs_rebooking``: still active, waiting for the
  citizen to choose another time), ``completed``, ``incomplete``, ``no_show``, ``cancelled``.
- Wait: ``admitted_at - max(start, waiting_since)`` (a citizen who came early waited from the appointment's start;
  one who came late from when they arrived), never negative; only calls in which the citizen was admitted.
- Call length: from admission to the call's end; only calls that ended after an admission.
- Percentiles by the nearest-rank method over whole seconds; ``None`` where there is no data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from chalicelib.domain.appointments import Appointment, Status
from chalicelib.domain.calls import Call, RecordingState
from chalicelib.domain.catalogue import OfficeId


@dataclass(frozen=True)
class ServiceFigures:
    service_id: str
    booked: int
    completed: int
    incomplete: int
    no_show: int
    cancelled: int
    wait_p50_s: int | None
    wait_p90_s: int | None
    call_p50_s: int | None
    documents_issued: int
    recordings_failed: int


@dataclass(frozen=True)
class OfficeFigures:
    office: OfficeId
    services: tuple[ServiceFigures, ...]


@dataclass(frozen=True)
class Figures:
    start: date  # the period's first council day
    end: date  # its last, included
    offices: tuple[OfficeFigures, ...]


def percentile(values: Sequence[float], p: float) -> float | None:
    """The ``p``-th percentile (0 < p ≤ 100) by nearest rank: the smallest value with at least p % of the values at
    or below it. ``None`` for no values."""
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def _seconds(value: float | None) -> int | None:
    return None if value is None else round(value)


def _at(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        found = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def wait_seconds(appointment: Appointment, call: Call) -> float | None:
    """How long the citizen waited to be admitted, or None if they never were."""
    admitted = _at(call.admitted_at)
    if admitted is None:
        return None
    waiting = _at(call.waiting_since)
    since = max(appointment.start, waiting) if waiting is not None else appointment.start
    return max(0.0, (admitted - since).total_seconds())


def call_seconds(call: Call) -> float | None:
    """How long the call lasted from the citizen's admission to its end, or None."""
    admitted, ended = _at(call.admitted_at), _at(call.ended_at)
    if admitted is None or ended is None:
        return None
    return max(0.0, (ended - admitted).total_seconds())


def service_figures(
    service_id: str,
    appointments: Iterable[Appointment],
    calls: Mapping[str, Call],
    documents: Mapping[str, int],
) -> ServiceFigures:
    """The figures of one service's appointments (``calls`` and ``documents`` per appointment id, those that have)."""
    counts = dict.fromkeys(Status, 0)
    waits: list[float] = []
    lengths: list[float] = []
    issued = failed = 0
    for appointment in appointments:
        counts[appointment.status] += 1
        issued += documents.get(appointment.id, 0)
        call = calls.get(appointment.id)
        if call is None:
            continue
        if call.recording is RecordingState.FAILED:
            failed += 1
        wait = wait_seconds(appointment, call)
        if wait is not None:
            waits.append(wait)
        length = call_seconds(call)
        if length is not None:
            lengths.append(length)
    return ServiceFigures(
        service_id=service_id,
        booked=counts[Status.BOOKED] + counts[Status.NEEDS_REBOOKING],
        completed=counts[Status.COMPLETED],
        incomplete=counts[Status.INCOMPLETE],
        no_show=counts[Status.NO_SHOW],
        cancelled=counts[Status.CANCELLED],
        wait_p50_s=_seconds(percentile(waits, 50)),
        wait_p90_s=_seconds(percentile(waits, 90)),
        call_p50_s=_seconds(percentile(lengths, 50)),
        documents_issued=issued,
        recordings_failed=failed,
    )


def office_figures(
    office: OfficeId, appointments: Iterable[Appointment], calls: Mapping[str, Call], documents: Mapping[str, int]
) -> OfficeFigures:
    """One office's figures, a row per service that had appointments in the period, by service id."""
    by_service: dict[str, list[Appointment]] = {}
    for appointment in appointments:
        by_service.setdefault(appointment.service_id, []).append(appointment)
    return OfficeFigures(
        office,
        tuple(service_figures(s, by_service[s], calls, documents) for s in sorted(by_service)),
    )
