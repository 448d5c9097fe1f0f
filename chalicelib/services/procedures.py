"""Procedure use cases: the agent's form for an appointment, carrying a procedure out, the citizen's consent, and
the instalment plan preview. Issuing, attaching, showing and verifying documents is ``services/documents.py``'s.

The core never names a procedure: it works from ``chalicelib.domain.procedures`` descriptions. Every read of a
citizen's register data is an audit event with its purpose.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from chalicelib.auth.policy import Action, ResourceKind, require
from chalicelib.auth.principal import Principal
from chalicelib.domain.appointments import Appointment
from chalicelib.domain.audit import RequestContext
from chalicelib.domain.bounds import Window, tax_window
from chalicelib.domain.calendar import HolidayCalendar
from chalicelib.domain.errors import (
    Conflict,
    FieldError,
    NotFound,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)
from chalicelib.domain.instalments import Plan, working_days
from chalicelib.domain.messages import consent_message
from chalicelib.domain.procedure_view import ProcedureView
from chalicelib.domain.procedures import REGISTRY
from chalicelib.domain.procedures.base import Context, Procedure
from chalicelib.services.booking import BookingService, looks_like_id
from chalicelib.services.commands import CodeEntry, InstalmentPreview, Parsed, RunProcedure
from chalicelib.services.documents import DocumentService, audited, resource_of_record
from chalicelib.services.ports import AuditLog, AuthStore, Message, Notifier, ProcedureStore, Registers
from chalicelib.services.records import RecordsService

# A procedure's record is written before its documents are issued ("issuing") and becomes "issued" after; a run
# that failed midway is "failed", and one still "issuing" after a few minutes was abandoned (a crashed function).
ISSUING, FAILED = "issuing", "failed"
ABANDONED_AFTER = timedelta(minutes=5)
PROCEDURE_TURNS = uuid.UUID("6f6b1d0e-3c1a-4f59-9a2e-5b7c0d3e1f21")  # namespace of procedure ids per turn
MAX_TURNS = 20
CONSENT_CODE_SECONDS = 10 * 60
CONSENT_ATTEMPTS = 5
CONSENT_WINDOW_SECONDS = 15 * 60  # the consent codes' rate-limit window (3 codes per procedure)


@dataclass(frozen=True)
class ConsentCodeSent:
    """A one-time code went to the citizen's contact: the challenge it answers, by which channel, for how long."""

    challenge_id: str
    channel: str
    expires_in: int


@dataclass(frozen=True)
class ProcedureSettings:
    council: str
    zone: tzinfo  # the council's: the days and times printed on its documents
    config: dict[str, Any] | None = None


class ProcedureService:
    def __init__(
        self,
        booking: BookingService,
        registers: Registers,
        store: ProcedureStore,
        documents: DocumentService,
        audit: AuditLog,
        auth_store: AuthStore,
        pepper: Callable[[], bytes],
        settings: ProcedureSettings,
        calendar: HolidayCalendar | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        notifier: Notifier | None = None,
        records: RecordsService | None = None,
    ) -> None:
        self._records = records
        self._notifier = notifier
        self._auth_store = auth_store  # the consent codes' challenges and their rate limit
        self._booking = booking
        self._registers = registers
        self._store = store
        self._documents = documents
        self._audit = audit
        self._pepper = pepper
        self._settings = settings
        self._calendar = calendar or HolidayCalendar.load()
        self._is_working_day = working_days(self._calendar)  # the instalment rules' own definition
        self._clock = clock

    # --- the agent's form ------------------------------------------------------------------------------------------
    def form(self, caller: Principal, appointment_id: str, language: str, context: RequestContext) -> dict[str, Any]:
        appointment = self._booking.get(caller, appointment_id, Action.RUN_PROCEDURE)
        procedure = self._procedure_of(appointment)
        ctx = self._context(caller, appointment, procedure, language, context)
        return {
            "type": procedure.type,
            "title": procedure.title(language),
            "needs_consent": procedure.needs_consent,
            "fields": [f.to_json(language) for f in procedure.fields(ctx)],
            # Whether issuing waits for an identity check in the call, and what proves the identity so far.
            "needs_identity_check": procedure.personal_data and appointment.identity is None,
            "identity": appointment.identity,
        }

    # --- carrying a procedure out ----------------------------------------------------------------------------------
    def run(
        self, caller: Principal, appointment_id: str, request: Parsed[RunProcedure], context: RequestContext
    ) -> ProcedureView:
        """Carry the appointment's procedure out once: its documents are issued once per appointment.

        A second run of the same procedure is refused (409 ``already_issued``, naming what was issued) unless it asks
        for a reissue with a reason, which is audited. Two runs racing are told apart by a conditional write of the
        procedure's record before any document exists: the loser issues nothing (409 ``request_in_progress`` while
        the winner works, ``already_issued`` after).
        """
        appointment = self._booking.get(caller, appointment_id, Action.RUN_PROCEDURE)
        command = request.command()
        kind, data, reissue, reason = command.kind, command.data, command.reissue, command.reason
        procedure = REGISTRY[kind]
        if self._procedure_of(appointment).type != kind:
            raise ValidationFailed([FieldError("type", "procedure_of_service")])
        if not appointment.is_active:
            raise Conflict("appointment_closed", "This appointment was cancelled or has already been closed.")
        identity = appointment.identity
        if procedure.personal_data and identity is None:
            raise Conflict(
                "identity_not_checked",
                "This document holds personal data and the person's identity was not checked: ask them to show their "
                "DNI, NIE or passport to the camera, compare the photo and the number, and record the check first.",
            )
        language = appointment.language
        ctx = self._context(caller, appointment, procedure, language, context)
        clean = procedure.validate(data, ctx)
        now = self._clock()
        record: dict[str, Any] = {
            "id": "",
            "appointment_id": appointment.id,
            "type": kind,
            "status": "awaiting_consent" if procedure.needs_consent else ISSUING,
            "data": clean,
            "summary": [{"label": label, "value": value} for label, value in procedure.summary(clean, ctx)],
            "title": procedure.title(language),
            "language": language,
            "owner": appointment.citizen,
            "owner_contact": appointment.citizen_contact,
            "office": appointment.office,
            "created_at": now.isoformat(),
            "created_by": f"{caller.kind}:{caller.subject}",
            "documents": [],
        }
        if identity is not None:
            record["identity"] = identity
        previous = self._claim(record, appointment.id, kind, bool(reissue))
        if not procedure.needs_consent:
            try:
                issued = self._documents.issue(procedure, clean, ctx, record, caller, context)
            except Exception:
                # Nothing is published until the record says issued: let a later run take the next turn.
                self._store.put_procedure({**record, "status": FAILED}, expected_status=ISSUING)
                raise
            record = {**record, "status": "issued", "documents": [d.id for d in issued]}
            if not self._store.put_procedure(record, expected_status=ISSUING):
                raise Conflict("request_in_progress", "This procedure is being carried out; reload it in a moment.")
        if self._records is not None:
            self._records.procedure_carried_out(appointment.id, kind)
        details = {"status": str(record["status"]), **({"identity": _identity_word(identity)} if identity else {})}
        self._record(caller, f"procedure.{kind}", record, context, details)
        if previous is not None:
            self._record(
                caller, "procedure.reissue", record, context, {"previous": str(previous["id"]), "reason": str(reason)}
            )
        return self._view(record)

    def _claim(self, record: dict[str, Any], appointment_id: str, kind: str, reissue: bool) -> dict[str, Any] | None:
        """Take this procedure's next turn in the appointment (a conditional write); the earlier turn on a reissue.

        Turns are numbered records (``uuid5`` of appointment, type and turn), read consistently; a failed or
        abandoned turn is skipped. Raises ``already_issued`` or ``request_in_progress`` when the turn is not free.
        """
        previous: dict[str, Any] | None = None
        for turn in range(MAX_TURNS):
            procedure_id = str(uuid.uuid5(PROCEDURE_TURNS, f"{appointment_id}/{kind}/{turn}"))
            found = self._store.get_procedure(procedure_id)
            if found is None:
                if previous is not None and not reissue:
                    raise _already_issued(self._view(previous))
                record["id"] = procedure_id
                if self._store.put_procedure(record):
                    return previous
                found = self._store.get_procedure(procedure_id)  # another request took this turn first
                if found is None or found.get("status") == FAILED:
                    continue
                if found.get("status") == ISSUING:
                    raise _in_progress()
                raise _already_issued(self._view(found))
            status = found.get("status")
            if status == ISSUING and not self._abandoned(found):
                raise _in_progress()
            if status in (ISSUING, FAILED):
                continue
            previous = found
        raise Conflict("too_many_reissues", "This document was issued too many times in this appointment.")

    def _abandoned(self, record: dict[str, Any]) -> bool:
        started = datetime.fromisoformat(str(record["created_at"]))
        return self._clock() - started > ABANDONED_AFTER

    # --- the citizen's consent (step-up one-time code) ------------------------------------------------------------
    def confirm(
        self, caller: Principal, procedure_id: str, code: Parsed[CodeEntry] | None, context: RequestContext
    ) -> ConsentCodeSent | ProcedureView:
        """Without a code: send one to the citizen's contact. With the code: record the consent and issue."""
        record = self._store.get_procedure(procedure_id) if looks_like_id(procedure_id) else None
        if record is None:
            raise NotFound("There is no such procedure.")
        require(caller, Action.CONFIRM, resource_of_record(ResourceKind.PROCEDURE, record))
        if record["status"] != "awaiting_consent":
            raise Conflict("not_awaiting_consent", "This procedure does not need your confirmation.")
        appointment = self._booking.get(caller, str(record["appointment_id"]))
        if code is None:
            return self._send_consent_code(record, appointment, context)
        self._check_consent_code(record, code.command(), context)
        procedure = REGISTRY[str(record["type"])]
        ctx = self._context(caller, appointment, procedure, str(record["language"]), context)
        now = self._clock()
        clean = {**record["data"], "consented_at": now.astimezone(self._settings.zone).strftime("%d/%m/%Y %H:%M")}
        documents = self._documents.issue(procedure, clean, ctx, record, caller, context)
        updated = {
            **record,
            "status": "issued",
            "documents": [d.id for d in documents],
            "consent": {"at": now.isoformat(), "by": f"{caller.kind}:{caller.subject}", "method": "one-time code"},
        }
        if not self._store.put_procedure(updated, expected_status="awaiting_consent"):
            raise Conflict("not_awaiting_consent", "This procedure was confirmed already.")
        self._record(caller, "procedure.consent", updated, context, {"method": "one-time code"})
        return self._view(updated, self._documents.opener(caller, appointment))

    def _send_consent_code(
        self, record: dict[str, Any], appointment: Appointment, context: RequestContext
    ) -> ConsentCodeSent:
        from chalicelib.auth import codes
        from chalicelib.auth.state import Challenge
        from chalicelib.domain.identifiers import Channel

        now = int(self._clock().timestamp())
        window = now - now % CONSENT_WINDOW_SECONDS
        if not self._auth_store.hit("consent-code", str(record["id"]), window, CONSENT_WINDOW_SECONDS, 3):
            raise RateLimited(window + CONSENT_WINDOW_SECONDS - now, detail="Too many codes: wait a few minutes.")
        to = appointment.contact.email or appointment.contact.phone
        if not to or self._notifier is None:
            raise Conflict("no_contact", "There is no address to send the confirmation code to.")
        channel = Channel.EMAIL if appointment.contact.email else Channel.SMS
        challenge_id, code = codes.new_id(), codes.new_code()
        self._auth_store.put_challenge(
            Challenge(
                id=challenge_id,
                purpose="consent",
                subject=str(record["id"]),
                digest=codes.code_digest(self._pepper(), challenge_id, code),
                contact=codes.contact_digest(self._pepper(), to),
                attempts=0,
                used=False,
                expires_at=now + CONSENT_CODE_SECONDS,
            )
        )
        text = consent_message(code, str(record.get("title", "")), CONSENT_CODE_SECONDS // 60, str(record["language"]))
        self._notifier.send(Message(channel.value, to, text, "procedure-consent", subject=str(record.get("title", ""))))
        return ConsentCodeSent(challenge_id, channel.value, CONSENT_CODE_SECONDS)

    def _check_consent_code(self, record: dict[str, Any], typed: CodeEntry, context: RequestContext) -> None:
        from chalicelib.auth import codes

        challenge_id, code = typed.challenge_id, typed.code
        challenge = self._auth_store.get_challenge(challenge_id)
        now = int(self._clock().timestamp())
        if (
            challenge is None
            or challenge.purpose != "consent"
            or challenge.subject != record["id"]
            or challenge.used
            or challenge.expires_at <= now
        ):
            raise Unauthenticated("code_expired", "This code is no longer valid: ask for a new one.")
        if self._auth_store.record_attempt(challenge.id, CONSENT_ATTEMPTS) is None:
            raise RateLimited(CONSENT_WINDOW_SECONDS, "too_many_attempts", "Too many wrong codes: ask for a new code.")
        if not codes.matches(self._pepper(), challenge.id, code, challenge.digest):
            raise Unauthenticated("invalid_code", "The code is not right.")
        if not self._auth_store.consume(challenge.id):
            raise Unauthenticated("code_expired", "This code is no longer valid: ask for a new one.")

    # --- instalment plan preview ------------------------------------------------------------------------------------
    def preview_window(self) -> Window:
        """The days an instalment preview's dates may be in (the tax window from today)."""
        return tax_window(self._clock().astimezone(self._settings.zone).date())

    def preview_instalments(self, preview: InstalmentPreview) -> Plan:
        from chalicelib.domain.instalments import InstalmentRules, plan

        return plan(preview, InstalmentRules.current(), self._is_working_day)

    # --- reading ---------------------------------------------------------------------------------------------------
    def of_appointment(self, caller: Principal, appointment_id: str) -> list[ProcedureView]:
        appointment = self._booking.get(caller, appointment_id)
        records = sorted(self._store.procedures_of(appointment.id), key=lambda r: str(r.get("created_at")))
        opens = self._documents.opener(caller, appointment)
        return [self._view(r, opens) for r in records if r.get("status") not in (ISSUING, FAILED)]

    def get(self, caller: Principal, procedure_id: str) -> ProcedureView:
        record = self._store.get_procedure(procedure_id) if looks_like_id(procedure_id) else None
        if record is None or record.get("status") in (ISSUING, FAILED):
            raise NotFound("There is no such procedure.")
        require(caller, Action.VIEW, resource_of_record(ResourceKind.PROCEDURE, record))
        opens = self._documents.opener(caller, self._booking.lookup(str(record["appointment_id"])))
        return self._view(record, opens)

    # --- helpers ---------------------------------------------------------------------------------------------------
    def _procedure_of(self, appointment: Appointment) -> Procedure:
        procedure = self._booking.catalogue.procedure_of(appointment.service_id)
        if procedure is None:
            raise Conflict("no_procedure", "This appointment's service has no procedure to carry out.")
        return procedure

    def _context(
        self, caller: Principal, appointment: Appointment, procedure: Procedure, language: str, context: RequestContext
    ) -> Context:
        person = self._registers.person(appointment.citizen)
        household = tuple(self._registers.household(person["household_id"])) if person else ()
        ledger = tuple(self._registers.ledger(appointment.citizen))
        audited(
            self._audit,
            caller,
            "register.read",
            f"citizen:{appointment.citizen}",
            context,
            procedure.purpose,
            {"appointment": appointment.id, "registers": "padron,tax-ledger"},
            appointment.citizen,
        )
        return Context(
            appointment=appointment,
            language=language,
            now=self._clock(),
            person=person,
            household=household,
            ledger=ledger,
            council=self._settings.council,
            office_name=self._booking.catalogue.office(appointment.office).name.in_language(language),
            is_working_day=self._is_working_day,
            config=dict(self._settings.config or {}),
            attachments=tuple(
                d for d in self._store.documents_of_appointment(appointment.id) if d.get("kind") == "attachment"
            ),
        )

    def _view(self, record: dict[str, Any], opens: Callable[[dict[str, Any]], bool] | None = None) -> ProcedureView:
        """A procedure; ``opens`` leaves out the documents the caller may not open (their CSV would open them)."""
        found = [self._store.get_document(str(i)) for i in record.get("documents", [])]
        return ProcedureView.of(record, [d for d in found if d and (opens is None or opens(d))])

    def _record(
        self, caller: Principal, action: str, record: dict[str, Any], context: RequestContext, details: dict[str, str]
    ) -> None:
        audited(
            self._audit,
            caller,
            action,
            f"procedure:{record['id']}",
            context,
            "procedure",
            {"appointment": record["appointment_id"], **details},
            str(record["owner"]),
        )


def _already_issued(existing: ProcedureView) -> Conflict:
    return Conflict(
        "already_issued",
        "This procedure was already carried out in this appointment: its documents are listed here. To issue them "
        "again, say why (reissue with a reason).",
        procedure_id=existing.id,
        documents=[asdict(document) for document in existing.documents],
    )


def _in_progress() -> Conflict:
    return Conflict("request_in_progress", "This procedure is being carried out right now; reload it in a moment.")


def _identity_word(identity: dict[str, str]) -> str:
    return identity.get("method") or f"eid {identity.get('level')}"
