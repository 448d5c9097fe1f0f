"""The pre-flight check's result is the server's, classified from what the browser measured."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.preflight import (
    Devices,
    Network,
    Preflight,
    Result,
    Turn,
    classify,
    parse_report,
    summary,
    turn_status,
)

ALL_DEVICES = Devices(camera=True, microphone=True, speaker=True)
GOOD = Network(down_kbps=2000, up_kbps=800, rtt_ms=80, media_node=True, turn=Turn.NOT_CONFIGURED)
AT = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


def _network(**changes: Any) -> Network:
    return Network(**{**GOOD.__dict__, **changes})


def test_a_good_connection_with_every_device_is_ok() -> None:
    assert classify(ALL_DEVICES, GOOD) is Result.OK


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"down_kbps": 299}, Result.WEAK_NETWORK),
        ({"down_kbps": 300}, Result.OK),
        ({"up_kbps": 299}, Result.WEAK_NETWORK),
        ({"up_kbps": 300}, Result.OK),
        ({"rtt_ms": 401}, Result.WEAK_NETWORK),
        ({"rtt_ms": 400}, Result.OK),
        ({"media_node": False}, Result.WEAK_NETWORK),
        ({"down_kbps": None}, Result.WEAK_NETWORK),
        ({"rtt_ms": None}, Result.WEAK_NETWORK),
        ({"turn": Turn.UNREACHABLE}, Result.WEAK_NETWORK),
        ({"turn": Turn.REACHABLE}, Result.OK),
    ],
)
def test_weak_means_under_300_kbps_either_way_a_round_trip_over_400_ms_or_no_media_node(
    changes: dict[str, Any], expected: Result
) -> None:
    assert classify(ALL_DEVICES, _network(**changes)) is expected


def test_a_missing_microphone_comes_before_a_missing_camera_and_both_before_the_network() -> None:
    weak = _network(down_kbps=10)
    assert classify(Devices(camera=False, microphone=False, speaker=True), weak) is Result.NO_MICROPHONE
    assert classify(Devices(camera=False, microphone=True, speaker=True), weak) is Result.NO_CAMERA
    assert classify(Devices(camera=True, microphone=True, speaker=False), GOOD) is Result.OK


def test_turn_counts_only_where_the_council_configured_it() -> None:
    assert turn_status(Turn.UNREACHABLE, configured=False) is Turn.NOT_CONFIGURED
    assert turn_status(Turn.REACHABLE, configured=True) is Turn.REACHABLE
    # A browser that says TURN is not configured where it is did not try it: unreachable.
    assert turn_status(Turn.NOT_CONFIGURED, configured=True) is Turn.UNREACHABLE


def test_the_browsers_verdict_is_ignored_and_the_server_classifies() -> None:
    # GIVEN a report that claims "ok" but measured a slow uplink
    body = {
        "result": "ok",
        "camera": True,
        "microphone": True,
        "speaker": True,
        "network": {"down_kbps": 5000, "up_kbps": 120, "rtt_ms": 50, "media_node": True, "turn": "reachable"},
    }

    # WHEN it is stored
    stored = Preflight.measured(parse_report(body), AT, turn_configured=False)

    # THEN the server's classification stands, and TURN is not counted where it is not configured
    assert stored.result is Result.WEAK_NETWORK
    assert stored.network.turn is Turn.NOT_CONFIGURED


def test_an_unreachable_turn_makes_it_weak_where_configured() -> None:
    body = {
        "camera": True,
        "microphone": True,
        "speaker": True,
        "network": {"down_kbps": 5000, "up_kbps": 5000, "rtt_ms": 50, "media_node": True, "turn": "unreachable"},
    }
    assert Preflight.measured(parse_report(body), AT, turn_configured=True).result is Result.WEAK_NETWORK
    assert Preflight.measured(parse_report(body), AT, turn_configured=False).result is Result.OK


def test_a_stored_check_reads_back_the_same() -> None:
    body = {
        "camera": True,
        "microphone": True,
        "speaker": False,
        "network": {"down_kbps": 250.6, "up_kbps": None, "rtt_ms": 30, "media_node": True},
        "checklist": [1, 0, 1],
        "audio_only": True,
        "callback": {"phone": "612 345 678"},
    }
    stored = Preflight.measured(parse_report(body), AT, turn_configured=False)

    assert Preflight.from_item(stored.to_item()) == stored
    assert stored.checklist == (0, 1)
    assert stored.network.down_kbps == 251
    assert stored.callback_phone == "+34612345678"
    assert summary(stored) == {"result": "weak_network", "audio_only": True, "callback_phone": "+34612345678"}
    assert summary(None) == {"result": "not_done", "audio_only": False, "callback_phone": None}


def test_every_bad_field_is_named_at_once() -> None:
    body = {
        "camera": "yes",
        "microphone": True,
        "network": {"down_kbps": -1, "up_kbps": 10**9, "rtt_ms": "fast", "media_node": True, "turn": "maybe"},
        "checklist": [0, 99],
        "audio_only": 1,
        "callback": {"phone": "not a phone"},
    }
    with pytest.raises(ValidationFailed) as raised:
        parse_report(body)

    assert {e.field for e in raised.value.errors} == {
        "camera",
        "speaker",
        "network.down_kbps",
        "network.up_kbps",
        "network.rtt_ms",
        "network.turn",
        "checklist",
        "audio_only",
        "callback.phone",
    }


def test_a_report_without_its_network_is_refused() -> None:
    with pytest.raises(ValidationFailed) as raised:
        parse_report({"camera": True, "microphone": True, "speaker": True})
    assert [e.field for e in raised.value.errors] == ["network", "network.media_node"]
