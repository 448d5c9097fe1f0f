"""Calls through the API: joining (room placement, join token, window, authorization) and the media nodes' reports."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.auth.tokens import AUDIENCE_MEDIA
from chalicelib.bootstrap import get_container
from chalicelib.domain.calls import webhook_signature
from dev.calls_now import DemoCall, seed_calls_now
from dev.seed import DemoCounts
from infra.resources import RESOURCES, physical_name
from tests.api import test_staff_admin as staff_admin
from tests.api.test_identity import body, citizen_token, get, post, staff_token
from tests.zones import COUNCIL_ZONE

SECRET = next(p for p in RESOURCES.parameters if p.name == "media/webhook-secret").dev_value.encode()


def register_node(node_id: str, rooms: int = 0, max_rooms: int = 20, age: int = 0, draining: bool = False) -> str:
    url = f"http://127.0.0.1:{9000 + len(node_id)}/{node_id}"
    boto3.client("dynamodb").put_item(
        TableName=physical_name("dev", "media-nodes"),
        Item={
            "node_id": {"S": node_id},
            "url": {"S": url},
            "rooms": {"N": str(rooms)},
            "participants": {"N": str(rooms * 2)},
            "max_rooms": {"N": str(max_rooms)},
            "cpu": {"N": "0.1"},
            "draining": {"BOOL": draining},
            "heartbeat_at": {"N": str(int(time.time()) - age)},
            "expires_at": {"N": str(int(time.time()) + 60)},
        },
    )
    return url


@pytest.fixture
def now_calls(demo: DemoCounts) -> dict[str, DemoCall]:
    return {c.office: c for c in seed_calls_now("dev", os.environ["AWS_REGION"], None)}


def join(client: Client, appointment_id: str, token: str) -> Any:
    return post(client, f"/appointments/{appointment_id}/call", {}, token)


def from_the_node(client: Client, path: str, payload: dict[str, Any], secret: bytes = SECRET, skew: int = 0) -> Any:
    """POSTs ``payload`` to ``path`` as media node node-a does: JSON, timestamped (``skew`` seconds off) and signed."""
    raw = json.dumps(payload)
    timestamp = str(int(time.time()) + skew)
    headers = {
        "Content-Type": "application/json",
        "X-Media-Node": "node-a",
        "X-Media-Timestamp": timestamp,
        "X-Media-Signature": webhook_signature(secret, timestamp, raw.encode()),
    }
    return client.http.post(path, body=raw, headers=headers)


def report(client: Client, event: dict[str, Any], secret: bytes = SECRET, skew: int = 0) -> Any:
    return from_the_node(client, "/media/events", event, secret, skew)


def event(call: dict[str, Any], appointment_id: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "type": kind,
        "room_id": call["room_id"],
        "appointment_id": appointment_id,
        "at": datetime.now(UTC).isoformat(),
        **extra,
    }


def test_citizen_and_agent_get_tokens_for_the_same_room(client: Client, now_calls: dict[str, DemoCall]) -> None:
    url = register_node("node-a")
    omac = now_calls["OMAC"]
    citizen = citizen_token(client, omac.id_number, omac.email)
    first = join(client, omac.appointment_id, citizen)
    assert first.status_code == 200, first.body
    mine = body(first)
    assert mine["media_url"] == url
    assert mine["ice_servers"] == []
    assert mine["role"] == "citizen"
    assert first.headers["Cache-Control"] == "no-store"
    claims = get_container().tokens.verify(mine["join_token"], AUDIENCE_MEDIA)
    assert claims["room"] == mine["room_id"]
    assert claims["role"] == "citizen"
    assert claims["apt"] == omac.appointment_id
    assert claims["sub"] == mine["participant_id"]
    assert claims["exp"] - claims["iat"] == 120
    assert omac.id_number not in json.dumps(claims)  # the node never learns the citizen's ID number

    theirs = body(join(client, omac.appointment_id, staff_token(client, "agent.omac")))
    assert theirs["room_id"] == mine["room_id"]
    assert theirs["role"] == "agent"
    assert theirs["participant_id"] == "a-agent.omac"
    # A reconnection asks again: same room, same participant, a new token.
    again = body(join(client, omac.appointment_id, citizen))
    assert (again["room_id"], again["participant_id"]) == (mine["room_id"], mine["participant_id"])
    assert again["join_token"] != mine["join_token"]


def test_the_token_is_not_accepted_by_the_api(client: Client, now_calls: dict[str, DemoCall]) -> None:
    register_node("node-a")
    omac = now_calls["OMAC"]
    token = body(join(client, omac.appointment_id, citizen_token(client, omac.id_number, omac.email)))["join_token"]
    assert get(client, "/appointments", token).status_code == 401


def test_others_cannot_join(client: Client, now_calls: dict[str, DemoCall]) -> None:
    register_node("node-a")
    omac = now_calls["OMAC"]
    assert join(client, omac.appointment_id, citizen_token(client, "12345678Z", "laia@example.org")).status_code == 404
    # The right ID number with another address (a code proves the address, not the person): not theirs either.
    assert join(client, omac.appointment_id, citizen_token(client, omac.id_number, "x@example.org")).status_code == 404
    assert join(client, omac.appointment_id, staff_token(client, "agent.ogat")).status_code == 404
    assert join(client, str(uuid.uuid4()), staff_token(client, "agent.omac")).status_code == 404


def test_outside_the_window_the_call_is_not_open(client: Client, demo: DemoCounts) -> None:
    register_node("node-a")
    later = seed_calls_now("dev", os.environ["AWS_REGION"], None, now=datetime.now(UTC) + timedelta(days=1))[0]
    answer = join(client, later.appointment_id, staff_token(client, "agent.omac"))
    assert answer.status_code == 409
    problem = body(answer)
    assert problem["code"] == "call_not_open"
    opens = datetime.fromisoformat(problem["opens_at"])
    assert opens == later.start - timedelta(minutes=15)
    assert datetime.fromisoformat(problem["closes_at"]) == later.start + timedelta(minutes=30 + 60)


def test_a_closed_appointment_has_no_call(client: Client, now_calls: dict[str, DemoCall]) -> None:
    register_node("node-a")
    omac = now_calls["OMAC"]
    agent = staff_token(client, "agent.omac")
    closed = post(client, f"/appointments/{omac.appointment_id}/outcome", {"outcome": "completed"}, agent)
    assert closed.status_code == 200, closed.body
    answer = join(client, omac.appointment_id, agent)
    assert (answer.status_code, body(answer)["code"]) == (409, "appointment_closed")


@pytest.mark.parametrize(
    "node",
    [
        {},  # no node registered at all
        {"age": 60},  # its heartbeat stopped
        {"draining": True},  # it is shutting down
        {"rooms": 20, "max_rooms": 20},  # it is full
    ],
)
def test_without_a_healthy_node_the_answer_is_503(
    client: Client, now_calls: dict[str, DemoCall], node: dict[str, Any]
) -> None:
    if node:
        register_node("node-a", **node)
    answer = join(client, now_calls["OMAC"].appointment_id, staff_token(client, "agent.omac"))
    assert answer.status_code == 503
    assert body(answer)["code"] == "no_media_node"
    assert int(answer.headers["Retry-After"]) >= 1


def test_rooms_go_to_the_least_loaded_node_and_move_when_it_dies(
    client: Client, now_calls: dict[str, DemoCall]
) -> None:
    register_node("busy", rooms=15)
    quiet = register_node("quiet", rooms=2)
    agent = staff_token(client, "agent.omac")
    first = body(join(client, now_calls["OMAC"].appointment_id, agent))
    assert first["media_url"] == quiet
    register_node("quiet", rooms=2, age=60)  # its heartbeat stops
    moved = body(join(client, now_calls["OMAC"].appointment_id, agent))
    assert moved["media_url"] != quiet
    assert moved["room_id"] != first["room_id"]


def test_turn_credentials_are_short_lived_and_checkable(
    client: Client, now_calls: dict[str, DemoCall], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import bootstrap

    monkeypatch.setenv("MEDIA_STUN_URLS", "stun:stun.vilademo.example:3478")
    turn_urls = "turn:turn.vilademo.example:3478?transport=udp,turns:turn.vilademo.example:443"
    monkeypatch.setenv("MEDIA_TURN_URLS", turn_urls)
    bootstrap.reset()
    register_node("node-a")
    servers = body(join(client, now_calls["OMAC"].appointment_id, staff_token(client, "agent.omac")))["ice_servers"]
    assert servers[0] == {"urls": ["stun:stun.vilademo.example:3478"]}
    turn = servers[1]
    expiry, user = turn["username"].split(":", 1)
    assert user == "a-agent.omac"
    assert 55 * 60 <= int(expiry) - time.time() <= 60 * 60
    secret = next(p for p in RESOURCES.parameters if p.name == "media/turn-secret").dev_value.encode()
    expected = base64.b64encode(hmac.new(secret, turn["username"].encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected


def test_node_reports_drive_the_agenda(client: Client, now_calls: dict[str, DemoCall]) -> None:
    register_node("node-a")
    omac = now_calls["OMAC"]
    agent = staff_token(client, "agent.omac")
    call = body(join(client, omac.appointment_id, agent))

    def agenda_call() -> dict[str, Any]:
        items = body(get(client, "/agenda", agent))["items"]
        return next(i["call"] for i in items if i["id"] == omac.appointment_id)

    assert agenda_call()["state"] == "idle"
    waiting = event(call, omac.appointment_id, "waiting", participant_id="c-1", role="citizen")
    assert report(client, waiting).status_code == 204
    assert report(client, waiting).status_code == 204  # the node's retry: applied once
    state = agenda_call()
    assert state["state"] == "waiting"
    assert state["waiting_since"] == waiting["at"]
    assert state["citizen_connected"] is True

    admitted = event(call, omac.appointment_id, "admitted", participant_id="c-1", role="citizen")
    assert report(client, admitted).status_code == 204
    assert agenda_call() | {"room_id": None} == {
        "state": "in_call",
        "waiting_since": None,
        "room_id": None,
        "citizen_connected": True,
        "recording": "recording",
    }
    # A report about some other room of this appointment changes nothing.
    stale = event({"room_id": "r-old"}, omac.appointment_id, "ended", by="a-agent.omac", reason="agent")
    assert report(client, stale).status_code == 204
    assert agenda_call()["state"] == "in_call"

    ended = event(call, omac.appointment_id, "ended", by="a-agent.omac", reason="agent")
    assert report(client, ended).status_code == 204
    recording = {
        "bucket": physical_name("dev", "recordings"),
        "manifest_key": f"recordings/{omac.appointment_id}/{call['room_id']}/manifest.json",
        "manifest_sha256": "ab" * 32,
        "segments": 4,
        "duration_seconds": 95.5,
        "status": "complete",
    }
    complete = event(call, omac.appointment_id, "recording_complete", recording=recording)
    assert report(client, complete).status_code == 204
    assert agenda_call()["state"] == "ended"
    assert agenda_call()["recording"] == "complete"
    # The citizen's own view shows the same state.
    mine = body(get(client, f"/appointments/{omac.appointment_id}", citizen_token(client, omac.id_number, omac.email)))
    assert mine["call"]["state"] == "ended"

    trail = get_container().audit.events_of_day(datetime.now(UTC).astimezone(COUNCIL_ZONE).date().isoformat())
    actions = [e.action for e in trail if e.subject == f"appointment:{omac.appointment_id}"]
    assert actions.count("call.waiting") == 1
    assert "call.admitted" in actions
    completed = next(e for e in trail if e.action == "recording.complete")
    assert completed.details["manifest_sha256"] == "ab" * 32
    assert completed.actor.id == "system:media-node:node-a"


@pytest.mark.parametrize(
    ("secret", "skew"),
    [(b"not-the-secret", 0), (SECRET, -600), (SECRET, 600)],
    ids=["wrong secret", "replayed", "from the future"],
)
def test_unsigned_or_replayed_reports_are_refused(
    client: Client, now_calls: dict[str, DemoCall], secret: bytes, skew: int
) -> None:
    register_node("node-a")
    omac = now_calls["OMAC"]
    call = body(join(client, omac.appointment_id, staff_token(client, "agent.omac")))
    answer = report(client, event(call, omac.appointment_id, "ended"), secret=secret, skew=skew)
    assert answer.status_code == 401
    assert body(answer)["code"] == "invalid_signature"


def ask_sessions(client: Client, sessions: list[str], secret: bytes = SECRET) -> Any:
    return from_the_node(client, "/media/sessions", {"sessions": sessions}, secret)


def session_of(join_token: str) -> str:
    return str(get_container().tokens.verify(join_token, AUDIENCE_MEDIA)["sid"])


def test_a_node_learns_that_a_participant_signed_out(client: Client, now_calls: dict[str, DemoCall]) -> None:
    register_node("node-a")
    omac = now_calls["OMAC"]
    citizen = citizen_token(client, omac.id_number, omac.email)
    agent = staff_token(client, "agent.omac")
    citizen_session = session_of(body(join(client, omac.appointment_id, citizen))["join_token"])
    agent_session = session_of(body(join(client, omac.appointment_id, agent))["join_token"])
    assert body(ask_sessions(client, [citizen_session, agent_session])) == {"revoked": []}

    # WHEN the citizen signs out while in the call
    assert post(client, "/auth/logout", {}, citizen).status_code in (200, 204)

    # THEN the node is told their session is revoked, and only theirs
    answer = ask_sessions(client, [citizen_session, agent_session])
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert body(answer) == {"revoked": [citizen_session]}


def test_a_node_learns_that_a_staff_account_was_disabled(client: Client, now_calls: dict[str, DemoCall]) -> None:
    register_node("node-a")
    omac = now_calls["OMAC"]
    agent_session = session_of(body(join(client, omac.appointment_id, staff_token(client, "agent.omac")))["join_token"])

    get_container().staff.set_enabled("agent.omac", False)

    assert body(ask_sessions(client, [agent_session, "never-issued"])) == {"revoked": [agent_session]}


def test_only_a_signed_node_may_ask_about_sessions(client: Client) -> None:
    answer = ask_sessions(client, ["any"], secret=b"not the nodes' secret")
    assert answer.status_code == 401
    assert body(answer)["code"] == "invalid_signature"

    too_many = ask_sessions(client, ["s"] * 1001)
    assert too_many.status_code == 422
    assert [e["field"] for e in body(too_many)["errors"]] == ["sessions"]


def test_malformed_reports_name_the_fields(client: Client, now_calls: dict[str, DemoCall]) -> None:
    answer = report(client, {"type": "exploded", "room_id": "r"})
    assert answer.status_code == 422
    fields = {e["field"] for e in body(answer)["errors"]}
    assert {"event_id", "appointment_id", "at", "type"} <= fields


def test_a_failed_recording_shows_to_staff_raises_the_alarm_metric_and_enters_the_trail(
    client: Client, now_calls: dict[str, DemoCall], capsys: pytest.CaptureFixture[str]
) -> None:
    register_node("node-a")
    ogat = now_calls["OGAT"]
    agent = staff_token(client, "agent.ogat")
    call = body(join(client, ogat.appointment_id, agent))
    capsys.readouterr()
    failed = event(call, ogat.appointment_id, "recording_failed", recording={"status": "failed", "segments": 2})

    assert report(client, failed).status_code == 204

    items = body(get(client, "/agenda", agent))["items"]
    assert next(i["call"] for i in items if i["id"] == ogat.appointment_id)["recording"] == "failed"
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"RecordingFailed"' in line]
    assert len(emitted) == 1
    assert emitted[0]["RecordingFailed"] == [1.0]
    trail = get_container().audit.events_of_day(datetime.now(UTC).astimezone(COUNCIL_ZONE).date().isoformat())
    failure = next(e for e in trail if e.action == "recording.failed")
    assert failure.outcome.value == "failure"
    assert failure.data_subject  # the citizen, by pseudonym: it shows in their access log


NEW_PASSWORD = staff_admin.NEW_PASSWORD


def test_a_node_learns_that_a_staff_password_was_reset(client: Client, now_calls: dict[str, DemoCall]) -> None:
    register_node("node-a")
    omac = now_calls["OMAC"]
    agent_session = session_of(body(join(client, omac.appointment_id, staff_token(client, "agent.omac")))["join_token"])
    assert body(ask_sessions(client, [agent_session])) == {"revoked": []}

    # WHEN the agent sets a new password through a reset link an administrator sent
    assert staff_admin.admin(client, "POST", "/admin/staff/agent.omac/password-reset").status_code == 202
    email = get_container().staff.get("agent.omac")
    assert email is not None
    token = staff_admin.link_token(client, email.email)
    activated = staff_admin.call(client, "POST", "/auth/staff/activate", {"token": token, "password": NEW_PASSWORD})
    assert activated.status_code == 204

    # THEN the node puts them out of the call, as the API already refuses their token
    assert body(ask_sessions(client, [agent_session])) == {"revoked": [agent_session]}
