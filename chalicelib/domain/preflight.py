"""The pre-flight check: the citizen tries their camera, microphone, speaker and connection to the media node a day
or two before the call, and ticks the service's documents to have at hand.

The result is the server's to decide from what was measured (a browser's own verdict is never trusted): a camera or a
microphone the browser could not open, or a connection too weak for video (under 300 kbps either way, a round trip
over 400 ms, or a media node it could not reach; TURN only counts where the council configured it). A weak result
lets the citizen ask to join with sound only or to be called on a phone instead; the agent sees both in the agenda.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.identifiers import Channel, destination

MIN_KBPS = 300  # either way: below this a video call stutters (one 360p stream with audio needs about 250 to 300 kbps)
MAX_RTT_MS = 400  # a longer round trip makes a conversation talk over itself


class Result(StrEnum):
    OK = "ok"
    WEAK_NETWORK = "weak_network"
    NO_CAMERA = "no_camera"
    NO_MICROPHONE = "no_microphone"
    NOT_DONE = "not_done"


class Turn(StrEnum):
    REACHABLE = "reachable"
    UNREACHABLE = "unreachable"
    NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True)
class Network:
    """What the browser measured against the media node; None where it could not measure."""

    down_kbps: int | None
    up_kbps: int | None
    rtt_ms: int | None
    media_node: bool  # the node answered and a STUN (server-reflexive) candidate was gathered
    turn: Turn

    def is_weak(self) -> bool:
        if not self.media_node or self.turn is Turn.UNREACHABLE:
            return True
        if self.down_kbps is None or self.up_kbps is None or self.rtt_ms is None:
            return True  # not measured: the connection could not carry the test, let alone a call
        return self.down_kbps < MIN_KBPS or self.up_kbps < MIN_KBPS or self.rtt_ms > MAX_RTT_MS


@dataclass(frozen=True)
class Devices:
    camera: bool
    microphone: bool
    speaker: bool  # the citizen heard the test tone


def classify(devices: Devices, network: Network) -> Result:
    """No microphone first (no call at all without one), then no camera (sound only is still possible), then the
    connection."""
    if not devices.microphone:
        return Result.NO_MICROPHONE
    if not devices.camera:
        return Result.NO_CAMERA
    if network.is_weak():
        return Result.WEAK_NETWORK
    return Result.OK


def turn_status(reported: Turn, configured: bool) -> Turn:
    """TURN is checked only where the council configured it: otherwise what a browser reports does not count."""
    if not configured:
        return Turn.NOT_CONFIGURED
    return Turn.UNREACHABLE if reported is Turn.NOT_CONFIGURED else reported


# Bounds of what a browser may report: beyond them a figure is a mistake or a lie, refused with the field named.
MAX_KBPS = 10_000_000
MAX_RTT_REPORTED_MS = 60_000
MAX_CHECKLIST = 30


@dataclass(frozen=True)
class Report:
    """What the citizen's browser sends after the check (``PUT /appointments/{id}/preflight``, or a one-tap link)."""

    devices: Devices
    network: Network
    checklist: tuple[int, ...]
    audio_only: bool
    callback_phone: str | None


def parse_report(body: dict[str, Any]) -> Report:
    """The report in ``body``, or every bad field named at once (422)."""
    errors: list[FieldError] = []

    def flag(raw: object, field: str) -> bool:
        if not isinstance(raw, bool):
            errors.append(FieldError(field, "boolean"))
            return False
        return raw

    def figure(raw: object, field: str, high: int) -> int | None:
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= high:
            errors.append(FieldError(field, "between", low=0, high=high))
            return None
        return round(raw)

    devices = Devices(
        flag(body.get("camera"), "camera"),
        flag(body.get("microphone"), "microphone"),
        flag(body.get("speaker"), "speaker"),
    )
    raw_network = body.get("network")
    if not isinstance(raw_network, dict):
        errors.append(FieldError("network", "required"))
        raw_network = {}
    turn = raw_network.get("turn", Turn.NOT_CONFIGURED.value)
    if turn not in {t.value for t in Turn}:
        errors.append(FieldError("network.turn", "one_of", choices=", ".join(Turn)))
        turn = Turn.NOT_CONFIGURED.value
    network = Network(
        figure(raw_network.get("down_kbps"), "network.down_kbps", MAX_KBPS),
        figure(raw_network.get("up_kbps"), "network.up_kbps", MAX_KBPS),
        figure(raw_network.get("rtt_ms"), "network.rtt_ms", MAX_RTT_REPORTED_MS),
        flag(raw_network.get("media_node"), "network.media_node"),
        Turn(str(turn)),
    )
    raw_checklist = body.get("checklist", [])
    checklist: tuple[int, ...] = ()
    valid_items = isinstance(raw_checklist, list) and all(
        isinstance(i, int) and not isinstance(i, bool) and 0 <= i < MAX_CHECKLIST for i in raw_checklist
    )
    if not valid_items or len(raw_checklist) > MAX_CHECKLIST:
        errors.append(FieldError("checklist", "list_at_most", count=MAX_CHECKLIST))
    else:
        checklist = tuple(raw_checklist)
    audio_only = flag(body.get("audio_only", False), "audio_only")
    phone = None
    callback = body.get("callback")
    if callback is not None:
        if not isinstance(callback, dict):
            errors.append(FieldError("callback.phone", "mobile"))
        else:
            try:
                phone = destination(Channel.SMS, callback.get("phone"), "callback.phone")
            except ValidationFailed as exc:
                errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    return Report(devices, network, checklist, audio_only, phone)


@dataclass(frozen=True)
class Preflight:
    """One stored check (the latest replaces the previous)."""

    result: Result
    devices: Devices
    network: Network
    checklist: tuple[int, ...]  # the indexes of the service's required documents the citizen ticked
    audio_only: bool  # the citizen asked to join with sound only
    callback_phone: str | None  # the citizen asked to be called on this number instead
    checked_at: datetime

    @staticmethod
    def measured(report: Report, checked_at: datetime, turn_configured: bool) -> Preflight:
        """The stored check: classified here from the measurements, whatever the browser concluded."""
        devices, network = report.devices, report.network
        fair = Network(
            network.down_kbps,
            network.up_kbps,
            network.rtt_ms,
            network.media_node,
            turn_status(network.turn, turn_configured),
        )
        return Preflight(
            classify(devices, fair),
            devices,
            fair,
            tuple(sorted(set(report.checklist))),
            report.audio_only,
            report.callback_phone,
            checked_at,
        )

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "result": self.result.value,
            "camera": self.devices.camera,
            "microphone": self.devices.microphone,
            "speaker": self.devices.speaker,
            "media_node": self.network.media_node,
            "turn": self.network.turn.value,
            "checklist": list(self.checklist),
            "audio_only": self.audio_only,
            "checked_at": self.checked_at.isoformat(),
        }
        for key, value in (
            ("down_kbps", self.network.down_kbps),
            ("up_kbps", self.network.up_kbps),
            ("rtt_ms", self.network.rtt_ms),
            ("callback_phone", self.callback_phone),
        ):
            if value is not None:
                item[key] = value
        return item

    @staticmethod
    def from_item(raw: dict[str, Any]) -> Preflight:
        def number(key: str) -> int | None:
            value = raw.get(key)
            return None if value is None else int(value)

        return Preflight(
            Result(str(raw["result"])),
            Devices(bool(raw["camera"]), bool(raw["microphone"]), bool(raw["speaker"])),
            Network(
                number("down_kbps"), number("up_kbps"), number("rtt_ms"), bool(raw["media_node"]), Turn(raw["turn"])
            ),
            tuple(int(i) for i in raw.get("checklist") or ()),
            bool(raw.get("audio_only")),
            str(raw["callback_phone"]) if raw.get("callback_phone") else None,
            datetime.fromisoformat(str(raw["checked_at"])),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "result": self.result.value,
            "camera": self.devices.camera,
            "microphone": self.devices.microphone,
            "speaker": self.devices.speaker,
            "network": {
                "down_kbps": self.network.down_kbps,
                "up_kbps": self.network.up_kbps,
                "rtt_ms": self.network.rtt_ms,
                "media_node": self.network.media_node,
                "turn": self.network.turn.value,
            },
            "checklist": list(self.checklist),
            "audio_only": self.audio_only,
            "callback_phone": self.callback_phone,
            "checked_at": self.checked_at.isoformat(),
        }


def summary(preflight: Preflight | None) -> dict[str, Any]:
    """What the agenda shows of an appointment's check: its result, and what the citizen asked for."""
    if preflight is None:
        return {"result": Result.NOT_DONE.value, "audio_only": False, "callback_phone": None}
    return {
        "result": preflight.result.value,
        "audio_only": preflight.audio_only,
        "callback_phone": preflight.callback_phone,
    }
