"""Staff accounts on DynamoDB."""

from __future__ import annotations

from chalicelib.adapters.dynamo.models import StaffItem
from chalicelib.auth.principal import Role
from chalicelib.domain.catalogue import OfficeId
from chalicelib.services.ports import StaffAccount


class DynamoStaffDirectory:
    def get(self, username: str) -> StaffAccount | None:
        try:
            item = StaffItem.get(username, consistent_read=True)
        except StaffItem.DoesNotExist:
            return None
        return StaffAccount(
            username=item.username,
            name=item.name,
            email=item.email,
            roles=frozenset(Role(r) for r in item.roles or []),
            office=OfficeId(item.office) if item.office else None,
            enabled=bool(item.enabled),
            password_hash=item.password_hash,
        )

    def set_enabled(self, username: str, enabled: bool) -> None:
        StaffItem(username).update(actions=[StaffItem.enabled.set(enabled)], condition=StaffItem.username.exists())
