"""The client → node messages of the events WebSocket and the ``chat`` data channel, parsed and validated.

Anything that is not exactly one of these shapes is refused with ``{"type":"error","code","detail"}``; it never reaches
a room (calls contract, "Node HTTP").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_CHAT_LENGTH = 1000
MAX_MESSAGE_BYTES = 8 * 1024
_MAX_ID_LENGTH = 128


class RefusedError(Exception):
    """A client message the node will not act on; ``code`` and ``detail`` go back to the client."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail

    def as_event(self) -> dict[str, Any]:
        return {"type": "error", "code": self.code, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Admit:
    participant_id: str


@dataclass(frozen=True, slots=True)
class Chat:
    text: str


@dataclass(frozen=True, slots=True)
class End:
    pass


@dataclass(frozen=True, slots=True)
class AudioOnly:
    on: bool


ClientMessage = Admit | Chat | End | AudioOnly


def parse_text(raw: str) -> ClientMessage:
    if len(raw.encode()) > MAX_MESSAGE_BYTES:
        raise RefusedError("message_too_large", f"Messages are at most {MAX_MESSAGE_BYTES} bytes.")
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise RefusedError("invalid_json", "The message is not JSON.") from error
    return parse_message(value)


def parse_message(value: object) -> ClientMessage:
    if not isinstance(value, dict):
        raise RefusedError("invalid_message", "A message is a JSON object with a type.")
    kind = value.get("type")
    fields = set(value) - {"type"}
    if kind == "admit":
        participant_id = value.get("participant_id")
        if fields != {"participant_id"} or not _is_id(participant_id):
            raise RefusedError("invalid_message", "admit takes a participant_id.")
        return Admit(str(participant_id))
    if kind == "chat":
        text = value.get("text")
        if fields != {"text"} or not isinstance(text, str):
            raise RefusedError("invalid_message", "chat takes a text.")
        if not text.strip() or len(text) > MAX_CHAT_LENGTH:
            raise RefusedError("invalid_chat", f"A chat message has 1 to {MAX_CHAT_LENGTH} characters.")
        return Chat(text)
    if kind == "end":
        if fields:
            raise RefusedError("invalid_message", "end takes no fields.")
        return End()
    if kind == "audio_only":
        on = value.get("on")
        if fields != {"on"} or not isinstance(on, bool):
            raise RefusedError("invalid_message", "audio_only takes on: true or false.")
        return AudioOnly(on)
    raise RefusedError("unknown_type", "Known message types: admit, chat, end, audio_only.")


def _is_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _MAX_ID_LENGTH


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
