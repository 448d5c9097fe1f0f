"""The demo's appointments happening now (dev/calls_now.py) are on today's agenda even just after midnight."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dev.calls_now import seed_calls_now

MADRID = ZoneInfo("Europe/Madrid")


def test_a_call_of_now_starts_five_minutes_ago_on_the_five(aws: None) -> None:
    made = seed_calls_now("dev", os.environ["AWS_REGION"], None, now=datetime(2026, 12, 5, 10, 7, tzinfo=UTC))

    assert {call.start.astimezone(MADRID) for call in made} == {datetime(2026, 12, 5, 11, 0, tzinfo=MADRID)}


def test_just_after_midnight_a_call_of_now_starts_at_midnight_not_yesterday(aws: None) -> None:
    # 23:02 UTC is 00:02 in Madrid: five minutes ago would be yesterday, whose agenda nobody is looking at.
    made = seed_calls_now("dev", os.environ["AWS_REGION"], None, now=datetime(2026, 12, 5, 23, 2, tzinfo=UTC))

    for call in made:
        local = call.start.astimezone(MADRID)
        assert local == datetime(2026, 12, 6, 0, 0, tzinfo=MADRID)
        assert datetime(2026, 12, 5, 23, 2, tzinfo=UTC) - call.start < timedelta(minutes=15)
