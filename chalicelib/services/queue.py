"""The waiting room's queue (issue 16): a citizen's place and estimated wait, the office's "waiting for anyone" list,
and an agent taking (or a supervisor handing over) a citizen whose own agent is still busy.

The queue is computed on each request from the agendas (the appointments of the office's day, each with its agent) and
the calls' states (``CallStore.many``: one batch read, whichever media node hosts each room), through the pure rules of
``chalicelib/domain/queue.py``. The typical duration of a service's calls is learned from the office's completed calls
of the last 30 days, kept in this process for a while (it changes slowly; the page asks every 5 seconds).

A take moves the appointment to the taker in one transaction with its units (the back office's reassignment,
``BookingStore.reassign``), conditional on the version read: of two agents taking at once exactly one gets it, the
other is answered 409 ``already_taken``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from chalicelib.auth.policy import Action, Resource, ResourceKind, require
from chalicelib.auth.principal import Principal, Role
from chalicelib.domain.appointments import Appointment
from chalicelib.domain.audit import Actor, RequestContext
from chalicelib.domain.calls import Call, CallState, window
from chalicelib.domain.catalogue import OfficeId
from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed
from chalicelib.domain.queue import (
    LEARNING_DAYS,
    AgentStatus,
    OwnAppointment,
    Typical,
    Waiting,
    agent_free,
    estimate_wait,
    learn,
    overflowing,
    people_ahead,
    position_of,
)
from chalicelib.domain.scheduling import AgentSchedule
from chalicelib.services.booking import BookingService
from chalicelib.services.ports import CallStore

LEARNED_SECONDS = 600  # how long this process keeps an office's learned durations
LEARNING_ENOUGH = 600  # appointments of the office read back from yesterday at most (whole days)


class StaffNames(Protocol):
    def get(self, username: str) -> Any: ...  # a StaffAccount (``name``) or None
    def agents_of(self, office: OfficeId) -> tuple[AgentSchedule, ...]: ...


class TakingStore(Protocol):
    def reassign(self, appointment: Appointment, agent: str, units: tuple[str, ...] | None = None) -> Appointment: ...
    def taken(self, office: OfficeId, first_unit: str, last_unit: str) -> set[tuple[str, str]]: ...


@dataclass(frozen=True)
class QueuePlace:
    position: int
    ahead: int
    agent_status: AgentStatus
    agent_name: str | None
    estimated_wait_s: int
    estimated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "ahead": self.ahead,
            "agent_status": self.agent_status.value,
            "agent_name": self.agent_name,
            "estimated_wait_s": self.estimated_wait_s,
            "estimated_at": self.estimated_at.isoformat(),
        }


@dataclass(frozen=True)
class _Day:
    """An office's appointments of one day with their calls, as read for one request."""

    appointments: list[Appointment]
    calls: dict[str, Call]
    now: datetime

    def state(self, appointment_id: str) -> CallState:
        call = self.calls.get(appointment_id)
        return call.state if call is not None else CallState.IDLE

    def of_agent(self, agent: str) -> list[Appointment]:
        return [a for a in self.appointments if a.agent == agent]

    def current_call(self, agent: str) -> Call | None:
        """The agent's call under way (the latest admitted, should there be more than one); a call whose window
        closed an hour after its end is over even if its node never said so (a node lost with its rooms)."""
        live = [
            self.calls[a.id]
            for a in self.of_agent(agent)
            if a.is_active
            and self.state(a.id) is CallState.IN_CALL
            and a.id in self.calls
            and self.now <= window(a.start, a.end).closes_at
        ]
        return max(live, key=lambda c: c.admitted_at or "", default=None)

    def waiting(self, agent: str) -> list[Waiting]:
        found = []
        for a in self.of_agent(agent):
            call = self.calls.get(a.id)
            if a.is_active and call is not None and call.state is CallState.WAITING and call.waiting_since:
                found.append(Waiting(a.id, a.start, datetime.fromisoformat(call.waiting_since)))
        return found

    def not_joined(self, agent: str) -> list[Appointment]:
        return [a for a in self.of_agent(agent) if a.is_active and self.state(a.id) is CallState.IDLE]

    def own(self, agent: str) -> list[OwnAppointment]:
        """The agent's appointments, each marked ended once it no longer holds them: closed, its call ended, or its
        time over with nobody waiting (a no-show whose outcome is not recorded yet must not hold them all day)."""
        return [
            OwnAppointment(
                a.start,
                not a.is_active
                or self.state(a.id) is CallState.ENDED
                or (a.end <= self.now and self.state(a.id) is not CallState.WAITING),
            )
            for a in self.of_agent(agent)
        ]


class QueueService:
    def __init__(
        self,
        booking: BookingService,
        calls: CallStore,
        staff: StaffNames,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._booking = booking
        self._calls = calls
        self._staff = staff
        self._clock = clock or booking.now
        self._learned: dict[OfficeId, tuple[float, dict[str, list[float]]]] = {}

    # --- the citizen's place --------------------------------------------------------------------------------------
    def place(self, caller: Principal, appointment_id: str) -> QueuePlace:
        appointment = self._booking.get(caller, appointment_id, Action.VIEW)
        now = self._clock()
        day = self._day(appointment.office, appointment.start.astimezone(self._booking.zone).date(), now)
        agent = appointment.agent
        current = day.current_call(agent)
        status = AgentStatus.IN_CALL if current is not None else AgentStatus.FREE
        name = self._name(agent)
        mine = day.state(appointment.id)
        if mine in (CallState.IN_CALL, CallState.ENDED) or not appointment.is_active:
            return QueuePlace(0, 0, status, name, 0, now)
        waiting = day.waiting(agent)
        own = next((w for w in waiting if w.appointment_id == appointment.id), None)
        if own is None:  # not in the waiting room (yet): where they would stand if they joined now
            own = Waiting(appointment.id, appointment.start, now)
            waiting.append(own)
        place = position_of(appointment.id, waiting)
        ahead = place.ahead if place is not None else ()
        elapsed: float | None = None
        if current is not None:
            since = datetime.fromisoformat(current.admitted_at) if current.admitted_at else now
            elapsed = max((now - since).total_seconds(), 0.0)
        not_joined = [a.start for a in day.not_joined(agent) if a.id != appointment.id]
        estimate = estimate_wait(
            now,
            appointment.start,
            self.typical(appointment.office, appointment.service_id),
            elapsed,
            people_ahead(own, waiting, not_joined, now),
        )
        return QueuePlace(len(ahead) + 1, len(ahead), status, name, estimate, now)

    def typical(self, office: OfficeId, service_id: str) -> Typical:
        """The service's typical call, learned from the office's completed calls of the last 30 days."""
        service = self._booking.catalogue.any_service(service_id)
        slot_s = float(service.duration_minutes * 60) if service is not None else 900.0
        return learn(self._lengths(office).get(service_id, []), slot_s)

    def _lengths(self, office: OfficeId) -> dict[str, list[float]]:
        cached = self._learned.get(office)
        if cached is not None and time.monotonic() - cached[0] < LEARNED_SECONDS:
            return cached[1]
        today = self._clock().astimezone(self._booking.zone).date()
        store = self._booking.store
        found: list[Appointment] = []
        for n in range(1, LEARNING_DAYS + 1):
            # The most recent days first; a median needs a few hundred calls, not a busy office's month of them.
            if len(found) >= LEARNING_ENOUGH:
                break
            found += store.of_office_day(office, (today - timedelta(days=n)).isoformat())
        calls = self._calls.many([a.id for a in found]) if found else {}
        lengths: dict[str, list[float]] = {}
        for a in found:
            call = calls.get(a.id)
            if call is not None and call.state is CallState.ENDED and call.admitted_at and call.ended_at:
                seconds = (
                    datetime.fromisoformat(call.ended_at) - datetime.fromisoformat(call.admitted_at)
                ).total_seconds()
                lengths.setdefault(a.service_id, []).append(float(seconds))
        self._learned[office] = (time.monotonic(), lengths)
        return lengths

    def _day(self, office: OfficeId, day: date, now: datetime) -> _Day:
        appointments = self._booking.store.of_office_day(office, day.isoformat())
        calls = self._calls.many([a.id for a in appointments]) if appointments else {}
        return _Day(appointments, calls, now)

    def _name(self, username: str) -> str | None:
        account = self._staff.get(username) if username else None
        return str(account.name) if account is not None and account.name else None

    # --- the "waiting for anyone" list ----------------------------------------------------------------------------
    def overflow(self, caller: Principal, office_raw: object) -> dict[str, Any]:
        office = self._booking.catalogue.office_named(office_raw) or caller.office
        if office is None:
            raise ValidationFailed([FieldError("office", "choose_office")])
        require(caller, Action.VIEW_AGENDA, Resource(ResourceKind.AGENDA, office, office=office))
        now = self._clock()
        day = self._day(office, now.astimezone(self._booking.zone).date(), now)
        after = timedelta(minutes=self._booking.catalogue.office(office).overflow_after_minutes)
        items = []
        for a, w in self._overflowing(day, now, after):
            items.append(
                {
                    "appointment_id": a.id,
                    "service_id": a.service_id,
                    "start": a.start.isoformat(),
                    "waiting_since": w.waiting_since.isoformat(),
                    "waited_s": max(int((now - w.waiting_since).total_seconds()), 0),
                    "agent": a.agent,
                    "agent_name": self._name(a.agent),
                }
            )
        is_agent = Role.AGENT in caller.roles and caller.office == office
        longest = max((self._duration(a) for a, _ in self._overflowing(day, now, after)), default=timedelta(0))
        can_take = is_agent and self._free(day, caller.subject, now, longest)
        agents = []
        if Role.SUPERVISOR in caller.roles:
            for schedule in self._staff.agents_of(office):
                busy = day.current_call(schedule.username) is not None
                agents.append(
                    {
                        "username": schedule.username,
                        "name": self._name(schedule.username),
                        "status": (AgentStatus.IN_CALL if busy else AgentStatus.FREE).value,
                    }
                )
        return {"items": items, "can_take": can_take, "agents": agents, "next": None}

    def _overflowing(self, day: _Day, now: datetime, after: timedelta) -> Iterable[tuple[Appointment, Waiting]]:
        by_id = {a.id: a for a in day.appointments}
        for agent in sorted({a.agent for a in day.appointments if a.agent}):
            busy = day.current_call(agent) is not None
            for w in day.waiting(agent):
                if overflowing(w, now, busy, after):
                    yield by_id[w.appointment_id], w

    def _duration(self, appointment: Appointment) -> timedelta:
        service = self._booking.catalogue.any_service(appointment.service_id)
        return (
            timedelta(minutes=service.duration_minutes) if service is not None else appointment.end - appointment.start
        )

    def _free(self, day: _Day, agent: str, now: datetime, duration: timedelta) -> bool:
        return agent_free(day.current_call(agent) is not None, day.own(agent), now, duration)

    # --- taking a citizen -----------------------------------------------------------------------------------------
    def take(self, caller: Principal, appointment_id: str, context: RequestContext) -> Appointment:
        """The caller (an agent of the office) takes a citizen from the "waiting for anyone" list."""
        appointment = self._booking.get(caller, appointment_id, Action.TAKE)
        return self._move(appointment, caller.subject, caller.actor, "appointment.taken", context)

    def hand_over(self, caller: Principal, appointment_id: str, agent: object, context: RequestContext) -> Appointment:
        """A supervisor gives a citizen from the "waiting for anyone" list to a named agent of the office."""
        appointment = self._booking.get(caller, appointment_id, Action.HAND_OVER)
        agents = {s.username for s in self._staff.agents_of(appointment.office)}
        if not isinstance(agent, str) or agent not in agents:
            raise ValidationFailed([FieldError("agent", "unknown_agent")])
        return self._move(appointment, agent, caller.actor, "appointment.handed_over", context)

    def _move(
        self, appointment: Appointment, agent: str, actor: Actor, action: str, context: RequestContext
    ) -> Appointment:
        now = self._clock()
        day = self._day(appointment.office, appointment.start.astimezone(self._booking.zone).date(), now)
        after = timedelta(minutes=self._booking.catalogue.office(appointment.office).overflow_after_minutes)
        waiting = next((w for w in day.waiting(appointment.agent) if w.appointment_id == appointment.id), None)
        if appointment.is_active and waiting is None and _moved_since(appointment, day.appointments):
            # Read before another agent's take landed, the day after it: that agent has them now.
            raise Conflict("already_taken", "Another agent is already attending this citizen.")
        if not appointment.is_active or waiting is None:
            raise Conflict("not_waiting", "This citizen is no longer waiting.")
        if agent == appointment.agent or day.current_call(appointment.agent) is None:
            raise Conflict("already_taken", "Another agent is already attending this citizen.")
        if not overflowing(waiting, now, True, after):
            raise Conflict("not_waiting", "This citizen is still waiting for their own agent.")
        if not self._free(day, agent, now, self._duration(appointment)):
            raise Conflict("agent_not_free", "The agent is in a call or has an appointment of their own soon.")
        store: TakingStore = self._booking.store  # type: ignore[assignment]
        units = appointment.units
        if units:
            # The taker's own earlier appointments keep the units they used: the taken one moves with the others.
            held = {unit for unit, who in store.taken(appointment.office, units[0], units[-1]) if who == agent}
            units = tuple(u for u in units if u not in held)
        try:
            moved = store.reassign(appointment, agent, units)
        except Conflict as exc:
            if exc.code == "not_booked":
                raise Conflict("already_taken", "Another agent is already attending this citizen.") from None
            if exc.code == "slot_unavailable":
                raise Conflict("agent_not_free", "The agent has another appointment at that time.") from None
            raise
        self._booking.record_as(actor, action, appointment, context, {"from": appointment.agent, "agent": agent})
        return moved


def _moved_since(appointment: Appointment, today: Iterable[Appointment]) -> bool:
    """Whether the day's agenda has ``appointment`` with another agent than the one it was read with."""
    return any(a.id == appointment.id and a.agent != appointment.agent for a in today)
