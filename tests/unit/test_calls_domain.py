"""The call rules: window, node choice, state from node reports, TURN credentials and report signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.calls import (
    Call,
    CallState,
    MediaNode,
    MediaRole,
    RecordingState,
    apply,
    choose_node,
    participant_id,
    turn_credentials,
    webhook_signature,
    webhook_valid,
    window,
)

NOW = 1_800_000_000


def node(node_id: str, rooms: int = 0, cpu: float = 0.0, age: int = 0, draining: bool = False) -> MediaNode:
    return MediaNode(node_id, f"http://{node_id}", rooms, rooms * 2, 10, cpu, draining, NOW - age)


def test_the_window_opens_a_quarter_before_and_closes_an_hour_after() -> None:
    start = datetime(2026, 3, 29, 1, 45, tzinfo=UTC)
    opening = window(start, start + timedelta(minutes=30))
    assert opening.opens_at == start - timedelta(minutes=15)
    assert opening.closes_at == start + timedelta(minutes=90)
    assert opening.contains(opening.opens_at)
    assert opening.contains(opening.closes_at)
    assert not opening.contains(opening.opens_at - timedelta(seconds=1))


def test_least_loaded_healthy_node_wins() -> None:
    nodes = [node("a", rooms=5), node("b", rooms=1, cpu=0.9), node("c", rooms=1, cpu=0.2), node("d", age=30)]
    chosen = choose_node(nodes, NOW)
    assert chosen is not None
    assert chosen.node_id == "c"
    assert choose_node([node("x", draining=True), node("y", age=16), node("z", rooms=10)], NOW) is None
    assert choose_node([], NOW) is None


def test_participant_ids_are_stable_and_name_no_citizen() -> None:
    first = participant_id(MediaRole.CITIZEN, "apt-1", "12345678Z")
    assert first == participant_id(MediaRole.CITIZEN, "apt-1", "12345678Z")
    assert first != participant_id(MediaRole.CITIZEN, "apt-2", "12345678Z")
    assert "12345678Z" not in first
    assert participant_id(MediaRole.AGENT, "apt-1", "agent.omac") == "a-agent.omac"


def _event(kind: str, at: str, room: str = "r1", **extra: Any) -> dict[str, Any]:
    return {"type": kind, "at": at, "room_id": room, **extra}


def test_reports_fold_into_the_call_state() -> None:
    call = Call("apt", "r1", "n1", "http://n1")
    call = apply(call, _event("waiting", "t1", participant_id="c", role="citizen"))
    assert (call.state, call.waiting_since) == (CallState.WAITING, "t1")
    # A reconnection while waiting keeps the place in the queue.
    call = apply(call, _event("reconnecting", "t2", participant_id="c", role="citizen"))
    call = apply(call, _event("waiting", "t3", participant_id="c", role="citizen"))
    assert call.waiting_since == "t1"
    call = apply(call, _event("admitted", "t4", participant_id="c", role="citizen"))
    assert (call.state, call.recording) == (CallState.IN_CALL, RecordingState.RECORDING)
    assert call.to_json()["waiting_since"] is None
    assert apply(call, _event("ended", "t5", room="r0")) is call  # another room's report
    call = apply(call, _event("ended", "t5"))
    assert (call.state, call.ended_at) == (CallState.ENDED, "t5")
    call = apply(call, _event("waiting", "t6", participant_id="c", role="citizen"))
    assert call.state is CallState.ENDED  # nothing reopens an ended call but a new room
    call = apply(call, _event("recording_complete", "t7"))
    assert call.recording is RecordingState.COMPLETE


def test_a_citizen_who_leaves_the_waiting_room_is_no_longer_waiting() -> None:
    call = apply(Call("apt", "r1", "n1", "u"), _event("waiting", "t1", participant_id="c", role="citizen"))
    call = apply(call, _event("left", "t2", participant_id="c", role="citizen"))
    assert call.to_json()["state"] == "idle"
    assert call.to_json()["citizen_connected"] is False


def test_turn_credentials_follow_the_rest_convention() -> None:
    # The TURN REST API draft's construction, checked against openssl dgst -sha1 -hmac north -binary | base64.
    username, credential = turn_credentials(b"north", "a-agent.omac", 1_700_000_000)
    assert username == "1700000000:a-agent.omac"
    assert credential == "66zcOoolLaC3Wcg8zNs/h8tL6Gg="


def test_report_signatures() -> None:
    body = b'{"type":"ended"}'
    signature = webhook_signature(b"s3cret", str(NOW), body)
    assert signature.startswith("v1=")
    assert webhook_valid(b"s3cret", str(NOW), body, signature, NOW + 299)
    assert not webhook_valid(b"s3cret", str(NOW), body, signature, NOW + 301)
    assert not webhook_valid(b"other", str(NOW), body, signature, NOW)
    assert not webhook_valid(b"s3cret", str(NOW), body + b" ", signature, NOW)
    assert not webhook_valid(b"s3cret", "soon", body, signature, NOW)
