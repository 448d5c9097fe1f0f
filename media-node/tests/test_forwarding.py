"""The RTP path (MEDIA_FORWARDING=rtp) with RTP-level peers in one process: exact packet counts, header rewriting,
admission, continuity across a reconnection, NACKs both ways, keyframe requests, REMB/RR/SR, the SRTP profile."""

from __future__ import annotations

import itertools
import struct
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from peers import wait_for as _wait_for
from rtp_peers import RtpClient, vp8_payload

from videoatencion_media import forwarding
from videoatencion_media.engine import RoomMedia

pytestmark = pytest.mark.integration

Room = tuple[RoomMedia, Callable[..., Any]]


async def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:  # noqa: ASYNC109
    """A generous deadline: the suite runs on a busy 2-core machine."""
    await _wait_for(predicate, timeout=timeout)


@pytest.fixture
async def room() -> AsyncIterator[Room]:
    media = RoomMedia("room-1", "apt-1", None, forwarding="rtp")
    clients: list[RtpClient] = []

    async def join(pid: str, *, admitted: bool = True, **kwargs: Any) -> RtpClient:
        client = RtpClient(**kwargs)
        clients.append(client)
        media.set_admitted(pid, admitted)
        await client.join(media, pid)
        return client

    yield media, join
    for client in clients:
        await client.close()
    await media.close()


def send_call(client: RtpClient, frames: int, *, lose: set[int] | None = None) -> list[bytes]:
    """``frames`` video frames (the first a keyframe, one packet each) and as many audio packets; the video payloads."""
    payloads = []
    for index in range(frames):
        payload = vp8_payload(index, keyframe=index == 0)
        payloads.append(payload)
        client.send("video", payload, lose=index in (lose or set()))
        client.send("audio", b"\xfc" + index.to_bytes(4, "big") + bytes(60))
    return payloads


def consecutive(seqs: list[int]) -> bool:
    return all((b - a) & 0xFFFF == 1 for a, b in itertools.pairwise(seqs))


async def test_forwards_both_ways_with_exact_counts_and_each_receivers_payload_types(room: Room) -> None:
    media, join = room
    agent = await join("a", order=("audio", "video"), seed=1)
    citizen = await join("c", order=("video", "audio"), seed=2, payload_types={97: 120, 98: 121, 96: 111})
    # The two chose different payload type numbers and section order: the node maps between them.
    assert agent.send_params["video"].payload_type != citizen.recv_params["video"].payload_type
    sent = {"a": send_call(agent, 50), "c": send_call(citizen, 50)}
    for receiver, sender in ((citizen, "a"), (agent, "c")):
        await wait_for(lambda r=receiver: len(r.received["video"]) >= 50 and len(r.received["audio"]) >= 50)  # type: ignore[misc]
        video = receiver.received["video"]
        assert [g.payload for g in video] == sent[sender]
        assert {g.payload_type for g in video} == {receiver.recv_params["video"].payload_type}
        assert {g.payload_type for g in receiver.received["audio"]} == {receiver.recv_params["audio"].payload_type}
        assert {g.ssrc for g in video} == {receiver.recv_params["video"].ssrc}
        assert consecutive([g.seq for g in video])
        assert consecutive([g.seq for g in receiver.received["audio"]])
        assert all(g.marker for g in video)
    await wait_for(lambda: len(agent.received["video"]) == 50 and len(citizen.received["audio"]) == 50)
    stats = media.stats()
    assert stats["forwarding"] == "rtp"
    for pid in ("a", "c"):
        participant = stats["participants"][pid]
        assert participant["in"]["video"]["packets"] == 50
        assert participant["in"]["audio"]["packets"] == 50
        assert participant["out"]["video"]["packets"] == 50
        assert participant["out"]["audio"]["packets"] == 50
        assert participant["sources"] == ["c" if pid == "a" else "a"] * 2
        assert participant["transport"] == {"unprotect_failures": 0, "protect_failures": 0, "send_failures": 0}
        # aiortc peers offer AEAD AES-GCM first: the node's handshakes end on GCM.
        assert participant["srtp_profile"] in ("SRTP_AEAD_AES_256_GCM", "SRTP_AEAD_AES_128_GCM")


async def test_nothing_is_forwarded_to_or_from_a_participant_before_admission(room: Room) -> None:
    media, join = room
    agent = await join("a")
    citizen = await join("c", admitted=False, seed=3)
    send_call(citizen, 20)
    send_call(agent, 20)
    await wait_for(lambda: media.stats()["participants"]["c"]["in"]["video"]["packets"] == 20)
    await wait_for(lambda: media.stats()["participants"]["a"]["in"]["video"]["packets"] == 20)
    assert agent.received == {"audio": [], "video": []}
    assert citizen.received == {"audio": [], "video": []}

    media.set_admitted("c", True)
    send_call(citizen, 5)
    send_call(agent, 5)
    await wait_for(lambda: len(agent.received["video"]) == 5 and len(citizen.received["video"]) == 5)


async def test_a_reconnection_keeps_the_receivers_stream_continuous(room: Room) -> None:
    _media, join = room
    agent = await join("a", seed=4)
    citizen = await join("c", seed=5)
    send_call(agent, 30)
    await wait_for(lambda: len(citizen.received["video"]) == 30 and len(citizen.received["audio"]) == 30)
    again = await join("a", seed=6)  # a new connection for the same participant: new SSRCs, new sequence numbers
    assert again.send_params["video"].ssrc != agent.send_params["video"].ssrc
    # Video resumes at a keyframe: a delta frame before it is held back, and the node asks for a keyframe.
    again.send("video", vp8_payload(99, keyframe=False))
    await wait_for(lambda: any(m == again.send_params["video"].ssrc for m in pli_media(again)))
    send_call(again, 30)
    await wait_for(lambda: len(citizen.received["video"]) == 60 and len(citizen.received["audio"]) == 60)
    for kind in ("video", "audio"):
        got = citizen.received[kind]
        assert len({g.ssrc for g in got}) == 1
        assert consecutive([g.seq for g in got])
        steps = [(b.ts - a.ts) & 0xFFFFFFFF for a, b in itertools.pairwise(got)]
        assert all(0 < step < 10 * forwarding.CLOCK_RATES[kind] for step in steps)
    assert vp8_payload(99, keyframe=False) not in [g.payload for g in citizen.received["video"]]


def rate_limit_passed(media: RoomMedia, pid: str) -> bool:
    assert media._rtp is not None
    return media._rtp.peers[pid].last_keyframe_request < forwarding.now() - forwarding.KEYFRAME_REQUEST_INTERVAL - 0.1


def pli_media(client: RtpClient) -> list[int]:
    return [struct.unpack_from("!I", p, 8)[0] for p in client.feedback(forwarding.RTCP_PSFB, 1)]


async def test_a_receivers_nack_is_answered_from_the_nodes_cache(room: Room) -> None:
    media, join = room
    agent = await join("a", seed=7)
    citizen = await join("c", seed=8)
    first = agent.seq["video"]  # the first stream of a slot keeps the source's numbering
    lost = {(first + i) & 0xFFFF for i in (10, 11, 25)}
    citizen.drop_incoming = set(lost)
    payloads = send_call(agent, 40)
    await wait_for(lambda: len(citizen.received["video"]) == 37)
    media_ssrc = citizen.recv_params["video"].ssrc
    assert media_ssrc is not None
    citizen.send_rtcp(forwarding.build_nack(12345, media_ssrc, sorted(lost)))
    await wait_for(lambda: len(citizen.received["video"]) == 40)
    assert sorted(g.payload for g in citizen.received["video"]) == sorted(payloads)
    assert lost <= {g.seq for g in citizen.received["video"]}
    assert media.stats()["participants"]["c"]["out"]["video"]["retransmitted"] == 3


async def test_the_node_asks_the_sender_again_for_what_it_lost_on_the_way_in(room: Room) -> None:
    media, join = room
    agent = await join("a", seed=9)
    citizen = await join("c", seed=10)
    payloads = send_call(agent, 40, lose={10, 20, 21})
    await wait_for(lambda: len(citizen.received["video"]) == 40)
    assert sorted(g.payload for g in citizen.received["video"]) == sorted(payloads)
    assert agent.rtx_sent >= 3  # answered over RTX, which the node unwrapped
    incoming = media.stats()["participants"]["a"]["in"]["video"]
    assert incoming["recovered"] == 3
    assert incoming["nacks_sent"] >= 1


async def test_keyframe_requests_cross_to_the_sender(room: Room) -> None:
    media, join = room
    agent = await join("a", seed=11)
    citizen = await join("c", seed=12)
    send_call(agent, 5)
    await wait_for(lambda: len(citizen.received["video"]) == 5)
    before = len(pli_media(agent))
    stream = citizen.recv_params["video"].ssrc
    assert stream is not None
    await wait_for(lambda: media._rtp is not None and media.request_keyframe("a") is False)  # rate limit
    await wait_for(lambda: rate_limit_passed(media, "a"))
    citizen.send_rtcp(forwarding.build_pli(1, stream))
    await wait_for(lambda: len(pli_media(agent)) > before)
    assert pli_media(agent)[-1] == agent.send_params["video"].ssrc
    assert media.stats()["participants"]["c"]["keyframe_requests"]["received"] == 1
    # FIR names the stream in its FCI; also crosses (after the per-source rate limit).
    await wait_for(lambda: rate_limit_passed(media, "a"))
    fir = struct.pack("!BBHIIIB3x", 0x84, forwarding.RTCP_PSFB, 4, 1, 0, stream, 1)
    citizen.send_rtcp(fir)
    await wait_for(lambda: len(pli_media(agent)) > before + 1)


async def test_remb_receiver_and_sender_reports_are_carried_across(room: Room) -> None:
    _media, join = room
    agent = await join("a", seed=13)
    citizen = await join("c", seed=14)
    send_call(agent, 5)
    await wait_for(lambda: len(citizen.received["video"]) == 5)
    video_out = citizen.recv_params["video"].ssrc
    video_in = agent.send_params["video"].ssrc
    assert video_out is not None
    assert video_in is not None

    citizen.send_rtcp(forwarding.build_remb(2, 300_000, [video_out]))
    await wait_for(lambda: bool(agent.feedback(forwarding.RTCP_PSFB, 15)))
    assert forwarding.parse_remb(agent.feedback(forwarding.RTCP_PSFB, 15)[-1]) == (300_000, [video_in])

    last = citizen.received["video"][-1].seq
    block = struct.pack("!IB3sIIII", video_out, 12, (2).to_bytes(3, "big"), (1 << 16) | last, 40, 0, 0)
    citizen.send_rtcp(forwarding.build_rr(2, [block]))
    await wait_for(lambda: bool(agent.feedback(forwarding.RTCP_RR, 1)))
    rr = agent.feedback(forwarding.RTCP_RR, 1)[-1]
    ssrc, fraction, _, highest = struct.unpack_from("!IB3sI", rr, 8)
    assert (ssrc, fraction) == (video_in, 12)
    assert highest & 0xFFFF == (agent.seq["video"] - 1) & 0xFFFF  # mapped back to the sender's numbering

    rtp_ts = agent.ts["video"]
    sr = struct.pack("!BBHIQIII", 0x80, forwarding.RTCP_SR, 6, video_in, 0x0102030405060708, rtp_ts, 5, 1000)
    agent.send_rtcp(sr)
    await wait_for(lambda: bool(citizen.feedback(forwarding.RTCP_SR, 0)))
    got = citizen.feedback(forwarding.RTCP_SR, 0)[-1]
    ssrc, ntp, ts = struct.unpack_from("!IQI", got, 4)
    assert (ssrc, ntp) == (video_out, 0x0102030405060708)
    assert ts == rtp_ts  # the first source of a slot: no timestamp shift


async def test_three_participants_each_section_is_filled_by_the_others_in_join_order(room: Room) -> None:
    media, join = room
    agent = await join("a", seed=15)
    citizen = await join("c", seed=16)
    interpreter = await join("i", seed=17)
    sent = {"a": send_call(agent, 10), "c": send_call(citizen, 10), "i": send_call(interpreter, 10)}
    # One audio and one video section each: the first other participant in join order fills them.
    expected = {"a": "c", "c": "a", "i": "a"}
    clients = {"a": agent, "c": citizen, "i": interpreter}
    await wait_for(lambda: all(len(clients[pid].received["video"]) == 10 for pid in clients))
    for pid, source in expected.items():
        assert [g.payload for g in clients[pid].received["video"]] == sent[source]
        assert media.stats()["participants"][pid]["sources"] == [source, source]
    # The agent leaves: the interpreter's sections are filled by the citizen, from a keyframe, numbering continuous.
    await media.disconnect("a")
    await wait_for(lambda: media.stats()["participants"]["i"]["sources"] == ["c", "c"])
    more = send_call(citizen, 5)
    await wait_for(lambda: len(interpreter.received["video"]) == 15)
    assert [g.payload for g in interpreter.received["video"][10:]] == more
    assert consecutive([g.seq for g in interpreter.received["video"]])
    assert len({g.ssrc for g in interpreter.received["video"]}) == 1
