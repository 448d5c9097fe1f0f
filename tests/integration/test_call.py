"""A whole call through the stack `make run` starts: tokens from the real API, two aiortc participants through the
real media node, the waiting room, admission, chat, a cut connection, hang-up, and the recording in S3 decoded."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import time
from typing import Any

import av
import boto3
import pytest
import requests

from dev.calls_now import DEMO_CALLS
from infra.resources import physical_name
from tests.integration.media_client import Participant
from tests.integration.test_booking_race import sign_in_by_code
from tests.stack import RunningStack

pytestmark = pytest.mark.integration
TIMEOUT = 15


def _join(stack: RunningStack, appointment_id: str, token: str) -> dict[str, Any]:
    response = requests.post(
        f"{stack.api_url}/appointments/{appointment_id}/call",
        json={},
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _agenda_call(stack: RunningStack, token: str, appointment_id: str) -> dict[str, Any]:
    items = requests.get(
        f"{stack.api_url}/agenda", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    ).json()["items"]
    return dict(next(i["call"] for i in items if i["id"] == appointment_id))


def _s3(stack: RunningStack) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{stack.moto}",
        region_name="eu-south-2",
        aws_access_key_id="dev",
        aws_secret_access_key="dev",
    )


async def _until(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await asyncio.to_thread(check)
        if result:
            return result
        await asyncio.sleep(0.25)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def _streams(data: bytes) -> dict[str, float]:
    """Decoded seconds of each kind of stream in a WebM segment (every packet decodes, or this raises)."""
    seconds: dict[str, float] = {}
    with av.open(io.BytesIO(data), mode="r") as container:
        times: dict[str, list[float]] = {}
        for packet in container.demux():
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame | av.AudioFrame) and frame.time is not None:
                    times.setdefault(packet.stream.type, []).append(frame.time)
    for kind, found in times.items():
        seconds[kind] = max(found) - min(found)
    return seconds


async def test_a_recorded_call_with_waiting_room_chat_and_a_cut_connection(
    stack: RunningStack, omac_agent_token: str
) -> None:
    office, _, id_number, _, email, _ = DEMO_CALLS[0]
    # Any agent of the office may take the call: agent.omac2's shared session (tests/integration/conftest.py) keeps
    # agent.omac's sign-in limit for the browser tests.
    agent_token = omac_agent_token
    citizen_token = sign_in_by_code(stack, id_number, email)
    mine = requests.get(
        f"{stack.api_url}/appointments", headers={"Authorization": f"Bearer {citizen_token}"}, timeout=TIMEOUT
    ).json()["items"]
    appointment = next(a for a in mine if a["office"] == office and a["status"] == "booked")
    appointment_id = appointment["id"]

    agent = Participant("agent", _join(stack, appointment_id, agent_token))
    citizen = Participant("citizen", _join(stack, appointment_id, citizen_token))
    assert agent.join["room_id"] == citizen.join["room_id"]
    try:
        await agent.open_events()
        await agent.connect()
        await citizen.open_events()
        await citizen.connect()

        # The citizen waits; the agent sees it, and so does the agenda (through the node's reports to the API).
        waiting = await agent.wait_event("waiting", participant_id=citizen.participant_id)
        assert waiting["role"] == "citizen"
        state = await _until(
            lambda: (s := _agenda_call(stack, agent_token, appointment_id))["state"] == "waiting" and s, 10, "waiting"
        )
        assert state["waiting_since"]
        # Nothing is forwarded before admission.
        await asyncio.sleep(1.5)
        assert citizen.received.video_frames == 0
        assert agent.received.video_frames == 0

        await agent.send_event({"type": "admit", "participant_id": citizen.participant_id})
        await citizen.wait_event("admitted", participant_id=citizen.participant_id)
        await asyncio.gather(citizen.wait_frames(video=30, audio=50), agent.wait_frames(video=30, audio=50))
        assert (320, 240) in agent.received.sizes
        await _until(lambda: _agenda_call(stack, agent_token, appointment_id)["state"] == "in_call", 10, "in call")

        citizen.chat("Bon dia, em sentiu?")
        chat = await agent.wait_event("chat", text="Bon dia, em sentiu?")
        assert chat["from"] == citizen.participant_id

        # The citizen's network changes: a NEW peer connection with a fresh token, same participant, same room.
        cut_at = time.monotonic()
        await citizen.pc.close() if citizen.pc else None
        await agent.wait_event("reconnecting", participant_id=citizen.participant_id)
        again = _join(stack, appointment_id, citizen_token)
        assert again["room_id"] == citizen.join["room_id"]
        await citizen.connect(again)
        await asyncio.gather(citizen.wait_frames(video=15, audio=25), agent.wait_frames(video=15, audio=25))
        assert time.monotonic() - cut_at < 5, "the call must recover within 5 s of the cut"
        await asyncio.sleep(2)

        await agent.send_event({"type": "end"})
        await citizen.wait_event("ended")
    finally:
        await citizen.close()
        await agent.close()

    # The node uploads the segments and the manifest, then tells the API; the agenda shows it.
    await _until(
        lambda: _agenda_call(stack, agent_token, appointment_id)["recording"] == "complete", 60, "recording complete"
    )
    s3 = _s3(stack)
    bucket = physical_name("dev", "recordings")
    prefix = f"recordings/{appointment_id}/{citizen.join['room_id']}/"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])}
    manifest_object = s3.get_object(Bucket=bucket, Key=prefix + "manifest.json")
    assert manifest_object["ServerSideEncryption"] == "aws:kms"
    manifest = json.loads(manifest_object["Body"].read())
    assert manifest["appointment_id"] == appointment_id
    assert manifest["status"] == "complete"
    assert {p["id"] if "id" in p else p["participant_id"] for p in manifest["participants"]} >= {
        agent.participant_id,
        citizen.participant_id,
    }
    assert any(line["text"] == "Bon dia, em sentiu?" for line in manifest["chat"])

    seconds: dict[str, dict[str, float]] = {}
    for segment in manifest["segments"]:
        key = prefix + segment["file"]
        assert key in keys
        data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert hashlib.sha256(data).hexdigest() == segment["sha256"]
        for kind, length in _streams(data).items():
            who = seconds.setdefault(segment["participant"], {})
            who[kind] = who.get(kind, 0.0) + length
    # Both participants' audio and video, for about the time they were admitted (a few seconds each side).
    for participant in (agent.participant_id, citizen.participant_id):
        assert seconds[participant]["video"] >= 3, seconds
        assert seconds[participant]["audio"] >= 3, seconds
