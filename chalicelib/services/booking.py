"""Booking use cases: slots, book, reschedule, cancel, outcome, agenda, calendar files and reminders."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from chalicelib.auth.policy import Action, Resource, ResourceKind, require
from chalicelib.auth.principal import Principal
from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext
from chalicelib.domain.bounds import Window, agenda_window, booking_window
from chalicelib.domain.calendar import HolidayCalendar
from chalicelib.domain.calls import window
from chalicelib.domain.catalogue import Assurance, OfficeId, Service
from chalicelib.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.domain.ics import appointment_ics
from chalicelib.domain.identity_check import CheckMethod, IdentityCheck
from chalicelib.domain.messages import appointment_message, appointment_sms
from chalicelib.domain.scheduling import AgentSchedule, Availability, Slot
from chalicelib.domain.waitlist import RoundClaim
from chalicelib.observability import logger
from chalicelib.services.catalogue import CatalogueService
from chalicelib.services.commands import BookRequest, Parsed, RecordOutcome, Reschedule
from chalicelib.services.ports import Attachment, AuditLog, BookingStore, Message, Notifier

MAX_RANGE_DAYS = 62
REMINDERS = (("1h", timedelta(hours=1)), ("24h", timedelta(hours=24)))
# The pre-flight check's reminder: sent once, between 48 and 24 hours before (not later: the day-before reminder
# and the check's own page cover that).
PREFLIGHT = ("preflight", timedelta(hours=48), timedelta(hours=24))
# Which one-tap links each message carries: the email every useful one, the SMS the one that matters most (an SMS
# stays within one segment where it can).
EMAIL_LINKS: dict[str, tuple[str, ...]] = {
    "booked": ("join", "change", "cancel"),
    "changed": ("join", "change", "cancel"),
}
EMAIL_LINKS["reminder"] = EMAIL_LINKS["booked"]
# An appointment the office could no longer hold (needs_rebooking): choose another time or cancel.
EMAIL_LINKS["needs_rebooking"] = ("change", "cancel")
SMS_LINK = {
    "booked": "cancel",
    "changed": "cancel",
    "reminder": "join",
    "preflight": "preflight",
    "needs_rebooking": "change",
}


class OneTapLinks(Protocol):
    """The one-tap links' issuer (``services.links.LinkService``), wired by the container."""

    def issue(self, appointment: Appointment, action: str) -> str: ...

    def supports(self, action: str) -> bool: ...


@dataclass(frozen=True)
class BookingSettings:
    max_active: int
    public_base_url: str
    sender_email: str
    zone: ZoneInfo
    # Verified contacts (addresses a code reached) that may hold active bookings under one ID number at once.
    max_contacts: int = 2


@dataclass(frozen=True)
class Booked:
    """For whom an appointment is booked, and how they are reached."""

    citizen: str
    name: str | None
    citizen_contact: str | None  # the verified contact's digest of a code sign-in
    assurance: Assurance
    contact: Contact
    language: str
    created_by: str


class BookingService:
    def __init__(
        self,
        catalogue: CatalogueService,
        agents: Callable[[OfficeId], tuple[AgentSchedule, ...]],
        holidays: HolidayCalendar | Callable[[], HolidayCalendar],
        store: BookingStore,
        notifier: Notifier,
        audit: AuditLog,
        settings: BookingSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        cache_seconds: int = 60,
        generation: Callable[[], str] | None = None,
    ) -> None:
        self._catalogue = catalogue
        self._agents = agents
        self._holidays: Callable[[], HolidayCalendar] = holidays if callable(holidays) else lambda: holidays
        # The availability generation: one small item every admin write changes (read before trusting the cache).
        self._generation = generation
        self._seen_generation: str | None = None
        self._store = store
        self._notifier = notifier
        self._audit = audit
        self._settings = settings
        self._clock = clock
        self._cache_seconds = cache_seconds
        # Whether an appointment's call has started (the agent admitted the citizen, or it ended): the call
        # service's to say, wired by the container (it depends on this service, not the other way round).
        self.call_started: Callable[[str], bool] = lambda _appointment_id: False
        # The one-tap links messages carry (join, change, cancel, the pre-flight check): the link service's to
        # issue, wired by the container (it depends on this service). Without it messages carry the plain links.
        self.links: OneTapLinks | None = None
        # A place became free (a cancel, the old time of a reschedule): the waitlist's to offer, wired by the
        # container. Never fails the change that freed it.
        self.slot_freed: Callable[[Appointment], object] = lambda _appointment: None
        self._availability: dict[OfficeId, tuple[float, Availability]] = {}

    # --- availability ---------------------------------------------------------------------------------------------
    def availability(self, office: OfficeId) -> Availability:
        """Office hours and agents' schedules change rarely: kept for a minute; taken places are always read fresh.

        Every admin write that changes them (schedules, leave, holidays, offices, staff) forgets this process's copy
        (``forget_availability``) and changes the availability generation, which every process reads (one GetItem)
        before trusting its copy: slots reflect the change at once everywhere."""
        if self._generation is not None:
            current = self._generation()
            if current != self._seen_generation:
                self._availability.clear()
                self._seen_generation = current
        cached = self._availability.get(office)
        if cached is None or time.monotonic() - cached[0] >= self._cache_seconds:
            cached = (time.monotonic(), self.fresh_availability(office))
            self._availability[office] = cached
        return cached[1]

    def fresh_availability(self, office: OfficeId) -> Availability:
        """The office's availability read now (no cache)."""
        return Availability(self._catalogue.office(office), self._agents(office), self._holidays())

    def holidays(self) -> HolidayCalendar:
        return self._holidays()

    def forget_availability(self, office: OfficeId | None = None) -> None:
        """Forget this process's copy of an office's availability (every office's when None)."""
        if office is None:
            self._availability.clear()
        else:
            self._availability.pop(office, None)

    @property
    def store(self) -> BookingStore:
        return self._store

    def now(self) -> datetime:
        return self._clock()

    @property
    def catalogue(self) -> CatalogueService:
        return self._catalogue

    def today(self) -> date:
        return self._clock().astimezone(self._settings.zone).date()

    @property
    def zone(self) -> ZoneInfo:
        """The council's time zone: a time given without an offset is read in it."""
        return self._settings.zone

    def booking_window(self) -> Window:
        """The days slots may be asked for and booked (``chalicelib.domain.bounds``)."""
        return booking_window(self.today())

    def agenda_window(self) -> Window:
        """The days an agenda may be read for: the service's life up to the last bookable day."""
        return agenda_window(self.today())

    def slots(self, service_id: str, first: date | None, last: date | None) -> list[tuple[Slot, int]]:
        """The free slots from ``first`` (today) to ``last`` (13 days on), days the edge checked are bookable."""
        service = self._catalogue.get_service(service_id)
        start_day, end_day = _date_range(first, last, self.today())
        slots = self.availability(service.office).bookable_slots(service, self._clock(), start_day, end_day)
        if not slots:
            return []
        taken = self._store.taken(service.office, slots[0].units[0], slots[-1].units[-1])
        return [(slot, left) for slot in slots if (left := slot.remaining(taken)) > 0]

    def _free_agents(self, slot: Slot) -> list[str]:
        """The slot's agents still free for it, least busy that day first (spreads the work)."""
        day = self._store.taken(
            slot.office, slot.start.date().isoformat() + "T00:00Z", slot.start.date().isoformat() + "T23:59Z"
        )
        load = {agent: sum(1 for _, a in day if a == agent) for agent in slot.agents}
        return sorted(slot.free_agents(day), key=lambda agent: (load[agent], agent))

    # --- booking --------------------------------------------------------------------------------------------------
    def book(
        self, caller: Principal, service_id: str, request: Parsed[BookRequest], context: RequestContext
    ) -> Appointment:
        service = self._service_of(service_id)
        command = request.command()
        citizen, name = caller.subject, caller.name
        if command.for_citizen is not None:
            citizen, name = command.for_citizen.id_number, command.for_citizen.name
        require(
            caller,
            Action.BOOK,
            Resource(ResourceKind.SERVICE, service.id, office=service.office, min_assurance=service.min_assurance),
        )
        return self._place(
            service,
            command.start,
            Booked(
                citizen=citizen,
                name=name,
                citizen_contact=caller.contact if caller.is_citizen else None,
                assurance=caller.assurance if caller.is_citizen else Assurance.LOW,
                contact=command.contact,
                language=command.language,
                created_by=f"{caller.kind}:{caller.subject}",
            ),
            caller.actor,
            context,
        )

    def book_offered(
        self, service: Service, start: datetime, whom: Booked, claim: RoundClaim, actor: Actor, context: RequestContext
    ) -> Appointment:
        """Book a waitlist offer's slot for its citizen: the same booking (units, limits, message, trail) as any
        other, with the offer's round won in the same transaction (``offer_taken`` once another offer has won it).
        The caller (the waitlist) has checked who acts through the offer."""
        return self._place(service, start, whom, actor, context, claim)

    def _place(
        self,
        service: Service,
        start: datetime,
        whom: Booked,
        actor: Actor,
        context: RequestContext,
        claim: RoundClaim | None = None,
    ) -> Appointment:
        slot = self.availability(service.office).slot_at(service, start, self._clock())
        if slot is None:
            raise Conflict("slot_unavailable", "The service is not offered at that time.")
        draft = Appointment(
            id=str(uuid.uuid4()),
            service_id=service.id,
            office=service.office,
            start=slot.start,
            end=slot.end,
            status=Status.BOOKED,
            citizen=whom.citizen,
            citizen_contact=whom.citizen_contact,
            contact=whom.contact,
            language=whom.language,
            agent="",
            units=slot.units,
            created_at=self._clock(),
            created_by=whom.created_by,
            citizen_name=whom.name,
            citizen_assurance=whom.assurance,
        )

        def write(appointment: Appointment) -> None:
            if claim is None:
                self._store.book(appointment, self._settings.max_active, self._settings.max_contacts)
            else:
                self._store.book(appointment, self._settings.max_active, self._settings.max_contacts, claim=claim)

        appointment = self._with_an_agent(slot, lambda agent: replace(draft, agent=agent), write)
        self.record_as(actor, "appointment.book", appointment, context)
        self._notify(appointment, service, "booked")
        return appointment

    def _with_an_agent(
        self, slot: Slot, assign: Callable[[str], Appointment], write: Callable[[Appointment], None]
    ) -> Appointment:
        """Give the appointment to a free agent; if another request takes that agent first, try the next one."""
        for agent in self._free_agents(slot):
            appointment = assign(agent)
            try:
                write(appointment)
            except Conflict as exc:
                if exc.code != "slot_unavailable":
                    raise
                continue
            return appointment
        raise Conflict("slot_unavailable", "That time is no longer available.")

    def _service_of(self, service_id: str) -> Service:
        try:
            return self._catalogue.get_service(service_id)
        except NotFound:
            raise ValidationFailed([FieldError("service_id", "unknown_service")]) from None

    # --- one appointment ------------------------------------------------------------------------------------------
    def get(self, caller: Principal, appointment_id: str, action: Action = Action.VIEW) -> Appointment:
        appointment = self._store.get(appointment_id) if looks_like_id(appointment_id) else None
        if appointment is None:
            raise NotFound("There is no such appointment.")
        require(caller, action, resource_of(appointment))
        return appointment

    def lookup(self, appointment_id: str) -> Appointment | None:
        """For system components acting on their own (media reports, records): no caller to check."""
        return self._store.get(appointment_id) if looks_like_id(appointment_id) else None

    def _refuse_once_started(self, appointment: Appointment) -> None:
        """An appointment under way (its time has come, or its call has started) is neither changed nor cancelled.
        One waiting to be rebooked has no time any more: its citizen may choose another or cancel until its link
        expires."""
        if appointment.status is Status.NEEDS_REBOOKING:
            return
        if self._clock() >= appointment.start or self.call_started(appointment.id):
            raise Conflict(
                "already_started", "The appointment has already started: it can no longer be changed or cancelled."
            )

    def cancel(self, caller: Principal, appointment_id: str, context: RequestContext) -> Appointment:
        appointment = self.get(caller, appointment_id, Action.CHANGE)
        return self.cancel_held(appointment, caller.actor, context)

    def cancel_held(
        self, appointment: Appointment, actor: Actor, context: RequestContext, kind: str = "cancelled"
    ) -> Appointment:
        """Cancel an appointment the caller was allowed to change (booked or waiting to be rebooked): its places
        and the citizen's limits are freed; ``kind`` is the message the citizen gets."""
        if not appointment.holds_place:
            raise Conflict("not_booked", "The appointment is no longer active.")
        self._refuse_once_started(appointment)
        self._store.cancel(appointment)
        cancelled = self._store.get(appointment.id) or appointment
        self.record_as(actor, "appointment.cancel", appointment, context)
        self._notify(cancelled, self._any_service(appointment.service_id), kind)
        self._freed(appointment)
        return cancelled

    def _freed(self, appointment: Appointment) -> None:
        if appointment.status is not Status.BOOKED:
            return  # waiting to be rebooked: it held no place
        try:
            self.slot_freed(appointment)
        except Exception:
            logger.exception("offering a freed slot failed", extra={"appointment": appointment.id})

    def reschedule(
        self, caller: Principal, appointment_id: str, request: Parsed[Reschedule], context: RequestContext
    ) -> Appointment:
        appointment = self.get(caller, appointment_id, Action.CHANGE)
        return self.reschedule_held(appointment, request.command().start, caller.actor, context)

    def reschedule_held(
        self, appointment: Appointment, start: datetime, actor: Actor, context: RequestContext
    ) -> Appointment:
        """Move an appointment the caller was allowed to change (booked, or waiting to be rebooked: it becomes
        booked again) to another slot of its service."""
        if not appointment.holds_place:
            raise Conflict("not_booked", "The appointment is no longer active.")
        self._refuse_once_started(appointment)
        service = self._catalogue.get_service(appointment.service_id)
        slot = self.availability(service.office).slot_at(service, start, self._clock())
        if slot is None:
            raise Conflict(
                "slot_unavailable", "The service is not offered at that time; your appointment is unchanged."
            )
        moved = self._with_an_agent(
            slot,
            lambda agent: appointment.moved(slot.start, slot.end, agent, slot.units),
            lambda new: self._store.reschedule(appointment, new),
        )
        self.record_as(actor, "appointment.reschedule", moved, context, {"from": appointment.start.isoformat()})
        self._notify(moved, service, "changed")
        if moved.start != appointment.start:
            self._freed(appointment)
        return moved

    def record_outcome(
        self, caller: Principal, appointment_id: str, request: Parsed[RecordOutcome], context: RequestContext
    ) -> Appointment:
        appointment = self.get(caller, appointment_id, Action.RECORD_OUTCOME)
        command = request.command()
        if not appointment.is_active:
            raise Conflict("not_booked", "The appointment already has an outcome or was cancelled.")
        self._store.close(appointment, command.outcome, command.notes)
        self._record(caller, f"appointment.outcome.{command.outcome.value}", appointment, context)
        return self._store.get(appointment.id) or appointment

    # --- identity -------------------------------------------------------------------------------------------------
    def check_identity(
        self, caller: Principal, appointment_id: str, request: Parsed[CheckMethod], context: RequestContext
    ) -> tuple[IdentityCheck, bool]:
        """The agent saw the citizen's identity document on camera and it matches: recorded on the appointment.

        Only by staff who carry out the office's procedures, while the appointment is booked and its call can take
        place (from 15 minutes before until an hour after it): the check is made in the call. Recording the same
        method again changes nothing (answers the first check: ``False``); another method replaces it, audited.
        """
        appointment = self.get(caller, appointment_id, Action.RUN_PROCEDURE)
        method = request.command()
        if not appointment.is_active:
            raise Conflict("appointment_closed", "This appointment was cancelled or has already been closed.")
        now = self._clock()
        opening = window(appointment.start, appointment.end)
        if not opening.contains(now):
            raise Conflict(
                "call_not_open",
                "An identity check is recorded during the call, which opens 15 minutes before the appointment.",
                opens_at=opening.opens_at.isoformat(),
                closes_at=opening.closes_at.isoformat(),
            )
        if appointment.identity_check is not None and appointment.identity_check.method is method:
            return appointment.identity_check, False
        check = IdentityCheck(method, f"{caller.kind}:{caller.subject}", now)
        if not self._store.record_identity_check(appointment.id, check):
            raise Conflict("appointment_closed", "This appointment was cancelled or has already been closed.")
        self._record(caller, "appointment.identity_check", appointment, context, {"method": method.value})
        return check, True

    def note_assurance(self, caller: Principal, appointment: Appointment) -> None:
        """The appointment's own citizen identified at a stronger level (eID when joining its call): remember it."""
        stronger = caller.assurance.rank > appointment.citizen_assurance.rank
        if caller.is_citizen and caller.subject == appointment.citizen and stronger:
            self._store.raise_assurance(appointment.id, caller.assurance)

    def calendar(self, caller: Principal, appointment_id: str) -> bytes:
        appointment = self.get(caller, appointment_id)
        return self._ics(appointment, self._catalogue.get_service(appointment.service_id))

    # --- lists ----------------------------------------------------------------------------------------------------
    def mine(self, caller: Principal) -> list[Appointment]:
        from chalicelib.auth.policy import Decision, decide

        return [
            a
            for a in self._store.of_citizen(caller.subject)
            if decide(caller, Action.VIEW, resource_of(a)) is Decision.ALLOW
        ]

    def agenda(self, caller: Principal, day: date | None, office: object) -> tuple[date, OfficeId, list[Appointment]]:
        errors: list[FieldError] = []
        chosen = self.agenda_window().check(day, "date") if day else self.today()
        try:
            place = self._catalogue.office_named(office) or caller.office
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            place = None
        if place is None and not errors:
            errors.append(FieldError("office", "choose_office"))
        if errors or chosen is None or place is None:
            raise ValidationFailed(errors)
        require(caller, Action.VIEW_AGENDA, Resource(ResourceKind.AGENDA, place, office=place))
        return chosen, place, self._store.of_office_day(place, chosen.isoformat())

    # --- reminders ------------------------------------------------------------------------------------------------
    def send_reminders(self) -> int:
        """Send every reminder that is due and not sent: idempotent (claimed by a conditional write before sending)
        and late-proof (a late run still sends what is due; if the 1-hour one is due, the 24-hour one is dropped)."""
        now = self._clock()
        sent = 0
        today = now.astimezone(self._settings.zone).date()
        for office in (o.id for o in self._catalogue.offices()):
            for day in (today, today + timedelta(days=1), today + timedelta(days=2)):
                for appointment in self._store.of_office_day(office, day.isoformat()):
                    try:
                        sent += self._remind(appointment, now)
                    except Exception:
                        logger.exception("reminder failed; the next run retries", extra={"appointment": appointment.id})
        return sent

    def _remind(self, appointment: Appointment, now: datetime) -> int:
        # In UTC: on an aware Europe/Madrid datetime Python subtracts wall-clock time, which is an hour off across a
        # DST change; a reminder "24 h before" means 24 real hours.
        start = appointment.start.astimezone(UTC)
        if not appointment.is_active or start <= now:
            return 0
        sent = self._remind_preflight(appointment, start, now)
        for which, before in REMINDERS:
            if now < start - before or which in appointment.reminders:
                continue
            if which == "1h" and "24h" not in appointment.reminders:
                # A late run: the day-before reminder would only repeat this one.
                self._store.mark_reminder(appointment.id, "24h", "superseded", claim=True)
            return sent + self._send_reminder(appointment, which, "reminder", now)
        return sent

    def _remind_preflight(self, appointment: Appointment, start: datetime, now: datetime) -> int:
        """The link to the pre-flight check, once, 48 to 24 hours before (only once that check exists)."""
        which, earliest, latest = PREFLIGHT
        if self.links is None or not self.links.supports(which) or which in appointment.reminders:
            return 0
        if not start - earliest <= now < start - latest:
            return 0
        return self._send_reminder(appointment, which, "preflight", now)

    def _send_reminder(self, appointment: Appointment, which: str, kind: str, now: datetime) -> int:
        """Claim the reminder (a conditional write: two runs never both send it), send it, then mark it sent."""
        if not self._store.mark_reminder(appointment.id, which, "sending", claim=True):
            return 0
        try:
            self._notify(appointment, self._catalogue.get_service(appointment.service_id), kind)
        except Exception:
            self._store.unmark_reminder(appointment.id, which)  # the next run tries again
            raise
        self._store.mark_reminder(appointment.id, which, now.isoformat(), claim=False)
        self._audit.record(
            AuditEvent(
                actor=Actor.system("reminders"),
                action=f"appointment.reminder.{which}",
                subject=f"appointment:{appointment.id}",
                outcome=Outcome.SUCCESS,
                context=RequestContext(request_id=f"reminder-{appointment.id}-{which}"),
                purpose="remind the citizen of the appointment",
                data_subject=appointment.citizen,
            )
        )
        return 1

    # --- helpers --------------------------------------------------------------------------------------------------
    def list_url(self) -> str:
        """The person's appointments: the link an SMS carries (the one of each appointment is too long for it)."""
        return f"{self._settings.public_base_url.rstrip('/')}/appointments"

    def manage_url(self, appointment: Appointment) -> str:
        return f"{self._settings.public_base_url.rstrip('/')}/appointments/{appointment.id}"

    def _ics(self, appointment: Appointment, service: Service) -> bytes:
        title = service.name.in_language(appointment.language)
        return appointment_ics(
            appointment, title, self.manage_url(appointment), self._settings.sender_email, self._clock()
        )

    def service_of_appointment(self, appointment: Appointment) -> Service:
        """The appointment's service, enabled or not."""
        return self._any_service(appointment.service_id)

    def _any_service(self, service_id: str) -> Service:
        """The service, enabled or not (a disabled service's appointments are still told about)."""
        found = self._catalogue.any_service(service_id)
        if found is None:
            raise NotFound(f"There is no service '{service_id}'.")
        return found

    def notify(self, appointment: Appointment, kind: str) -> None:
        """Tell the citizen (email and/or SMS in their language), with the one-tap links that kind of message has."""
        self._notify(appointment, self._any_service(appointment.service_id), kind)

    def _notify(self, appointment: Appointment, service: Service, kind: str) -> None:
        local = appointment.start.astimezone(self._settings.zone)
        title = service.name.in_language(appointment.language)
        one_tap = self._one_tap(appointment, kind)
        subject, body = appointment_message(
            kind,
            appointment.language,
            title,
            local,
            one_tap.get("preflight") or self.manage_url(appointment),
            {action: url for action, url in one_tap.items() if action in EMAIL_LINKS.get(kind, ())},
        )
        if appointment.contact.email:
            ics = Attachment(
                f"cita-{appointment.id}.ics", "text/calendar; method=PUBLISH", self._ics(appointment, service)
            )
            self._notifier.send(
                Message(
                    "email",
                    appointment.contact.email,
                    body,
                    f"appointment-{kind}",
                    subject,
                    (ics,) if kind in ("booked", "changed", "reminder") else (),
                )
            )
        if appointment.contact.phone:
            sms_link = one_tap.get(SMS_LINK.get(kind, "")) or self.list_url()
            text = appointment_sms(kind, appointment.language, title, local, sms_link)
            self._notifier.send(Message("sms", appointment.contact.phone, text, f"appointment-{kind}"))

    def _one_tap(self, appointment: Appointment, kind: str) -> dict[str, str]:
        """The one-tap links this kind of message carries, each issued now (join, change, cancel, preflight)."""
        if self.links is None:
            return {}
        wanted = set(EMAIL_LINKS.get(kind, ())) | ({SMS_LINK[kind]} if kind in SMS_LINK else set())
        if not appointment.contact.email:
            wanted &= {SMS_LINK.get(kind, "")}
        if not appointment.contact.phone and not appointment.contact.email:
            return {}
        return {
            action: self.links.issue(appointment, action) for action in sorted(wanted) if self.links.supports(action)
        }

    def _record(
        self,
        caller: Principal,
        action: str,
        appointment: Appointment,
        context: RequestContext,
        details: dict[str, str] | None = None,
    ) -> None:
        self.record_as(caller.actor, action, appointment, context, details)

    def record_as(
        self,
        actor: Actor,
        action: str,
        appointment: Appointment,
        context: RequestContext,
        details: dict[str, str] | None = None,
    ) -> None:
        self._audit.record(
            AuditEvent(
                actor=actor,
                action=action,
                subject=f"appointment:{appointment.id}",
                outcome=Outcome.SUCCESS,
                context=context,
                purpose="appointment management",
                data_subject=appointment.citizen,
                details={
                    "service": appointment.service_id,
                    "office": appointment.office,
                    "start": appointment.start.isoformat(),
                    **(details or {}),
                },
            )
        )


def resource_of(appointment: Appointment) -> Resource:
    return Resource(
        ResourceKind.APPOINTMENT,
        appointment.id,
        owner=appointment.citizen,
        owner_contact=appointment.citizen_contact,
        office=appointment.office,
    )


def looks_like_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _date_range(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    start = first or today
    end = last or start + timedelta(days=13)
    if end < start or (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationFailed([FieldError("to", "range_days", days=MAX_RANGE_DAYS)])
    return start, end
