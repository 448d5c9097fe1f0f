"""Sign-in state on DynamoDB. Every step that two requests could race is one conditional write."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError

from chalicelib.adapters.dynamo.errors import condition_failed
from chalicelib.adapters.dynamo.models import AuthItem
from chalicelib.auth.state import Challenge, Session

_ONE = "-"


class DynamoAuthStore:
    def __init__(self, model: type[AuthItem]) -> None:
        self._model = model

    # --- one-time code challenges -------------------------------------------------------------------------------
    def put_challenge(self, challenge: Challenge) -> None:
        m = self._model
        m(
            f"CHALLENGE#{challenge.id}",
            _ONE,
            expires_at=challenge.expires_at,
            data={
                "purpose": challenge.purpose,
                "subject": challenge.subject,
                "digest": challenge.digest,
                "contact": challenge.contact,
            },
        ).save(condition=m.pk.does_not_exist())

    def get_challenge(self, challenge_id: str) -> Challenge | None:
        m = self._model
        try:
            item = m.get(f"CHALLENGE#{challenge_id}", _ONE, consistent_read=True)
        except DoesNotExist:
            return None
        data = item.data.as_dict()
        return Challenge(
            id=challenge_id,
            purpose=str(data["purpose"]),
            subject=str(data["subject"]),
            digest=str(data["digest"]),
            contact=str(data.get("contact", "")),
            attempts=int(item.attempts),
            used=bool(item.used),
            expires_at=int(item.expires_at),
        )

    def record_attempt(self, challenge_id: str, max_attempts: int) -> int | None:
        """Count one verification attempt; None when the challenge is used up (no attempt left, or consumed)."""
        m = self._model
        item = m(f"CHALLENGE#{challenge_id}", _ONE)
        try:
            item.update(
                actions=[m.attempts.add(1)],
                condition=m.pk.exists() & (m.attempts < max_attempts) & (m.used == False),  # noqa: E712
            )
        except UpdateError as exc:
            if condition_failed(exc):
                return None
            raise
        return int(item.attempts)

    def consume(self, challenge_id: str) -> bool:
        """Mark the challenge used; False if another request already did (a code works once)."""
        return use_once(self._model, f"CHALLENGE#{challenge_id}", _ONE)

    def set_pending(self, key: str, challenge_id: str, expires_at: int) -> None:
        m = self._model
        m(f"PENDING#{key}", _ONE, expires_at=expires_at, data={"challenge_id": challenge_id}).save()

    def get_pending(self, key: str) -> str | None:
        m = self._model
        try:
            item = m.get(f"PENDING#{key}", _ONE, consistent_read=True)
        except DoesNotExist:
            return None
        return str(item.data.as_dict()["challenge_id"])

    # --- rate limits -------------------------------------------------------------------------------------------
    def hit(self, scope: str, key: str, window_start: int, window_seconds: int, limit: int) -> bool:
        """Count one event in a fixed window; False (and nothing counted) once ``limit`` events are in it."""
        m = self._model
        item = m(f"RATE#{scope}#{key}", str(window_start))
        try:
            item.update(
                actions=[m.hits.add(1), m.expires_at.set(window_start + 2 * window_seconds)],
                condition=m.hits.does_not_exist() | (m.hits < limit),
            )
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    # --- sessions (one per access token) ------------------------------------------------------------------------
    def put_session(self, session: Session) -> None:
        m = self._model
        m(
            f"SESSION#{session.token_id}",
            _ONE,
            expires_at=session.expires_at,
            last_seen=session.last_seen,
            data={"subject": session.subject, "kind": session.kind, "epoch": session.epoch},
        ).save(condition=m.pk.does_not_exist())

    def get_session(self, token_id: str) -> Session | None:
        m = self._model
        try:
            item = m.get(f"SESSION#{token_id}", _ONE, consistent_read=True)
        except DoesNotExist:
            return None
        data = item.data.as_dict()
        return Session(
            token_id=token_id,
            subject=str(data["subject"]),
            kind=str(data["kind"]),
            revoked=bool(item.revoked),
            last_seen=int(item.last_seen or 0),
            expires_at=int(item.expires_at),
            epoch=int(data.get("epoch", 0)),
        )

    def touch_session(self, token_id: str, now: int) -> None:
        m = self._model
        m(f"SESSION#{token_id}", _ONE).update(actions=[m.last_seen.set(now)], condition=m.pk.exists())

    def revoke_session(self, token_id: str) -> None:
        m = self._model
        try:
            m(f"SESSION#{token_id}", _ONE).update(actions=[m.revoked.set(True)], condition=m.pk.exists())
        except UpdateError as exc:
            if not condition_failed(exc):
                raise

    # --- eID flow state ---------------------------------------------------------------------------------------
    def put_flow(self, state: str, data: dict[str, Any], expires_at: int) -> None:
        m = self._model
        m(f"EID#{state}", _ONE, expires_at=expires_at, data=data).save(condition=m.pk.does_not_exist())

    def take_flow(self, state: str) -> tuple[dict[str, Any], int] | None:
        """The flow's data, removed so a ``state`` works once; None if unknown or already taken."""
        m = self._model
        try:
            item = m.get(f"EID#{state}", _ONE, consistent_read=True)
            item.delete(condition=m.pk.exists())
        except DoesNotExist:
            return None
        except DeleteError as exc:
            if condition_failed(exc):
                return None
            raise
        return item.data.as_dict(), int(item.expires_at)


def use_once(model: type[AuthItem], pk: str, sk: str) -> bool:
    """Mark an item of the auth table used (a code, a link); False when it already was or is gone: it works once."""
    try:
        model(pk, sk).update(
            actions=[model.used.set(True)],
            condition=model.pk.exists() & (model.used == False),  # noqa: E712
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True
