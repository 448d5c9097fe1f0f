"""Audit events: partitioned by the council's calendar day, always with an offset and a dotted action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext
from tests.zones import COUNCIL_ZONE


def _event(at: datetime, action: str = "appointment.book") -> AuditEvent:
    return AuditEvent(
        actor=Actor(id="agent.omac", role="agent"),
        action=action,
        subject="appointment:01J0000000000000000000000",
        outcome=Outcome.SUCCESS,
        context=RequestContext(request_id="req-1", source_ip="192.0.2.10"),
        at=at,
    )


@pytest.mark.parametrize(
    ("at", "day"),
    [
        # The night the clocks go forward (29 March 2026): still UTC+1 at 23:30 UTC, so already the 29th.
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), "2026-03-29"),
        # The night they go back (25 October 2026): still UTC+2, so already the 25th.
        (datetime(2026, 10, 24, 22, 30, tzinfo=UTC), "2026-10-25"),
        # Summer (UTC+2): 22:00 UTC is midnight in Madrid, the next day.
        (datetime(2026, 7, 1, 22, 0, tzinfo=UTC), "2026-07-02"),
        # Winter (UTC+1): 22:00 UTC is 23:00 in Madrid, the same day.
        (datetime(2026, 1, 15, 22, 0, tzinfo=UTC), "2026-01-15"),
        (datetime(2026, 1, 15, 23, 0, tzinfo=UTC), "2026-01-16"),
        # New Year's Eve party in Madrid, logged in UTC.
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), "2027-01-01"),
    ],
)
def test_the_day_is_the_councils_calendar_day(at: datetime, day: str) -> None:
    assert _event(at).day_in(COUNCIL_ZONE) == day


def test_the_day_does_not_depend_on_the_offset_the_time_was_written_with() -> None:
    instant = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    in_new_york = instant.astimezone(timezone(timedelta(hours=-4)))

    assert _event(in_new_york).day_in(COUNCIL_ZONE) == _event(instant).day_in(COUNCIL_ZONE) == "2026-03-29"


def test_a_time_without_offset_is_rejected() -> None:
    with pytest.raises(ValueError, match="offset"):
        _event(datetime(2026, 3, 28, 23, 30))  # naive on purpose


@pytest.mark.parametrize("action", ["book", "", "appointment_book"])
def test_an_action_that_is_not_a_dotted_verb_is_rejected(action: str) -> None:
    with pytest.raises(ValueError, match="dotted"):
        _event(datetime(2026, 3, 28, tzinfo=UTC), action=action)


def test_events_get_distinct_ids_and_a_current_time() -> None:
    before = datetime.now(UTC)
    first = AuditEvent(
        actor=Actor.system("dev-seed"),
        action="demo.seed",
        subject="stage:dev",
        outcome=Outcome.SUCCESS,
        context=RequestContext(request_id="seed"),
    )
    second = _event(datetime.now(UTC))

    assert first.id != second.id
    assert first.at >= before
    assert first.actor == Actor(id="system:dev-seed", role="system")
