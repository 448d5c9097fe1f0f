"""Contract of the audit trail's delivery state (TrailState): the in-memory fake and DynamoTrailState on moto alike."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from chalicelib.adapters.dynamo.trail import Cursor, Head
from chalicelib.domain.trail import DigestRef, LogFileRef
from chalicelib.services.ports import TrailState
from tests.api.tables import both
from tests.fakes import InMemoryTrailState

FIRST = Cursor(day="2026-03-02", sk="", seq=0, started_at="2026-03-02T00:00:00+00:00", version=0)


@pytest.fixture(params=["memory", "dynamodb"])
def state(request: pytest.FixtureRequest) -> Iterator[TrailState]:
    yield from both(request, InMemoryTrailState, lambda c: c.trail_state)


def _log(seq: int, oldest: str | None = "2026-03-02T09:00:00Z") -> LogFileRef:
    return LogFileRef("audit", f"logs/{seq:04d}.json.gz", f"{seq:064x}", oldest, oldest and "2026-03-02T09:05:00Z")


def _next(cursor: Cursor, sk: str) -> Cursor:
    return replace(cursor, sk=sk, seq=cursor.seq + 1, version=cursor.version + 1)


def test_the_trail_starts_once(state: TrailState) -> None:
    assert state.cursor() is None

    assert state.start(FIRST)
    assert not state.start(replace(FIRST, day="2026-03-03"))

    assert state.cursor() == FIRST


def test_the_cursor_advances_from_the_version_read_and_records_the_log_file(state: TrailState) -> None:
    state.start(FIRST)
    second = _next(FIRST, "2026-03-02T09:05:00+00:00#e2")

    assert state.advance(FIRST, second, _log(1), events=7)
    assert not state.advance(FIRST, _next(FIRST, "other"), _log(1), events=1)  # another run moved it first

    assert state.cursor() == second
    assert state.log_files(0, 10) == [(1, replace(_log(1), event_count=7))]


def test_a_cursor_moves_without_a_log_file_when_nothing_was_delivered(state: TrailState) -> None:
    state.start(FIRST)
    moved = replace(FIRST, day="2026-03-03", version=1)

    assert state.advance(FIRST, moved, None, events=0)

    assert state.cursor() == moved
    assert state.log_files(0, 10) == []


def test_a_log_file_already_recorded_cancels_the_whole_advance(state: TrailState) -> None:
    state.start(FIRST)
    second = _next(FIRST, "e2")
    state.advance(FIRST, second, _log(1), events=1)
    again = replace(second, version=second.version + 1)  # a cursor that claims seq 1 again

    assert not state.advance(second, again, _log(1, oldest=None), events=2)

    assert state.cursor() == second
    assert state.log_files(0, 10) == [(1, replace(_log(1), event_count=1))]


def test_log_files_are_listed_after_a_number_oldest_first_a_page_at_a_time(state: TrailState) -> None:
    cursor = FIRST
    state.start(cursor)
    for seq in range(1, 5):
        moved = _next(cursor, f"e{seq}")
        assert state.advance(cursor, moved, _log(seq, oldest=None if seq == 3 else "2026-03-02T09:00:00Z"), seq)
        cursor = moved

    assert [seq for seq, _ in state.log_files(1, 2)] == [2, 3]
    assert state.log_files(2, 1) == [(3, replace(_log(3, oldest=None), event_count=3))]
    assert state.log_files(4, 10) == []


def test_the_head_of_the_chain_moves_from_the_version_read(state: TrailState) -> None:
    first = Head(DigestRef("audit", "digests/1.json.gz", "aa" * 32, "30440220"), "2026-03-02T10:00:00Z", 2, 0)
    second = Head(DigestRef("audit", "digests/2.json.gz", "bb" * 32, "30450221"), "2026-03-02T11:00:00Z", 5, 1)
    assert state.head() is None

    assert state.move_head(None, first)
    assert not state.move_head(None, second)  # a head exists already
    assert state.move_head(first, second)
    assert not state.move_head(first, replace(second, files_through=9))  # another run moved it first

    assert state.head() == second
