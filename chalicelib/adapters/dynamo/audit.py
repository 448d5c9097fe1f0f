"""The audit port on DynamoDB: append-only (a conditional put never overwrites), partitioned by council day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pynamodb.exceptions import PutError

from chalicelib.adapters.dynamo.models import AuditItem
from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext, pseudonymise
from chalicelib.domain.errors import Conflict, DependencyUnavailable


class DynamoAuditLog:
    """``pseudonym`` turns a citizen's ID number into its keyed hash: no ID number is ever stored in the trail."""

    def __init__(self, pseudonym: Callable[[str], str]) -> None:
        self._pseudonym = pseudonym

    def record(self, event: AuditEvent) -> None:
        event = pseudonymise(event, self._pseudonym)
        at = event.at.isoformat()
        item = AuditItem(
            event.day,
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
            item.save(condition=AuditItem.sk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict("audit_event_exists", "An audit event is never overwritten.") from None
            raise DependencyUnavailable("The audit trail could not be written.") from exc

    def events_of_day(self, day: str) -> list[AuditEvent]:
        return [_event(item) for item in AuditItem.query(day)]


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
