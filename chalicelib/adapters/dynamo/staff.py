"""Staff accounts on DynamoDB."""

from __future__ import annotations

from datetime import date

from chalicelib.adapters.dynamo.models import StaffItem
from chalicelib.auth.principal import Role
from chalicelib.domain.catalogue import OfficeId, WeeklyHours
from chalicelib.domain.scheduling import AgentSchedule, ScheduleException, parse_intervals
from chalicelib.services.ports import StaffAccount


class DynamoStaffDirectory:
    def __init__(self, model: type[StaffItem]) -> None:
        self._model = model

    def get(self, username: str) -> StaffAccount | None:
        try:
            item = self._model.get(username, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        return StaffAccount(
            username=item.username,
            name=item.name,
            email=item.email,
            roles=frozenset(Role(r) for r in item.roles or []),
            office=item.office or None,
            enabled=bool(item.enabled),
            password_hash=item.password_hash,
        )

    def set_enabled(self, username: str, enabled: bool) -> None:
        m = self._model
        m(username).update(actions=[m.enabled.set(enabled)], condition=m.username.exists())

    def agents_of(self, office: OfficeId) -> tuple[AgentSchedule, ...]:
        """The office's agents with their weekly schedule there and its exceptions (leave, extra hours)."""
        return tuple(_schedule(item, office) for item in self._model.by_office.query(office) if _agent(item))


def _agent(item: StaffItem) -> bool:
    return bool(item.enabled) and "agent" in (item.roles or [])


def _schedule(item: StaffItem, office: OfficeId) -> AgentSchedule:
    weekly = WeeklyHours.parse((item.schedule.as_dict() or {}).get(office, {}), "weekly")
    exceptions = tuple(
        ScheduleException(date.fromisoformat(e["date"]), str(e["kind"]), parse_intervals(e.get("intervals") or []))
        for e in (item.exceptions or [])
        if e.get("office", office) == office
    )
    return AgentSchedule(
        item.username, office, {day: parse_intervals(spans) for day, spans in weekly.intervals.items()}, exceptions
    )
