"""The records trail: audit events delivered as log files, sealed in a signed digest chain, searched and verified.

- ``run`` (scheduled; every few seconds locally, every minute in production) delivers the events older than the
  settle delay as gzip JSON log files to the audit bucket (Object Lock COMPLIANCE, SSE-KMS) and, once per digest
  period, writes a digest listing the log files delivered since the last one, chained to it and signed with the
  trail's KMS key — even when there was nothing to list.
- Auditors search, export and verify (each of those is itself audited); the verifier needs only the public key.
- Citizens read who touched their data (events whose data subject is their pseudonym, by anyone but themselves).

Recordings and documents are in the chain through the events that stored them (``recording.complete`` carries the
manifest's key and SHA-256, ``document.issue`` the PDF's SHA-256), so one chain covers every kind of record.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chalicelib.adapters.dynamo.audit import EventQuery, council_days
from chalicelib.adapters.dynamo.trail import Cursor, Head
from chalicelib.auth.policy import Action, Resource, ResourceKind, require
from chalicelib.auth.principal import Principal, Role
from chalicelib.domain import trail
from chalicelib.domain.audit import CITIZEN_PREFIX, AuditEvent, Outcome, RequestContext
from chalicelib.domain.bounds import MAX_TEXT, parse_period, text
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.identifiers import id_number
from chalicelib.services.commands import Parsed, VerifyPeriod
from chalicelib.services.ports import AuditLog, EventStore, Signer, TrailObjects, TrailState

PAGE_SIZE = 100
EXPORT_LIMIT = 20_000
# Auditors only; to anyone else the trail is answered as if it did not exist (the policy hides it).
_TRAIL = Resource(ResourceKind.AUDIT_TRAIL)


@dataclass(frozen=True)
class TrailSettings:
    bucket: str
    stage: str
    settle: timedelta
    period: timedelta
    retention: timedelta
    zone: ZoneInfo  # the council's (settings.timezone): its days partition the trail
    log_prefix: str = "logs/"
    digest_prefix: str = "digests/"
    events_per_file: int = 1000
    files_per_run: int = 50
    files_per_digest: int = 1000


@dataclass(frozen=True)
class RunReport:
    log_files: int
    digest: str | None


class TrailService:
    def __init__(
        self,
        events: EventStore,
        state: TrailState,
        objects: TrailObjects,
        signer: Signer,
        audit: AuditLog,
        pseudonym: Callable[[str], str],
        settings: TrailSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._events = events
        self._state = state
        self._objects = objects
        self._signer = signer
        self._audit = audit
        self._pseudonym = pseudonym
        self._settings = settings
        self._clock = clock

    # --- delivery ----------------------------------------------------------------------------------------------------
    def run(self) -> RunReport:
        """One scheduled step: deliver what has settled, then seal a digest if its period is over."""
        files = self.deliver()
        return RunReport(files, self.seal_digest())

    def deliver(self) -> int:
        """Write the settled events as log files; returns how many files were written."""
        s = self._settings
        now = self._clock()
        cursor = self._state.cursor()
        if cursor is None:
            # A new trail takes in the events since the start of the day before (the seed, a migration); its first
            # digest covers that whole span.
            first = now.astimezone(s.zone).date() - timedelta(days=1)
            genesis = datetime.combine(first, time(), s.zone)
            cursor = Cursor(first.isoformat(), "", 0, trail.format_time(genesis), 0)
            if not self._state.start(cursor):
                cursor = self._state.cursor()
                if cursor is None:
                    return 0
        until = (now - s.settle).astimezone(UTC)
        until_key = until.isoformat()
        last_day = until.astimezone(s.zone).date().isoformat()
        written = 0
        while written < s.files_per_run:
            batch, day, sk = self._collect(cursor, until_key, last_day)
            if not batch:
                if cursor.day < last_day:  # nothing left in older partitions: stop reading them
                    moved = replace(cursor, day=last_day, sk="", version=cursor.version + 1)
                    if self._state.advance(cursor, moved, None, 0):
                        cursor = moved
                break
            records = [_record(event) for event in batch]
            body = trail.log_file(records)
            newest = max(e.at for e in batch).astimezone(UTC)
            name = f"{s.stage}_{newest:%Y%m%dT%H%M%SZ}_{trail.sha256_hex(body)[:16]}.json.gz"
            key = f"{s.log_prefix}{newest:%Y/%m/%d}/{name}"
            ref = trail.LogFileRef.of(s.bucket, key, body)
            self._objects.put(s.bucket, key, body, now + s.retention)
            advanced = Cursor(day, sk, cursor.seq + 1, cursor.started_at, cursor.version + 1)
            if not self._state.advance(cursor, advanced, ref, len(batch)):
                break  # another run delivered these first; our file stays unreferenced
            cursor = advanced
            written += 1
            if len(batch) < s.events_per_file:
                break
        return written

    def _collect(self, cursor: Cursor, until_key: str, last_day: str) -> tuple[list[AuditEvent], str, str]:
        """Up to a file's worth of settled events after the cursor, oldest first, and where the cursor goes next."""
        limit = self._settings.events_per_file
        batch: list[AuditEvent] = []
        day, after = cursor.day, cursor.sk
        position = (cursor.day, cursor.sk)
        while day <= last_day and len(batch) < limit:
            found = self._events.delivered_after(day, after, until_key, limit - len(batch))
            for sk, event in found:
                batch.append(event)
                position = (day, sk)
            if len(batch) >= limit:
                break
            day = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
            after = ""
        return batch, position[0], position[1]

    def seal_digest(self, force: bool = False) -> str | None:
        """The next digest of the chain, if its period is over (or ``force``); its key, or None."""
        s = self._settings
        now = self._clock().astimezone(UTC).replace(microsecond=0)
        cursor = self._state.cursor()
        if cursor is None:
            return None
        head = self._state.head()
        start = trail.parse_time(head.end if head else cursor.started_at)
        if now <= start or (now - start < s.period and not force):
            return None
        files = self._state.log_files(head.files_through if head else 0, s.files_per_digest)
        key = trail.digest_key(s.digest_prefix, now)
        keys = self._signer.public_keys()
        fingerprint = trail.public_key_fingerprint(next(iter(keys.values()))) if keys else None
        document = trail.digest(
            start,
            now,
            s.bucket,
            key,
            [ref for _, ref in files],
            head.digest if head else None,
            public_key_fingerprint=fingerprint,
        )
        sealed = trail.seal(document, self._signer.sign)
        self._objects.put(s.bucket, key, sealed.body, now + s.retention, sealed.metadata)
        through = files[-1][0] if files else (head.files_through if head else 0)
        moved = self._state.move_head(
            head, Head(sealed.ref, trail.format_time(now), through, (head.version if head else 0) + 1)
        )
        return key if moved else None

    # --- auditors --------------------------------------------------------------------------------------------------
    def search(self, caller: Principal, params: Mapping[str, str], context: RequestContext) -> dict[str, Any]:
        require(caller, Action.VIEW_AUDIT, _TRAIL)
        query = self._query(params)
        before = _decode_cursor(params.get("cursor"))
        events, last = self._events.search(replace(query, before=before), PAGE_SIZE)
        self._audited(caller, "audit.search", query, context)
        return {"items": [_event_json(e) for e in events], "next": _encode_cursor(last)}

    def export(self, caller: Principal, params: Mapping[str, str], context: RequestContext) -> tuple[str, str]:
        """The period's events as JSON lines, oldest first, and a file name."""
        require(caller, Action.VIEW_AUDIT, _TRAIL)
        query = self._query(params)
        events: list[AuditEvent] = []
        cursor: str | None = None
        while True:
            page, cursor = self._events.search(replace(query, before=cursor), 1000)
            events.extend(page)
            if len(events) > EXPORT_LIMIT:
                raise ValidationFailed([FieldError("to", "export_too_long", limit=EXPORT_LIMIT)])
            if cursor is None:
                break
        self._audited(caller, "audit.export", query, context, {"events": str(len(events))})
        lines = "".join(json.dumps(_event_json(e), ensure_ascii=False) + "\n" for e in reversed(events))
        name = f"audit-{query.days[0]}-{query.days[-1]}.ndjson"
        return lines, name

    def verify(
        self, caller: Principal, request: Parsed[VerifyPeriod], context: RequestContext
    ) -> trail.PeriodVerification:
        """Verify the digest chain over the period asked (``Verifier``); audited with how it went."""
        require(caller, Action.VERIFY_AUDIT, _TRAIL)
        period = request.command()
        start, end = period.start, period.end
        result = self.verifier().verify(start, end)
        if result.digests == 0:  # nothing covers the period: as much a problem as a digest that went missing
            missing = trail.Problem(
                "digest_not_found", self._settings.bucket, self._settings.digest_prefix, "no digest"
            )
            result = replace(result, problems=(*result.problems, missing))
        self._audit.record(
            AuditEvent(
                actor=caller.actor,
                action="audit.verify",
                subject=f"trail:{trail.format_time(start)}/{trail.format_time(end)}",
                outcome=Outcome.SUCCESS if result.ok else Outcome.FAILURE,
                context=context,
                purpose="audit",
                details={"digests": str(result.digests), "problems": str(len(result.problems))},
            )
        )
        return trail.PeriodVerification(start, end, result, self._clock())

    def verifier(self) -> trail.Verifier:
        s = self._settings
        return trail.Verifier(
            get=self._objects.get,
            metadata=self._objects.metadata,
            list_keys=self._objects.list_keys,
            public_keys=list(self._signer.public_keys().values()),
            bucket=s.bucket,
            digest_prefix=s.digest_prefix,
            log_prefix=s.log_prefix,
        )

    def public_keys(self) -> list[dict[str, str]]:
        return [
            {
                "key_id": key_id,
                "fingerprint": trail.public_key_fingerprint(key),
                "algorithm": trail.SIGNATURE_ALGORITHM,
                "public_key_pem": key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode(),
            }
            for key_id, key in self._signer.public_keys().items()
        ]

    # --- citizens --------------------------------------------------------------------------------------------------
    def access_log(self, caller: Principal, params: Mapping[str, str]) -> dict[str, Any]:
        """Who touched the caller's data: by role, when and why; never the staff member's name.

        The policy asks for an eID sign-in: a one-time code proves only an address, and anyone can have one sent to
        their own address under someone else's ID number."""
        require(caller, Action.VIEW_ACCESS_LOG, Resource(ResourceKind.CITIZEN_DATA, owner=caller.subject))
        end = self._clock() + timedelta(seconds=1)
        start = end - timedelta(days=365 * 2)
        query = EventQuery(
            start=start,
            end=end,
            days=(),
            data_subject=self._pseudonym(caller.subject),
            before=_decode_cursor(params.get("cursor")),
        )
        items: list[dict[str, Any]] = []
        cursor = query.before
        while len(items) < PAGE_SIZE:
            events, cursor = self._events.search(replace(query, before=cursor), PAGE_SIZE)
            for event in events:
                if event.actor.role != Role.CITIZEN.value:
                    items.append(_access_json(event))
            if cursor is None:
                break
        return {"items": items, "next": _encode_cursor(cursor)}

    # --- helpers ---------------------------------------------------------------------------------------------------
    def _query(self, params: Mapping[str, str]) -> EventQuery:
        start, end = parse_period(params, self.today(), self._settings.zone)
        actor = _filter(params, "actor")
        subject = _filter(params, "subject")
        data_subject = None
        # An ID number, bare or as the trail names a citizen ("citizen:12345678Z"), is searched by its pseudonym, so
        # neither the query nor the audit event of the search holds it.
        if actor and (citizen := _as_id_number(actor.removeprefix(CITIZEN_PREFIX))):
            actor = f"{CITIZEN_PREFIX}{self._pseudonym(citizen)}"
        if subject and (citizen := _as_id_number(subject.removeprefix(CITIZEN_PREFIX))):
            subject, data_subject = None, self._pseudonym(citizen)
        action = _filter(params, "action")
        return EventQuery(
            start, end, council_days(start, end, self._settings.zone.key), actor, subject, data_subject, action
        )

    def today(self) -> date:
        """The council's day now: a period's bounds default to it."""
        return self._clock().astimezone(self._settings.zone).date()

    @property
    def zone(self) -> ZoneInfo:
        """The council's time zone: a period's days are its days."""
        return self._settings.zone

    def _audited(
        self,
        caller: Principal,
        action: str,
        query: EventQuery,
        context: RequestContext,
        details: dict[str, str] | None = None,
    ) -> None:
        filters = {
            k: v
            for k, v in (
                ("actor", query.actor),
                ("subject", query.subject),
                ("data_subject", query.data_subject),
                ("action", query.action),
            )
            if v
        }
        self._audit.record(
            AuditEvent(
                actor=caller.actor,
                action=action,
                subject=f"trail:{query.days[0]}/{query.days[-1]}",
                outcome=Outcome.SUCCESS,
                context=context,
                purpose="audit",
                details={**filters, **(details or {})},
            )
        )


def _filter(params: Mapping[str, str], name: str) -> str | None:
    raw = params.get(name)
    if raw is None or not str(raw).strip():
        return None
    return text(raw, name, high=MAX_TEXT["filter"], kind="filter")


def _as_id_number(value: str) -> str | None:
    try:
        return id_number(value)
    except ValidationFailed:
        return None


def _encode_cursor(sk: str | None) -> str | None:
    return base64.urlsafe_b64encode(sk.encode()).decode().rstrip("=") if sk else None


def _decode_cursor(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed([FieldError("cursor", "cursor")]) from None


def _time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _record(event: AuditEvent) -> dict[str, Any]:
    """One log file record, CloudTrail-shaped (the event as stored: citizens only by pseudonym)."""
    return {
        "eventVersion": "1.0",
        "eventID": event.id,
        "eventTime": _time(event.at),
        "eventSource": "videoatencion",
        "eventName": event.action,
        "userIdentity": {"type": event.actor.role, "principalId": event.actor.id},
        "subject": event.subject,
        "outcome": event.outcome.value,
        "purpose": event.purpose,
        "dataSubject": event.data_subject,
        "requestID": event.context.request_id,
        "sourceIPAddress": event.context.source_ip,
        "details": dict(event.details),
    }


def _event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor.id,
        "role": event.actor.role,
        "action": event.action,
        "subject": event.subject,
        "outcome": event.outcome.value,
        "purpose": event.purpose,
        "request_id": event.context.request_id,
        "source_ip": event.context.source_ip,
        "details": dict(event.details),
        "data_subject": event.data_subject,
    }


def _access_json(event: AuditEvent) -> dict[str, Any]:
    role = event.actor.role.split(",")
    shown = next((r for r in ("supervisor", "auditor", "agent", "admin") if r in role), role[0])
    return {
        "at": event.at.isoformat(),
        "role": shown,
        "action": event.action,
        "purpose": event.purpose,
        "office": event.details.get("office"),
    }
