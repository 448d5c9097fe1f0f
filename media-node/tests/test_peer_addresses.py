"""With MEDIA_PUBLIC_PEERS_ONLY (production) the node never checks connectivity to a private address a client names."""

from __future__ import annotations

from pathlib import Path

import pytest
from node_fakes import OFFER_SDP, Node

from videoatencion_media.config import MediaConfig
from videoatencion_media.signalling import public_candidates_only

CANDIDATES = (
    "a=candidate:1 1 udp 2122260223 10.0.1.20 50000 typ host\r\n"
    "a=candidate:2 1 udp 2122260223 169.254.169.254 80 typ host\r\n"
    "a=candidate:3 1 udp 2122260223 fd00:ec2::254 80 typ host\r\n"
    "a=candidate:4 1 udp 2122260223 ::ffff:127.0.0.1 8081 typ host\r\n"
    "a=candidate:5 1 udp 2122260223 3f2a1b.local 50001 typ host\r\n"
    "a=candidate:6 1 udp 1686052607 198.51.100.7 50002 typ srflx raddr 10.0.1.20 rport 50000\r\n"
    "a=candidate:7 1 udp 1686052607 81.40.12.9 50003 typ srflx raddr 10.0.1.20 rport 50000\r\n"
    "a=candidate:8 1 udp 41885439 2a00:1450:4003::1 3478 typ relay raddr 0.0.0.0 rport 0\r\n"
    "a=end-of-candidates\r\n"
)


@pytest.fixture
def config(tmp_path: Path, spa_origin: str) -> MediaConfig:
    return MediaConfig.from_env(
        {
            "MEDIA_RECORDINGS_DIR": str(tmp_path / "recordings"),
            "MEDIA_ALLOWED_ORIGINS": spa_origin,
            "MEDIA_PUBLIC_PEERS_ONLY": "true",
        }
    )


def test_only_public_addresses_are_kept() -> None:
    kept = public_candidates_only(OFFER_SDP + CANDIDATES)

    assert [line.split()[4] for line in kept.splitlines() if line.startswith("a=candidate:")] == [
        "81.40.12.9",
        "2a00:1450:4003::1",
    ]
    assert kept.startswith(OFFER_SDP)
    assert kept.endswith("a=end-of-candidates\r\n")


async def test_the_engine_never_sees_a_private_candidate(node: Node) -> None:
    response = await node.offer(node.token(sub="c-ana", role="citizen"), sdp=OFFER_SDP + CANDIDATES)

    assert response.status == 200
    [offer] = node.media.rooms["room-1"].offers
    assert "10.0.1.20 50000" not in offer
    assert "169.254.169.254" not in offer
    assert "81.40.12.9 50003 typ srflx" in offer


def test_development_keeps_every_candidate_by_default(tmp_path: Path) -> None:
    assert MediaConfig.from_env({"MEDIA_RECORDINGS_DIR": str(tmp_path)}).public_peers_only is False
