"""Staff accounts on DynamoDB."""

from __future__ import annotations

from datetime import date
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.adapters.dynamo.errors import condition_failed
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

    def schedule_of(self, username: str) -> dict[str, Any] | None:
        """{username, roles, office, enabled, schedule: {office → ISO weekday → intervals}, exceptions, version} of a
        member of staff, or None. A schedule never written through the admin API is at version 1."""
        try:
            item = self._model.get(username, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        return {
            "username": item.username,
            "roles": list(item.roles or []),
            "office": item.office or None,
            "enabled": bool(item.enabled),
            "schedule": item.schedule.as_dict() if item.schedule else {},
            "exceptions": [dict(e) for e in (item.exceptions or [])],
            "version": int(item.schedule_version or 1),
        }

    def put_schedule(
        self, username: str, version: int, schedule: dict[str, Any] | None, exceptions: list[dict[str, Any]] | None
    ) -> bool:
        """Write the weekly schedule and/or the exceptions as version ``version + 1``; False when the stored version is
        no longer ``version`` (another administrator wrote meanwhile)."""
        m = self._model
        stored = m.schedule_version == version
        condition = m.username.exists() & ((m.schedule_version.does_not_exist() | stored) if version == 1 else stored)
        actions: list[Any] = [m.schedule_version.set(version + 1)]
        if schedule is not None:
            actions.append(m.schedule.set(schedule))
        if exceptions is not None:
            actions.append(m.exceptions.set(exceptions))
        try:
            m(username).update(actions=actions, condition=condition)
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

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
