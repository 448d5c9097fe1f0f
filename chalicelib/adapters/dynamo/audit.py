"""The audit port on DynamoDB: append-only (a conditional put never overwrites), partitioned by council day."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from pynamodb.exceptions import PutError

from chalicelib.adapters.dynamo.errors import condition_failed, unavailable
from chalicelib.adapters.dynamo.models import AuditItem
from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext, pseudonymise
from chalicelib.domain.errors import Conflict, DependencyUnavailable


class DynamoAuditLog:
    """``pseudonym`` turns a citizen's ID number into its keyed hash: no ID number is ever stored in the trail."""

    def __init__(self, model: type[AuditItem], pseudonym: Callable[[str], str], zone: tzinfo) -> None:
        self._model = model
        self._pseudonym = pseudonym
        self._zone = zone  # the council's: its calendar days partition the trail

    def record(self, event: AuditEvent) -> None:
        event = pseudonymise(event, self._pseudonym)
        at = event.at.astimezone(UTC).isoformat()  # one offset: sort keys order by time
        item = self._model(
            event.day_in(self._zone),
            f"{at}#{event.id}",
            event_id=event.id,
            at=at,
            actor=event.actor.id,
            role=event.actor.role,
            action=event.action,
            subject=event.subject,
            outcome=event.outcome.value,
            request_id=event.context.request_id,
            source_ip=event.context.source_ip,
            purpose=event.purpose,
            details=dict(event.details),
            data_subject=event.data_subject,
        )
        # Append-only: an existing event is never replaced, even by a retry with the same id.
        try:
            item.save(condition=self._model.sk.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                raise Conflict("audit_event_exists", "An audit event is never overwritten.") from None
            raise DependencyUnavailable("The audit trail could not be written.") from exc

    def events_of_day(self, day: str) -> list[AuditEvent]:
        return [_event(item) for item in self._model.query(day)]

    # --- reading the trail (delivery, auditors, citizens) ------------------------------------------------------------
    def delivered_after(self, day: str, after: str, until: str, limit: int) -> list[tuple[str, AuditEvent]]:
        """Events of one council day with ``after < sort key < until``, oldest first (``until`` is a UTC time)."""
        m = self._model
        with unavailable("The audit events could not be read."):
            items = m.query(day, m.sk.between(after + "\x00", until), consistent_read=True, limit=limit)
            return [(item.sk, _event(item)) for item in items]

    def search(self, query: EventQuery, limit: int) -> tuple[list[AuditEvent], str | None]:
        """Events in ``[start, end)`` matching every given filter, newest first, ``limit`` per page; the cursor
        is the sort key (time#id) of the last event returned."""
        with unavailable("The audit events could not be read."):
            return _search(self._model, query, limit)


@dataclass(frozen=True)
class EventQuery:
    start: datetime
    end: datetime
    days: tuple[str, ...]  # council days the period touches, oldest first
    actor: str | None = None
    subject: str | None = None
    data_subject: str | None = None
    action: str | None = None
    before: str | None = None  # cursor: only events whose time#id sorts before it


def _matches(item: AuditItem, query: EventQuery, low: str, high: str) -> bool:
    return (
        low <= item.at < high
        and (query.actor is None or item.actor == query.actor)
        and (query.subject is None or item.subject == query.subject)
        and (query.data_subject is None or item.data_subject == query.data_subject)
        and (query.action is None or item.action == query.action)
        and (query.before is None or item.sk < query.before)
    )


def _search(m: type[AuditItem], query: EventQuery, limit: int) -> tuple[list[AuditEvent], str | None]:
    low = query.start.astimezone(UTC).isoformat()
    high = query.end.astimezone(UTC).isoformat()
    if query.before is not None:
        high = min(high, query.before.split("#", 1)[0] + "\x00")
    found: list[AuditItem] = []
    if query.actor or query.subject or query.data_subject:
        # One person or object: its index, newest first; the other filters apply to what it returns.
        if query.data_subject:
            pages = m.by_data_subject.query(query.data_subject, m.at.between(low, high), scan_index_forward=False)
        elif query.actor:
            pages = m.by_actor.query(query.actor, m.at.between(low, high), scan_index_forward=False)
        else:
            pages = m.by_subject.query(str(query.subject), m.at.between(low, high), scan_index_forward=False)
        for item in pages:
            if _matches(item, query, low, high):
                found.append(item)
                if len(found) > limit * 2:
                    break
    else:
        for day in reversed(query.days):
            for item in m.query(day, m.sk < high, scan_index_forward=False):
                if item.at < low:
                    break
                if _matches(item, query, low, high):
                    found.append(item)
                    if len(found) > limit:
                        break
            if len(found) > limit:
                break
    found.sort(key=lambda item: item.sk, reverse=True)
    page = found[:limit]
    more = len(found) > limit
    return [_event(item) for item in page], (page[-1].sk if more and page else None)


def council_days(start: datetime, end: datetime, zone: str) -> tuple[str, ...]:
    """The council days ``[start, end)`` touches (the trail's partitions), oldest first."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    days = []
    while first <= last:
        days.append(first.isoformat())
        first += timedelta(days=1)
    return tuple(days)


def _event(item: AuditItem) -> AuditEvent:
    return AuditEvent(
        actor=Actor(item.actor, item.role),
        action=item.action,
        subject=item.subject,
        outcome=Outcome(item.outcome),
        context=RequestContext(item.request_id, item.source_ip),
        purpose=item.purpose,
        details={str(k): str(v) for k, v in item.details.as_dict().items()},
        data_subject=item.data_subject,
        at=datetime.fromisoformat(item.at),
        id=item.event_id,
    )
