"""The supervisor's figures as pure rules: percentiles, waits, call lengths and the counts per service."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.calls import Call, CallState, RecordingState, apply
from chalicelib.domain.stats import call_seconds, office_figures, percentile, service_figures, wait_seconds
from tests.zones import COUNCIL_ZONE

START = datetime(2025, 3, 3, 10, 0, tzinfo=COUNCIL_ZONE)


def appointment(n: int, status: Status = Status.BOOKED, service: str = "residence-certificate") -> Appointment:
    return Appointment(
        id=f"a-{n}",
        service_id=service,
        office="OMAC",
        start=START,
        end=START + timedelta(minutes=20),
        status=status,
        citizen="12345678Z",
        citizen_contact=None,
        contact=Contact(email="rosa@example.org"),
        language="ca",
        agent="agent.omac",
        units=(),
        created_at=START,
        created_by="staff:test",
    )


def call(appointment_id: str, waiting: int | None, admitted: int | None, ended: int | None) -> Call:
    """Times as minutes after the appointment's start (negative: before)."""

    def at(minutes: int | None) -> str | None:
        return None if minutes is None else (START + timedelta(minutes=minutes)).isoformat()

    return Call(
        appointment_id,
        "r-1",
        "node-a",
        "http://node-a",
        waiting_since=at(waiting),
        admitted_at=at(admitted),
        ended_at=at(ended),
    )


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([], 50, None),
        ([7], 50, 7),
        ([7], 90, 7),
        ([3, 1, 2], 50, 2),
        ([1, 2, 3, 4], 50, 2),
        ([1, 2, 3, 4], 90, 4),
        (list(range(1, 101)), 90, 90),
        (list(range(1, 101)), 100, 100),
        ([120, 300], 50, 120),
        ([120, 300], 90, 300),
    ],
)
def test_percentile_by_nearest_rank(values: list[int], p: float, expected: int | None) -> None:
    assert percentile(values, p) == expected


@pytest.mark.parametrize("p", [0, -1, 101])
def test_percentile_refuses_a_rank_outside_0_to_100(p: float) -> None:
    with pytest.raises(ValueError, match="p must be"):
        percentile([1], p)


def test_percentile_is_a_value_of_the_data_and_grows_with_the_rank() -> None:
    values = [5, 3, 9, 1, 1, 8, 2]
    found = [percentile(values, p) for p in (10, 25, 50, 75, 90, 100)]

    assert all(v in values for v in found)
    assert found == sorted(found)  # type: ignore[type-var]
    assert found[-1] == max(values)


def test_the_wait_counts_from_the_start_for_the_early_and_from_arrival_for_the_late() -> None:
    early = call("a-1", waiting=-5, admitted=2, ended=17)
    late = call("a-1", waiting=10, admitted=15, ended=25)
    never_waited = call("a-1", waiting=None, admitted=1, ended=None)

    assert wait_seconds(appointment(1), early) == 120
    assert wait_seconds(appointment(1), late) == 300
    assert wait_seconds(appointment(1), never_waited) == 60
    assert wait_seconds(appointment(1), call("a-1", -10, -3, 5)) == 0  # admitted before the start: no wait
    assert wait_seconds(appointment(1), call("a-1", 0, None, None)) is None


def test_the_call_lasts_from_admission_to_its_end() -> None:
    assert call_seconds(call("a-1", -5, 2, 17)) == 900
    assert call_seconds(call("a-1", -5, 2, None)) is None  # still under way
    assert call_seconds(call("a-1", -5, None, 3)) is None  # ended before anyone was admitted


def test_a_services_figures_count_each_status_and_null_where_there_is_no_data() -> None:
    found = service_figures(
        "residence-certificate",
        [appointment(n, status) for n, status in enumerate(Status)] + [appointment(9)],
        {},
        {},
    )

    assert (found.booked, found.completed, found.incomplete, found.no_show, found.cancelled) == (3, 1, 1, 1, 1)
    assert (found.wait_p50_s, found.wait_p90_s, found.call_p50_s) == (None, None, None)
    assert (found.documents_issued, found.recordings_failed) == (0, 0)


def test_appointments_waiting_to_be_rebooked_count_as_booked() -> None:
    found = service_figures(
        "residence-certificate",
        [appointment(1, Status.NEEDS_REBOOKING), appointment(2, Status.NEEDS_REBOOKING), appointment(3)],
        {},
        {},
    )

    assert (found.booked, found.completed, found.incomplete, found.no_show, found.cancelled) == (3, 0, 0, 0, 0)


def test_an_offices_figures_have_a_row_per_service_with_calls_and_documents() -> None:
    first, second, other = appointment(1, Status.COMPLETED), appointment(2, Status.INCOMPLETE), appointment(3)
    other = replace(other, service_id="change-of-address")
    calls = {
        "a-1": call("a-1", -5, 2, 17),
        "a-2": replace(call("a-2", 10, 15, 25), recording=RecordingState.FAILED),
    }

    found = office_figures("OMAC", [second, other, first], calls, {"a-1": 2, "a-3": 1})

    assert [s.service_id for s in found.services] == ["change-of-address", "residence-certificate"]
    residence = found.services[1]
    assert (residence.wait_p50_s, residence.wait_p90_s, residence.call_p50_s) == (120, 300, 600)
    assert (residence.documents_issued, residence.recordings_failed) == (2, 1)
    assert found.services[0].documents_issued == 1


def test_admission_is_kept_from_the_first_time_the_citizen_is_admitted() -> None:
    room = Call("a-1", "r-1", "node-a", "http://node-a")

    def report(current: Call, kind: str, role: str, minutes: int) -> Call:
        at = (START + timedelta(minutes=minutes)).isoformat()
        return apply(current, {"type": kind, "room_id": "r-1", "role": role, "participant_id": role, "at": at})

    waiting = report(room, "waiting", "citizen", -2)
    interpreter = report(waiting, "admitted", "interpreter", 0)
    admitted = report(interpreter, "admitted", "citizen", 3)
    again = report(report(admitted, "waiting", "citizen", 5), "admitted", "citizen", 6)
    ended = report(again, "ended", "agent", 20)

    assert interpreter.admitted_at is None  # an interpreter's admission is not the citizen's
    assert admitted.admitted_at == (START + timedelta(minutes=3)).isoformat()
    assert again.admitted_at == admitted.admitted_at
    assert ended.state is CallState.ENDED
    assert ended.admitted_at == admitted.admitted_at
