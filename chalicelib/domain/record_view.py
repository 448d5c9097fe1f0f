"""The retention register as a supervisor sees it: what the records service returns and the API serialises.

The stored record (``services.ports.RecordStore``) holds more (the bucket, every object's key, who asked for a
release); these are the parts shown, each as it was stored.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReleaseRequest:
    """A request to lift a legal hold, waiting for approval: when, and whether the caller asked (then they cannot
    approve it)."""

    at: str
    by_you: bool


@dataclass(frozen=True, slots=True)
class LegalHold:
    """A record's legal hold after a step of it (placed, release asked, release approved)."""

    record_id: str
    legal_hold: bool
    release_requested: ReleaseRequest | None


@dataclass(frozen=True, slots=True)
class RecordingView:
    """A call recording in the register (no personal data)."""

    record_id: str
    appointment_id: str | None
    office: str | None
    service_id: str | None
    start: str | None
    room_id: str | None
    status: str | None
    legal_hold: bool
    release_requested: ReleaseRequest | None
    retain_until: str | None
    deleted: bool


@dataclass(frozen=True, slots=True)
class SegmentLink:
    """One participant's segment of a recording, with a short-lived link to it (times, size and hash as the media
    node's manifest gave them)."""

    participant: str | None
    role: str | None
    url: str
    start: str | None
    end: str | None
    bytes: int | None
    sha256: str | None


@dataclass(frozen=True, slots=True)
class Playback:
    """A recording opened for a supervisor who stated why: its segments' links, valid ``expires_in`` seconds."""

    record_id: str
    appointment_id: str | None
    expires_in: int
    segments: tuple[SegmentLink, ...]
