"""Staff accounts on DynamoDB."""

from __future__ import annotations

from datetime import date

from chalicelib.adapters.dynamo.models import StaffItem
from chalicelib.auth.principal import Role
from chalicelib.domain.catalogue import OfficeId
from chalicelib.domain.scheduling import AgentSchedule, ScheduleException, parse_intervals
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


def agents_of(office: OfficeId) -> tuple[AgentSchedule, ...]:
    """The office's agents with their weekly schedule there and its exceptions (leave, extra hours)."""
    agents = []
    for item in StaffItem.by_office.query(office.value):
        if not item.enabled or "agent" not in (item.roles or []):
            continue
        weekly = (item.schedule.as_dict() or {}).get(office.value, {})
        exceptions = tuple(
            ScheduleException(date.fromisoformat(e["date"]), str(e["kind"]), parse_intervals(e.get("intervals") or []))
            for e in (item.exceptions or [])
            if e.get("office", office.value) == office.value
        )
        agents.append(
            AgentSchedule(
                item.username,
                office,
                {int(day): parse_intervals(spans) for day, spans in weekly.items()},
                exceptions,
            )
        )
    return tuple(agents)
