"""The waitlist: joining and leaving it, offering freed slots in batches, and booking one through its offer.

A freed slot (a cancellation, the old time of a reschedule: ``BookingService.slot_freed``; new capacity:
``CapacityService.slots_added``) is offered to the entries that match it, in joining order, ``batch_size`` at a
time, each by a one-tap link held ``hold`` (15 minutes). Accepting books through ``BookingService.book_offered`` —
the one booking there is, with the round won in the same transaction, so the slot is given once. A batch whose hold
passes unaccepted gives way to the next one: ``sweep`` (every run of the reminders' schedule, and lazily whenever
an offer is read or accepted).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.auth import codes
from chalicelib.auth.policy import Action, Resource, ResourceKind, require, require_link_holder
from chalicelib.auth.principal import Principal
from chalicelib.domain.appointments import Appointment
from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext
from chalicelib.domain.catalogue import Assurance, Service
from chalicelib.domain.errors import Conflict, FieldError, Gone, NotFound, ValidationFailed
from chalicelib.domain.messages import waitlist_message, waitlist_sms
from chalicelib.domain.waitlist import (
    BATCH_SIZE,
    HOLD,
    KEPT_AFTER,
    Entry,
    Offer,
    OfferState,
    Round,
    RoundClaim,
    RoundState,
    next_batch,
    round_key,
)
from chalicelib.observability import logger
from chalicelib.services.booking import Booked, BookingService
from chalicelib.services.commands import JoinWaitlist, Parsed
from chalicelib.services.ports import AuditLog, Message, Notifier, WaitlistStore

PURPOSE = "waitlist: offering freed slots"
OFFER_PURPOSE = "waitlist-offer"  # what an offer's token digest is bound to (codes.link_digest)
TOKEN_LENGTH = (16, 64)


@dataclass(frozen=True)
class WaitlistSettings:
    public_base_url: str
    batch_size: int = BATCH_SIZE
    hold: timedelta = HOLD


class WaitlistService:
    def __init__(
        self,
        booking: BookingService,
        store: WaitlistStore,
        notifier: Notifier,
        audit: AuditLog,
        pepper: Callable[[], bytes],
        settings: WaitlistSettings,
        new_token: Callable[[], str] = lambda: codes.new_link_token(16),
    ) -> None:
        self._booking = booking
        self._store = store
        self._notifier = notifier
        self._audit = audit
        self._pepper = pepper
        self.settings = settings
        self._new_token = new_token

    @property
    def _zone(self) -> Any:
        return self._booking.zone

    def _now(self) -> datetime:
        return self._booking.now()

    # --- the citizen's entries --------------------------------------------------------------------------------------
    def latest_day(self, service: Service) -> date:
        """The last day a waitlist for ``service`` may reach: its booking horizon, within the booking window."""
        return min(self._booking.booking_window().latest, self._booking.today() + timedelta(days=service.horizon_days))

    def service(self, service_id: str) -> Service:
        try:
            return self._booking.catalogue.get_service(service_id)
        except NotFound:
            raise ValidationFailed([FieldError("service_id", "unknown_service")]) from None

    def join(
        self, caller: Principal, service: Service, request: Parsed[JoinWaitlist], context: RequestContext
    ) -> Entry:
        require(
            caller,
            Action.JOIN_WAITLIST,
            Resource(ResourceKind.SERVICE, service.id, office=service.office, min_assurance=service.min_assurance),
        )
        command = request.command()
        entry = Entry(
            id=str(uuid.uuid4()),
            service_id=service.id,
            office=service.office,
            first=command.first,
            last=command.last,
            part_of_day=command.part_of_day,
            contact=command.contact,
            language=command.language,
            joined_at=self._now(),
            citizen=caller.subject,
            citizen_contact=caller.contact,
            citizen_assurance=caller.assurance,
            citizen_name=caller.name,
        )
        self._store.join(entry, entry.expires_at(self._zone))
        self._record(caller.actor, "waitlist.join", entry, context)
        return entry

    def mine(self, caller: Principal) -> list[Entry]:
        from chalicelib.auth.policy import Decision, decide

        today = self._booking.today()
        return [
            e
            for e in self._store.entries_of(caller.subject)
            if not e.lapsed(today) and decide(caller, Action.VIEW, _resource(e)) is Decision.ALLOW
        ]

    def leave(self, caller: Principal, entry_id: str, context: RequestContext) -> None:
        entry = self._store.entry_of(caller.subject, entry_id) if _is_uuid(entry_id) else None
        if entry is None:
            raise NotFound("There is no such waitlist entry.")
        require(caller, Action.CHANGE, _resource(entry))
        if not self._store.leave(entry):
            raise NotFound("There is no such waitlist entry.")
        self._record(caller.actor, "waitlist.leave", entry, context)

    # --- offering ---------------------------------------------------------------------------------------------------
    def slot_freed(self, appointment: Appointment) -> int:
        """A place of ``appointment``'s service at its time became free: offer it. Returns the offers sent."""
        service = self._booking.catalogue.any_service(appointment.service_id)
        if service is None or not service.active:
            return 0
        return self._offer_slot(service, appointment.start, set())

    def slots_added(self, office: str | None = None) -> int:
        """Capacity grew (a schedule, extra hours, an office's hours): offer each service's free slots that match
        someone waiting, each person at most one new offer per call."""
        sent = 0
        for service in self._booking.catalogue.list_services():
            if office is not None and service.office != office:
                continue
            entries = [e for e in self._store.entries(service.id) if not e.lapsed(self._booking.today())]
            if not entries:
                continue
            first = max(min(e.first for e in entries), self._booking.today())
            last = min(max(e.last for e in entries), self.latest_day(service))
            if last < first:
                continue
            busy: set[str] = set()
            for start in self._free_starts(service, first, last):
                if not any(e.id not in busy and e.matches(start, self._zone) for e in entries):
                    continue
                sent += self._offer_slot(service, start, busy, entries)
        return sent

    def _free_starts(self, service: Service, first: date, last: date) -> list[datetime]:
        starts: list[datetime] = []
        day = first
        while day <= last:
            chunk_end = min(last, day + timedelta(days=30))
            starts += [slot.start for slot, _ in self._booking.slots(service.id, day, chunk_end)]
            day = chunk_end + timedelta(days=1)
        return starts

    def _still_free(self, service: Service, start: datetime) -> bool:
        day = start.astimezone(self._zone).date()
        if start <= self._now():
            return False
        return any(slot.start == start for slot, _ in self._booking.slots(service.id, day, day))

    def _offer_slot(self, service: Service, start: datetime, busy: set[str], entries: list[Entry] | None = None) -> int:
        entries = self._store.entries(service.id) if entries is None else entries
        if not entries:
            return 0
        existing = self._store.round(round_key(service.id, start))
        if existing is not None and existing.state is RoundState.OPEN:
            return 0  # already being offered
        if not self._still_free(service, start):
            return 0
        now = self._now()
        batch = next_batch(entries, start, self._zone, self._booking.today(), busy, self.settings.batch_size)
        if not batch:
            return 0
        slot = self._booking.availability(service.office).slot_at(service, start, now)
        if slot is None:
            return 0
        tokens = [self._new_token() for _ in batch]
        digests = [self._digest(t) for t in tokens]
        first = Round(service.id, service.office, slot.start, slot.end, 0, now, state=RoundState.OPEN)
        round_ = first.next(batch, digests, now)
        round_ = replace(round_, hold_until=now + self.settings.hold)
        if not self._store.put_round(round_, self._kept(slot.end)):
            return 0
        busy.update(e.id for e in batch)
        return self._send_batch(service, round_, batch, tokens)

    def _send_batch(self, service: Service, round_: Round, batch: list[Entry], tokens: list[str]) -> int:
        sent = 0
        for entry, token in zip(batch, tokens, strict=True):
            offer = Offer(
                self._digest(token), entry, round_.key, round_.start, round_.end, round_.batch, round_.hold_until
            )
            try:
                self._store.put_offer(offer, self._kept(round_.end))
                self._tell(entry, service, round_.start, "offer", self._link(token))
            except Exception:
                logger.exception("a waitlist offer could not be sent", extra={"entry": entry.id})
                continue
            self._record(
                Actor.system("waitlist"),
                "offer.sent",
                entry,
                RequestContext(f"offer-{round_.key}-{round_.batch}"),
                {"start": round_.start.isoformat(), "batch": str(round_.batch)},
            )
            sent += 1
        return sent

    # --- the sweep: holds that passed move on -------------------------------------------------------------------
    def sweep(self) -> int:
        """Every open round whose hold passed gives way to its next batch (or ends); lapsed entries leave.
        Returns the offers sent."""
        sent = 0
        now = self._now()
        for round_ in self._store.open_rounds():
            if round_.hold_until <= now:
                try:
                    sent += self._advance(round_)
                except Exception:
                    logger.exception("a waitlist round could not move on; the next run retries")
        today = self._booking.today()
        for service in self._booking.catalogue.list_services():
            for entry in self._store.entries(service.id):
                if entry.lapsed(today) and self._store.leave(entry):
                    self._record(
                        Actor.system("waitlist"),
                        "waitlist.leave",
                        entry,
                        RequestContext(f"lapse-{entry.id}"),
                        {"reason": "lapsed"},
                    )
        return sent

    def _sweep_round(self, key: str) -> None:
        round_ = self._store.round(key)
        if round_ is not None and round_.state is RoundState.OPEN and round_.hold_until <= self._now():
            self._advance(round_)

    def _advance(self, round_: Round) -> int:
        service = self._booking.catalogue.any_service(round_.service_id)
        for digest in round_.current:
            self._expire(digest)
        now = self._now()
        batch: list[Entry] = []
        if service is not None and service.active and self._still_free(service, round_.start):
            batch = next_batch(
                self._store.entries(service.id),
                round_.start,
                self._zone,
                self._booking.today(),
                round_.offered,
                self.settings.batch_size,
            )
        if service is None or not batch:
            self._store.close_round(round_, RoundState.DONE)
            return 0
        tokens = [self._new_token() for _ in batch]
        moved = round_.next(batch, [self._digest(t) for t in tokens], now)
        moved = replace(moved, hold_until=now + self.settings.hold)
        if not self._store.advance_round(round_, moved):
            return 0  # another run moved it
        return self._send_batch(service, moved, batch, tokens)

    def _expire(self, digest: str) -> None:
        if self._store.set_offer_state(digest, OfferState.EXPIRED):
            offer = self._store.offer(digest)
            if offer is not None:
                self._record(
                    Actor.system("waitlist"),
                    "offer.expired",
                    offer.entry,
                    RequestContext(f"offer-expired-{digest[:16]}"),
                    {"start": offer.start.isoformat(), "batch": str(offer.batch)},
                )

    # --- an offer, through its link ---------------------------------------------------------------------------------
    def _offer(self, token: str, caller: Principal | None) -> tuple[Offer, Service]:
        """The offer a token names, for whoever may act through it (404 for an unknown or tampered one; 403
        ``insufficient_assurance`` until an eID sign-in of the same person comes with it where the service asks)."""
        if not isinstance(token, str) or not TOKEN_LENGTH[0] <= len(token) <= TOKEN_LENGTH[1]:
            raise NotFound("There is no such offer.")
        digest = self._digest(token)
        offer = self._store.offer(digest)
        if offer is None:
            raise NotFound("There is no such offer.")
        service = self._booking.catalogue.any_service(offer.entry.service_id)
        if service is None:
            raise Gone("offer_expired", "This offer has expired.")
        require_link_holder(caller, offer.entry.citizen, service.min_assurance)
        self._sweep_round(offer.round_key)
        offer = self._store.offer(digest) or offer
        self._refuse_unless_open(offer)
        return offer, service

    def _refuse_unless_open(self, offer: Offer) -> None:
        if offer.state is OfferState.TAKEN:
            raise Conflict("offer_taken", "Someone else has already taken this time. You stay on the waitlist.")
        if offer.state is not OfferState.SENT or offer.hold_until <= self._now():
            raise Gone("offer_expired", "This offer has expired or has already been used.")

    def details(self, token: str, caller: Principal | None) -> tuple[Offer, Service]:
        return self._offer(token, caller)

    def accept(self, token: str, caller: Principal | None, context: RequestContext) -> Appointment:
        offer, service = self._offer(token, caller)
        entry = offer.entry
        assurance = entry.citizen_assurance
        if caller is not None and caller.is_citizen and caller.subject == entry.citizen:
            assurance = max(assurance, caller.assurance, key=lambda a: a.rank)
        actor = caller.actor if caller is not None and caller.is_citizen else Actor(f"offer:{entry.id}", "citizen")
        whom = Booked(
            citizen=entry.citizen,
            name=entry.citizen_name,
            citizen_contact=entry.citizen_contact,
            assurance=assurance if isinstance(assurance, Assurance) else Assurance.LOW,
            contact=entry.contact,
            language=entry.language,
            created_by=f"citizen:{entry.citizen}",
        )
        claim = RoundClaim(offer.round_key, offer.batch, offer.digest, self._now())
        try:
            appointment = self._booking.book_offered(service, offer.start, whom, claim, actor, context)
        except Conflict as exc:
            if exc.code == "offer_taken":
                self._store.set_offer_state(offer.digest, OfferState.TAKEN)
                raise
            if exc.code == "slot_unavailable":
                # Booked another way meanwhile: the round ends, this batch is told.
                round_ = self._store.round(offer.round_key)
                if round_ is not None and self._store.close_round(round_, RoundState.DONE):
                    self._gone(round_, service, except_digest=None)
                raise Conflict(
                    "offer_taken", "Someone else has already taken this time. You stay on the waitlist."
                ) from None
            raise
        self._store.set_offer_state(offer.digest, OfferState.ACCEPTED)
        self._store.leave(entry)
        details = {"start": offer.start.isoformat(), "appointment": appointment.id}
        self._record(actor, "offer.accepted", entry, context, details)
        round_ = self._store.round(offer.round_key)
        if round_ is not None:
            self._gone(round_, service, except_digest=offer.digest)
        return appointment

    def _gone(self, round_: Round, service: Service, except_digest: str | None) -> None:
        """The rest of the batch: their offers are taken, and they are told (they stay on the list)."""
        for digest in round_.current:
            if digest == except_digest or not self._store.set_offer_state(digest, OfferState.TAKEN):
                continue
            other = self._store.offer(digest)
            if other is None:
                continue
            try:
                self._tell(other.entry, service, other.start, "taken", self._list_url())
            except Exception:
                logger.exception("a waitlist 'taken' message failed", extra={"entry": other.entry.id})

    # --- helpers ----------------------------------------------------------------------------------------------------
    def _digest(self, token: str) -> str:
        return codes.link_digest(self._pepper(), token, OFFER_PURPOSE)

    def _link(self, token: str) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}/offer#token={token}"

    def _list_url(self) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}/waitlist"

    def _kept(self, end: datetime) -> int:
        return int((end + KEPT_AFTER).timestamp())

    def _tell(self, entry: Entry, service: Service, start: datetime, kind: str, link: str) -> None:
        local = start.astimezone(self._zone)
        title = service.name.in_language(entry.language)
        minutes = int(self.settings.hold.total_seconds() // 60)
        if entry.contact.email:
            subject, body = waitlist_message(kind, entry.language, title, local, link, minutes)
            self._notifier.send(Message("email", entry.contact.email, body, f"waitlist-{kind}", subject))
        if entry.contact.phone:
            text = waitlist_sms(kind, entry.language, title, local, link, minutes)
            self._notifier.send(Message("sms", entry.contact.phone, text, f"waitlist-{kind}"))

    def _record(
        self, actor: Actor, action: str, entry: Entry, context: RequestContext, details: dict[str, str] | None = None
    ) -> None:
        self._audit.record(
            AuditEvent(
                actor=actor,
                action=action,
                subject=f"waitlist:{entry.id}",
                outcome=Outcome.SUCCESS,
                context=context,
                purpose=PURPOSE,
                data_subject=entry.citizen,
                details={"service": entry.service_id, "office": entry.office, **(details or {})},
            )
        )


def entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "service_id": entry.service_id,
        "office": entry.office,
        "from": entry.first.isoformat(),
        "to": entry.last.isoformat(),
        "part_of_day": entry.part_of_day.value if entry.part_of_day else None,
        "contact": {k: v for k, v in (("email", entry.contact.email), ("phone", entry.contact.phone)) if v},
        "language": entry.language,
        "joined_at": entry.joined_at.isoformat(),
    }


def _resource(entry: Entry) -> Resource:
    return Resource(
        ResourceKind.WAITLIST_ENTRY,
        entry.id,
        owner=entry.citizen,
        owner_contact=entry.citizen_contact,
        office=entry.office,
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


__all__ = ["WaitlistService", "WaitlistSettings", "entry_json"]
