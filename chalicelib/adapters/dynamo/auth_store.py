"""Sign-in state on DynamoDB. Every step that two requests could race is one conditional write."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError

from chalicelib.adapters.dynamo.models import AuthItem
from chalicelib.auth.state import Challenge, Session

_ONE = "-"


def _conditional_failed(exc: UpdateError | DeleteError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class DynamoAuthStore:
    # --- one-time code challenges -------------------------------------------------------------------------------
    def put_challenge(self, challenge: Challenge) -> None:
        AuthItem(
            f"CHALLENGE#{challenge.id}",
            _ONE,
            expires_at=challenge.expires_at,
            data={
                "purpose": challenge.purpose,
                "subject": challenge.subject,
                "digest": challenge.digest,
                "contact": challenge.contact,
            },
        ).save(condition=AuthItem.pk.does_not_exist())

    def get_challenge(self, challenge_id: str) -> Challenge | None:
        try:
            item = AuthItem.get(f"CHALLENGE#{challenge_id}", _ONE, consistent_read=True)
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
        item = AuthItem(f"CHALLENGE#{challenge_id}", _ONE)
        try:
            item.update(
                actions=[AuthItem.attempts.add(1)],
                condition=AuthItem.pk.exists() & (AuthItem.attempts < max_attempts) & (AuthItem.used == False),  # noqa: E712
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return int(item.attempts)

    def consume(self, challenge_id: str) -> bool:
        """Mark the challenge used; False if another request already did (a code works once)."""
        try:
            AuthItem(f"CHALLENGE#{challenge_id}", _ONE).update(
                actions=[AuthItem.used.set(True)],
                condition=AuthItem.pk.exists() & (AuthItem.used == False),  # noqa: E712
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def set_pending(self, key: str, challenge_id: str, expires_at: int) -> None:
        AuthItem(f"PENDING#{key}", _ONE, expires_at=expires_at, data={"challenge_id": challenge_id}).save()

    def get_pending(self, key: str) -> str | None:
        try:
            item = AuthItem.get(f"PENDING#{key}", _ONE, consistent_read=True)
        except DoesNotExist:
            return None
        return str(item.data.as_dict()["challenge_id"])

    # --- rate limits -------------------------------------------------------------------------------------------
    def hit(self, scope: str, key: str, window_start: int, window_seconds: int, limit: int) -> bool:
        """Count one event in a fixed window; False (and nothing counted) once ``limit`` events are in it."""
        item = AuthItem(f"RATE#{scope}#{key}", str(window_start))
        try:
            item.update(
                actions=[AuthItem.hits.add(1), AuthItem.expires_at.set(window_start + 2 * window_seconds)],
                condition=AuthItem.hits.does_not_exist() | (AuthItem.hits < limit),
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    # --- sessions (one per access token) ------------------------------------------------------------------------
    def put_session(self, session: Session) -> None:
        AuthItem(
            f"SESSION#{session.token_id}",
            _ONE,
            expires_at=session.expires_at,
            last_seen=session.last_seen,
            data={"subject": session.subject, "kind": session.kind},
        ).save(condition=AuthItem.pk.does_not_exist())

    def get_session(self, token_id: str) -> Session | None:
        try:
            item = AuthItem.get(f"SESSION#{token_id}", _ONE, consistent_read=True)
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
        )

    def touch_session(self, token_id: str, now: int) -> None:
        AuthItem(f"SESSION#{token_id}", _ONE).update(
            actions=[AuthItem.last_seen.set(now)], condition=AuthItem.pk.exists()
        )

    def revoke_session(self, token_id: str) -> None:
        try:
            AuthItem(f"SESSION#{token_id}", _ONE).update(
                actions=[AuthItem.revoked.set(True)], condition=AuthItem.pk.exists()
            )
        except UpdateError as exc:
            if not _conditional_failed(exc):
                raise

    # --- eID flow state ---------------------------------------------------------------------------------------
    def put_flow(self, state: str, data: dict[str, Any], expires_at: int) -> None:
        AuthItem(f"EID#{state}", _ONE, expires_at=expires_at, data=data).save(condition=AuthItem.pk.does_not_exist())

    def take_flow(self, state: str) -> tuple[dict[str, Any], int] | None:
        """The flow's data, removed so a ``state`` works once; None if unknown or already taken."""
        try:
            item = AuthItem.get(f"EID#{state}", _ONE, consistent_read=True)
            item.delete(condition=AuthItem.pk.exists())
        except DoesNotExist:
            return None
        except DeleteError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return item.data.as_dict(), int(item.expires_at)
