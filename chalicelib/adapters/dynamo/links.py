"""One-tap links on DynamoDB: rows of the sign-in table, ``LINK#<keyed hash of the token>`` / ``-``.

The table's time to live removes a link after its ``expires_at`` (late: readers check it themselves). A single-use
link is claimed by one conditional write before it acts and released if the action fails, so two taps at once act
once.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.adapters.dynamo.auth_store import use_once
from chalicelib.adapters.dynamo.errors import condition_failed
from chalicelib.adapters.dynamo.models import AuthItem
from chalicelib.services.links import StoredLink

_ONE = "-"


class DynamoLinkStore:
    def __init__(self, model: type[AuthItem]) -> None:
        self._model = model

    def put(self, digest: str, link: StoredLink) -> None:
        m = self._model
        m(
            f"LINK#{digest}",
            _ONE,
            expires_at=link.expires_at,
            data={"appointment_id": link.appointment_id, "action": link.action},
        ).save(condition=m.pk.does_not_exist())

    def get(self, digest: str) -> StoredLink | None:
        try:
            item = self._model.get(f"LINK#{digest}", _ONE, consistent_read=True)
        except DoesNotExist:
            return None
        data = item.data.as_dict()
        return StoredLink(str(data["appointment_id"]), str(data["action"]), int(item.expires_at), bool(item.used))

    def claim(self, digest: str) -> bool:
        """Mark the link used; False when another request already did (a single-use link acts once)."""
        return use_once(self._model, f"LINK#{digest}", _ONE)

    def release(self, digest: str) -> None:
        """Give a claimed link back: its action failed (the slot was taken, the call is not open), nothing happened."""
        m = self._model
        try:
            m(f"LINK#{digest}", _ONE).update(actions=[m.used.set(False)], condition=m.pk.exists())
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
