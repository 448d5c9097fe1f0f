"""Sign-in state records: a one-time code's challenge and an access token's session."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Challenge:
    id: str
    purpose: str  # "citizen" | "staff"
    subject: str  # ID number or username
    digest: str
    contact: str
    attempts: int
    used: bool
    expires_at: int


@dataclass(frozen=True)
class Session:
    token_id: str
    subject: str
    kind: str
    revoked: bool
    last_seen: int
    expires_at: int
    # A staff session's account epoch when it began: a password set or reset since raises the account's, and the
    # session (and a media node's participant holding it) is over.
    epoch: int = 0
