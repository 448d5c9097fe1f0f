"""Staff accounts on DynamoDB."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamo.errors import condition_failed, unavailable
from chalicelib.adapters.dynamo.models import (
    STAFF_COUNTER_KEY,
    AuthItem,
    StaffCounterItem,
    StaffItem,
    connection_of,
)
from chalicelib.auth.principal import Role
from chalicelib.domain.catalogue import OfficeId, WeeklyHours
from chalicelib.domain.errors import Conflict, DependencyUnavailable, version_conflict
from chalicelib.domain.scheduling import AgentSchedule, ScheduleException, parse_intervals
from chalicelib.services.ports import StaffAccount, StaffLink, StaffRecord


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
            session_epoch=int(item.session_epoch or 0),
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


_ONE = "-"
# What each write of a transaction answers when its condition fails (the stale version's is the one shared answer).
Refusal = Callable[[], Conflict]


def _last_admin() -> Conflict:
    return Conflict("last_admin", "This would leave no enabled administrator.")


def _already_exists() -> Conflict:
    return Conflict("already_exists", "There is already a member of staff with this user name.")


class DynamoStaffAdmin:
    """The staff table as administrators change it (``StaffAdminStore``); single-use links are found by their
    token's keyed hash through an item of the sign-in table (``STAFFLINK#<digest>``, removed by its time to live)."""

    def __init__(self, model: type[StaffItem], counter: type[StaffCounterItem], links: type[AuthItem]) -> None:
        self._model = model
        self._counter = counter
        self._links = links

    # --- reading --------------------------------------------------------------------------------------------------
    def records(self, office: str | None) -> list[StaffRecord]:
        m = self._model
        with unavailable("The staff list could not be read."):
            items = list(m.by_office.query(office)) if office is not None else list(m.scan(consistent_read=True))
        return sorted((_record(i) for i in items if not i.username.startswith("#")), key=lambda r: r.username)

    def record(self, username: str) -> StaffRecord | None:
        try:
            return _record(self._model.get(username, consistent_read=True))
        except DoesNotExist:
            return None

    # --- writing --------------------------------------------------------------------------------------------------
    def create(self, record: StaffRecord, link: StaffLink) -> None:
        m = self._model
        item = m(
            record.username,
            name=record.name,
            email=record.email,
            roles=list(record.roles),
            office=record.office,
            enabled=record.enabled,
            version=record.version,
            session_epoch=0,
            token_digest=link.digest,
            token_purpose=link.purpose,
            token_expires=link.expires_at,
        )
        writes: list[tuple[Any, Refusal]] = [
            (lambda t: t.save(item, condition=m.username.does_not_exist()), _already_exists),
            (lambda t: t.save(self._link_item(record.username, link)), _already_exists),
        ]
        if record.enabled_admin:
            writes.append(self._count(+1))
        self._transact(writes)

    def update(self, before: StaffRecord, after: StaffRecord, end_sessions: bool) -> None:
        m = self._model
        actions: list[Action] = [
            m.name.set(after.name),
            m.email.set(after.email),
            m.roles.set(list(after.roles)),
            m.enabled.set(after.enabled),
            m.version.set(before.version + 1),
            m.office.set(after.office) if after.office is not None else m.office.remove(),
        ]
        if end_sessions:
            actions.append(m.session_epoch.add(1))
        condition = m.username.exists() & _version_is(m, before.version)
        writes: list[tuple[Any, Refusal]] = [
            (lambda t: t.update(m(before.username), actions=actions, condition=condition), version_conflict)
        ]
        if before.enabled_admin != after.enabled_admin:
            writes.append(self._count(+1 if after.enabled_admin else -1))
        self._transact(writes)

    def set_link(self, username: str, link: StaffLink) -> None:
        m = self._model
        actions = [
            m.token_digest.set(link.digest),
            m.token_purpose.set(link.purpose),
            m.token_expires.set(link.expires_at),
        ]
        self._transact(
            [
                (lambda t: t.update(m(username), actions=actions, condition=m.username.exists()), version_conflict),
                (lambda t: t.save(self._link_item(username, link)), version_conflict),
            ]
        )

    def link_of(self, digest: str, now: int) -> tuple[str, str] | None:
        try:
            data = self._links.get(f"STAFFLINK#{digest}", _ONE, consistent_read=True).data.as_dict()
            item = self._model.get(str(data["username"]), consistent_read=True)
        except DoesNotExist:
            return None
        if item.token_digest != digest or int(item.token_expires or 0) <= now:
            return None
        return item.username, str(data["purpose"])

    def use_link(self, digest: str, password_hash: str, now: int) -> tuple[str, str] | None:
        try:
            found = self._links.get(f"STAFFLINK#{digest}", _ONE, consistent_read=True)
        except DoesNotExist:
            return None
        data = found.data.as_dict()
        username, purpose = str(data["username"]), str(data["purpose"])
        m = self._model
        try:
            m(username).update(
                actions=[
                    m.password_hash.set(password_hash),
                    m.session_epoch.add(1),
                    m.token_digest.remove(),
                    m.token_purpose.remove(),
                    m.token_expires.remove(),
                ],
                condition=m.username.exists() & (m.token_digest == digest) & (m.token_expires > now),
            )
        except UpdateError as exc:
            if condition_failed(exc):
                return None
            raise
        found.delete()
        return username, purpose

    # --- the count of enabled administrators ------------------------------------------------------------------
    def _count(self, delta: int) -> tuple[Any, Refusal]:
        """The counter's change in a transaction: a decrease only while another enabled administrator stays."""
        self._ensure_counter()
        c = self._counter
        condition = (c.admins > 1) if delta < 0 else c.username.exists()
        actions = [c.admins.add(delta)]
        return (lambda t: t.update(c(STAFF_COUNTER_KEY), actions=actions, condition=condition), _last_admin)

    def _ensure_counter(self) -> None:
        """Count the enabled administrators once, when no write has kept the count yet (the table was seeded)."""
        c = self._counter
        try:
            c.get(STAFF_COUNTER_KEY, consistent_read=True)
            return
        except DoesNotExist:
            pass
        admins = sum(
            1
            for item in self._model.scan(consistent_read=True)
            if not item.username.startswith("#") and item.enabled and "admin" in (item.roles or [])
        )
        try:
            c(STAFF_COUNTER_KEY, admins=admins).save(condition=c.username.does_not_exist())
        except PutError as exc:
            if not condition_failed(exc):
                raise

    def _link_item(self, username: str, link: StaffLink) -> AuthItem:
        return self._links(
            f"STAFFLINK#{link.digest}",
            _ONE,
            expires_at=link.expires_at,
            data={"username": username, "purpose": link.purpose},
        )

    def _transact(self, writes: list[tuple[Any, Refusal]]) -> None:
        """One all-or-nothing write; a failed condition becomes the Conflict its write names."""
        try:
            with TransactWrite(connection=connection_of(self._model)) as transaction:
                for write, _ in writes:
                    write(transaction)
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise DependencyUnavailable("The change could not be saved; nothing was changed.") from exc
            reasons = exc.cancellation_reasons or []
            for (_, refusal), reason in zip(writes, reasons, strict=False):
                if reason is not None and reason.code == "ConditionalCheckFailed":
                    raise refusal() from None
            raise version_conflict() from None  # cancelled by another transaction on the same items


def _version_is(m: type[StaffItem], version: int) -> Condition:
    same = m.version == version
    return (same | m.version.does_not_exist()) if version == 1 else same


def _record(item: StaffItem) -> StaffRecord:
    return StaffRecord(
        username=item.username,
        name=item.name,
        email=item.email,
        roles=tuple(sorted(item.roles or [])),
        office=item.office,
        enabled=bool(item.enabled),
        activated=item.password_hash is not None,
        version=int(item.version or 1),
        schedule=item.schedule.as_dict() if item.schedule else {},
        exceptions=tuple(_plain(e) for e in (item.exceptions or [])),
        schedule_version=int(item.schedule_version or 1),
    )


def _plain(value: Any) -> dict[str, Any]:
    return dict(value.as_dict() if hasattr(value, "as_dict") else value)
