"""Capacity use cases: schedules and leave, holidays, and what happens to booked appointments when capacity goes.

Every write that can remove capacity (a schedule, a leave day, a removed extra day, a holiday, a disabled agent,
shorter office hours) runs the capacity rules on the office's booked appointments still to come
(``chalicelib/domain/capacity.py``): each uncovered one moves to a free agent of the office or becomes
``needs_rebooking`` (the citizen gets a message with one-tap links, ``chalicelib/services/links.py``, to choose
another time or cancel). Up to ``INLINE_LIMIT`` are handled in the request; more run as a job (``run_job``:
idempotent, resumable: a run redoes only what is still uncovered). ``?preview=true`` computes the same on the
proposed availability and writes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, Protocol

from chalicelib.auth.policy import Action, Resource, ResourceKind, require
from chalicelib.auth.principal import Principal
from chalicelib.domain.appointments import Appointment
from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext, change_details
from chalicelib.domain.bounds import BOOKING_HORIZON_DAYS
from chalicelib.domain.calendar import FROM_API, Holiday, HolidayCalendar
from chalicelib.domain.capacity import (
    CANCELLED,
    INLINE_LIMIT,
    NEEDS_REBOOKING,
    REASSIGNED,
    Affected,
    Handled,
    plan,
)
from chalicelib.domain.catalogue import Office, OfficeId, Text, WeeklyHours
from chalicelib.domain.errors import Conflict, FieldError, NotFound, ValidationFailed, version_conflict
from chalicelib.domain.scheduling import AgentSchedule, Availability, ScheduleException, parse_intervals
from chalicelib.observability import logger
from chalicelib.services.booking import BookingService
from chalicelib.services.commands import HolidaysChange, NewScheduleException, Parsed, ScheduleChange
from chalicelib.services.ports import BookingStore

PURPOSE = "service administration"
# A run holds its job this long (the scheduled function's timeout is 240 s and it runs every 300 s): a crashed run's
# job is taken up by the next run.
JOB_LEASE_SECONDS = 240
JOB_MAX_FAILURES = 5  # a job whose runs failed this many times is marked failed instead of being tried for ever
YEARS_BACK, YEARS_AHEAD = 1, 5  # the holiday years an administrator may read or save, around this year
Target = tuple[OfficeId, list[date] | None]  # an office and the days to look at (None: every day still to come)


class CapacityState(Protocol):
    def holiday_years(self) -> dict[int, dict[str, Any]]: ...
    def holiday_year(self, year: int) -> dict[str, Any] | None: ...
    def put_holiday_year(self, year: int, items: list[dict[str, Any]], version: int) -> bool: ...
    def put_job(self, job: dict[str, Any]) -> None: ...
    def job(self, job_id: str) -> dict[str, Any] | None: ...
    def running_jobs(self) -> list[dict[str, Any]]: ...
    def claim_job(self, job_id: str, now: int, until: int) -> bool: ...
    def generation(self) -> str: ...
    def bump_generation(self) -> None: ...


class CapacityStore(BookingStore, Protocol):
    """The booking store's capacity writes (``chalicelib/adapters/dynamo/booking.py``)."""

    def reassign(self, appointment: Appointment, agent: str) -> Appointment: ...
    def suspend(self, appointment: Appointment, since: str, reason: str) -> Appointment: ...
    def needing_rebooking(self, office: OfficeId) -> list[Appointment]: ...


class Schedules(Protocol):
    def schedule_of(self, username: str) -> dict[str, Any] | None: ...
    def put_schedule(
        self, username: str, version: int, schedule: dict[str, Any] | None, exceptions: list[dict[str, Any]] | None
    ) -> bool: ...
    def agents_of(self, office: OfficeId) -> tuple[AgentSchedule, ...]: ...


class HolidayBook:
    """The holiday calendar: each year's saved list, else the official one from configuration."""

    def __init__(self, state: CapacityState, official: HolidayCalendar | None = None) -> None:
        self._state = state
        self._official = official or HolidayCalendar.load()

    @property
    def official(self) -> HolidayCalendar:
        return self._official

    def calendar(self) -> HolidayCalendar:
        found = self._official
        for year, doc in self._state.holiday_years().items():
            found = found.with_year(year, stored_holidays(doc.get("items") or []))
        return found

    def year(self, year: int) -> tuple[tuple[Holiday, ...], int]:
        """A year's list and version (0: never saved, the official list)."""
        doc = self._state.holiday_year(year)
        if doc is None:
            return self._official.of_year(year), 0
        return stored_holidays(doc.get("items") or []), int(doc.get("version", 0))


def stored_holidays(items: Iterable[dict[str, Any]]) -> tuple[Holiday, ...]:
    return tuple(
        Holiday(
            date.fromisoformat(str(i["date"])),
            FROM_API[str(i["scope"])],
            Text.parse(i["name"], "name"),
            str(i["office"]) if i.get("office") else None,
        )
        for i in items
    )


class CapacityService:
    def __init__(
        self,
        booking: BookingService,
        store: CapacityStore,
        staff: Schedules,
        state: CapacityState,
        holidays: HolidayBook,
        audit: Any,
    ) -> None:
        self._booking = booking
        self._store = store
        self._staff = staff
        self._state = state
        self._holidays = holidays
        self._audit = audit
        # Capacity grew (a schedule, extra hours, leave or a holiday removed) in an office (None: maybe any): the
        # waitlist's to offer the new places, wired by the container. Never fails the change that made them.
        self.slots_added: Callable[[OfficeId | None], object] = lambda _office: None

    # --- the engine -------------------------------------------------------------------------------------------------
    def availability(
        self,
        office: OfficeId,
        *,
        agent: AgentSchedule | None = None,
        without: str | None = None,
        calendar: HolidayCalendar | None = None,
        proposed_office: Office | None = None,
    ) -> Availability:
        """The office's availability read now, with one agent's schedule replaced (``agent``), one agent gone
        (``without``), another calendar or other office hours: what a write makes it (written or proposed)."""
        agents = [a for a in self._staff.agents_of(office) if a.username not in {without, agent and agent.username}]
        if agent is not None and agent.office == office:
            agents.append(agent)
        return Availability(
            proposed_office or self._booking.catalogue.office(office),
            tuple(agents),
            calendar or self._holidays.calendar(),
        )

    def _days(self, office: OfficeId, days: list[date] | None) -> list[date]:
        today = self._booking.today()
        if days is not None:
            return sorted({d for d in days if d >= today})
        services = self._booking.catalogue.all_services(office)
        horizon = min(max((s.horizon_days for s in services), default=60), BOOKING_HORIZON_DAYS)
        return [today + timedelta(days=i) for i in range(horizon + 1)]

    def _appointments(self, office: OfficeId, days: list[date] | None) -> list[Appointment]:
        store = self._store
        return [a for d in self._days(office, days) for a in store.of_office_day(office, d.isoformat())]

    def decisions(self, availability: Availability, days: list[date] | None) -> list[tuple[Appointment, Affected]]:
        """What each appointment of the office the availability no longer covers would get."""
        office = availability.office.id
        found = [a for a in self._appointments(office, days) if a.is_active and a.units]
        if not found:
            return []
        taken = self._store.taken(
            office, min(u for a in found for u in a.units), max(u for a in found for u in a.units)
        )
        return plan(availability, found, taken, self._booking.now())

    def preview(self, availabilities: Iterable[tuple[Availability, list[date] | None]]) -> Handled:
        """The same computation on proposed availabilities: nothing is written."""
        return Handled([d for av, days in availabilities for _, d in self.decisions(av, days)])

    def reconcile(
        self, targets: list[Target], reason: str, context: RequestContext, agent: AgentSchedule | None = None
    ) -> Handled:
        """Handle the appointments the offices' current availability no longer covers: in the request up to
        ``INLINE_LIMIT``, else as a job. Every write that can remove capacity calls this after saving; ``agent``: the
        schedule just written (the office's index of staff may not show it yet)."""
        self.changed()
        found = [d for office, days in targets for d in self.decisions(self.availability(office, agent=agent), days)]
        if len(found) <= INLINE_LIMIT:
            return Handled(self._apply(found, reason, context))
        job = self._new_job("reconcile", len(found), reason, targets=targets)
        return Handled([], {"id": job["id"], "total": job["total"]})

    def grew(self, office: OfficeId | None) -> None:
        """Tell the waitlist that ``office`` (None: any) may have new free places."""
        try:
            self.slots_added(office)
        except Exception:
            logger.exception("offering new places to the waitlist failed", extra={"office": office})

    def changed(self, office: OfficeId | None = None) -> None:
        """Availability changed: this process forgets its copy, and every other process sees a new generation."""
        self._state.bump_generation()
        self._booking.forget_availability(office)

    def _apply(
        self, decisions: Iterable[tuple[Appointment, Affected]], reason: str, context: RequestContext
    ) -> list[Affected]:
        return [r for a, d in decisions if (r := self._apply_one(a, d, reason, context)) is not None]

    def _apply_one(
        self, appointment: Appointment, decision: Affected, reason: str, context: RequestContext
    ) -> Affected | None:
        store = self._store
        if decision.action == REASSIGNED and decision.agent:
            try:
                store.reassign(appointment, decision.agent)
                self._record_appointment("appointment.reassign", appointment, context, {"agent": decision.agent})
                return decision
            except Conflict as exc:
                if exc.code == "not_booked":
                    return None  # changed meanwhile (cancelled, rescheduled): nothing to do
                # The agent was taken meanwhile: nobody else is known to be free.
        try:
            suspended = store.suspend(appointment, self._booking.now().isoformat(), reason)
        except Conflict:
            return None
        self._record_appointment("appointment.needs_rebooking", appointment, context, {"reason": reason})
        try:
            self._booking.notify(suspended, "needs_rebooking")
        except Exception:
            logger.exception("rebooking message failed", extra={"appointment": appointment.id})
        return Affected(appointment.id, appointment.start, appointment.service_id, NEEDS_REBOOKING)

    # --- the other admin writes (``ports.CapacityRules``): call after saving, or with ``preview`` instead ----------
    def agent_left(self, username: str, office: OfficeId, preview: bool, context: RequestContext) -> Handled:
        """An agent was disabled, lost the agent role or moved to another office."""
        if preview:
            return self.preview([(self.availability(office, without=username), None)])
        return self.reconcile([(office, None)], "agent_disabled", context)

    def office_changed(self, office: Office, preview: bool, context: RequestContext) -> Handled:
        """An office's record changed (shorter opening hours, another time zone); ``office`` is the new record."""
        if preview:
            return self.preview([(self.availability(office.id, proposed_office=office), None)])
        return self.reconcile([(office.id, None)], "office_hours", context)

    def service_disabled(self, service_id: str, preview: bool, context: RequestContext) -> Handled:
        """A disabled service's appointments still to come are cancelled (the citizen is told why)."""
        found = self._service_appointments(service_id)
        if preview:
            return Handled([Affected(a.id, a.start, a.service_id, CANCELLED) for a in found])
        if len(found) <= INLINE_LIMIT:
            return Handled(self._cancel_all(found, context))
        job = self._new_job("cancel_service", len(found), "service_disabled", service_id=service_id)
        return Handled([], {"id": job["id"], "total": job["total"]})

    def _service_appointments(self, service_id: str) -> list[Appointment]:
        service = self._booking.catalogue.any_service(service_id)
        if service is None:
            return []
        now = self._booking.now()
        return [
            a
            for a in self._appointments(service.office, None)
            if a.service_id == service_id and a.holds_place and a.start > now
        ]

    def _cancel_all(self, found: Iterable[Appointment], context: RequestContext) -> list[Affected]:
        done = []
        for a in found:
            try:
                self._booking.cancel_held(a, Actor.system("capacity"), context, kind="withdrawn")
            except Conflict:
                continue
            done.append(Affected(a.id, a.start, a.service_id, CANCELLED))
        return done

    # --- jobs -------------------------------------------------------------------------------------------------------
    def _new_job(self, kind: str, total: int, reason: str, **what: Any) -> dict[str, Any]:
        job: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "kind": kind,
            "status": "running",
            "total": total,
            "done": 0,
            "affected": [],
            "reason": reason,
            "created_at": self._booking.now().isoformat(),
        }
        if "targets" in what:
            job["targets"] = [
                {"office": office, "days": None if days is None else [d.isoformat() for d in days]}
                for office, days in what["targets"]
            ]
        if "service_id" in what:
            job["service_id"] = what["service_id"]
        self._state.put_job(job)
        return job

    def job(self, caller: Principal, job_id: str) -> dict[str, Any]:
        require(caller, Action.MANAGE_STAFF, Resource(ResourceKind.STAFF))
        found = self._state.job(job_id) if _is_uuid(job_id) else None
        if found is None:
            raise NotFound("There is no such job.")
        return {k: found[k] for k in ("id", "kind", "status", "total", "done", "affected")}

    def run_jobs(self) -> int:
        """The worker: run every running job to its end (a crashed run's job is taken up again)."""
        ran = 0
        for job in self._state.running_jobs():
            try:
                self.run_job(str(job["id"]))
                ran += 1
            except Exception:
                logger.exception("capacity job run failed; the next run resumes it", extra={"job": job["id"]})
        return ran

    def run_job(self, job_id: str, batch: int = INLINE_LIMIT) -> dict[str, Any]:
        """Handle what the job still has to do, saving its progress after each appointment. Idempotent: what is
        already covered (moved, marked or cancelled by an earlier run) is not found again."""
        now = int(self._booking.now().timestamp())
        if not self._state.claim_job(job_id, now, now + JOB_LEASE_SECONDS):
            return self._state.job(job_id) or {}  # another run has it
        job = self._state.job(job_id)
        if job is None or job.get("status") != "running":
            return job or {}
        try:
            return self._run(job, batch)
        except Exception:
            self._release(job_id)  # the next run takes it up at once
            raise

    def _release(self, job_id: str) -> None:
        """After a failed run: count it on the job and free it for the next run, or mark it failed after
        ``JOB_MAX_FAILURES`` (GET /admin/jobs/{id} shows it; no run takes it up again)."""
        job = self._state.job(job_id)
        if job is not None:
            job.pop("lease_until", None)
            job["failures"] = int(job.get("failures", 0)) + 1
            if job["failures"] >= JOB_MAX_FAILURES:
                job["status"] = "failed"
                logger.error("capacity job marked failed", extra={"job": job_id, "failures": job["failures"]})
            self._state.put_job(job)

    def _run(self, job: dict[str, Any], batch: int) -> dict[str, Any]:
        job_id = str(job["id"])
        context = RequestContext(request_id=f"job-{job_id}")
        reason = str(job.get("reason", "capacity"))
        for _ in range(int(job["total"]) // max(batch, 1) + 3):
            pending: Sequence[tuple[Appointment, Affected | None]]
            if job["kind"] == "cancel_service":
                pending = [(a, None) for a in self._service_appointments(str(job["service_id"]))][:batch]
            else:
                targets = [
                    (str(t["office"]), None if t.get("days") is None else [date.fromisoformat(d) for d in t["days"]])
                    for t in job["targets"]
                ]
                self._booking.forget_availability()
                pending = [
                    (a, d) for office, days in targets for a, d in self.decisions(self.availability(office), days)
                ][:batch]
            if not pending:
                break
            for appointment, decision in pending:
                if decision is None:
                    result = next(iter(self._cancel_all([appointment], context)), None)
                else:
                    result = self._apply_one(appointment, decision, reason, context)
                if result is not None:
                    job["affected"] = [*job["affected"], result.as_json()]
                    job["done"] = min(int(job["done"]) + 1, max(int(job["total"]), int(job["done"]) + 1))
                    job["total"] = max(int(job["total"]), int(job["done"]))
                    self._state.put_job(job)
        job["status"] = "done"
        job.pop("lease_until", None)
        self._state.put_job(job)
        return job

    # --- the supervisor's list --------------------------------------------------------------------------------------
    def needing_rebooking(self, caller: Principal, office: object) -> list[Appointment]:
        place = self._booking.catalogue.office_named(office)
        require(caller, Action.VIEW_REBOOKING, Resource(ResourceKind.REBOOKING, place or ""))
        offices = [place] if place else [o.id for o in self._booking.catalogue.offices()]
        return [a for o in offices for a in self._store.needing_rebooking(o)]

    # --- schedules and leave ----------------------------------------------------------------------------------------
    def _staff_member(self, caller: Principal, username: str) -> dict[str, Any]:
        require(caller, Action.MANAGE_STAFF, Resource(ResourceKind.STAFF, username))
        found = self._staff.schedule_of(username) if len(username) <= 40 else None
        if found is None:
            raise NotFound("There is no such member of staff.")
        return found

    def schedule_json(self, member: dict[str, Any]) -> dict[str, Any]:
        office = member["office"]
        weekly = WeeklyHours.parse((member["schedule"] or {}).get(office, {}) if office else {}, "weekly")
        return {"office": office, "weekly": weekly.iso(), "version": member["version"]}

    def _agent(
        self,
        member: dict[str, Any],
        weekly: dict[str, Any] | None = None,
        exceptions: list[dict[str, Any]] | None = None,
    ) -> AgentSchedule | None:
        office = member["office"]
        if not office or not member["enabled"] or "agent" not in member["roles"]:
            return None
        hours = WeeklyHours.parse(
            weekly if weekly is not None else (member["schedule"] or {}).get(office, {}), "weekly"
        )
        return AgentSchedule(
            member["username"],
            office,
            {day: parse_intervals(spans) for day, spans in hours.intervals.items()},
            tuple(
                ScheduleException(
                    date.fromisoformat(e["date"]), str(e["kind"]), parse_intervals(e.get("intervals") or [])
                )
                for e in (exceptions if exceptions is not None else member["exceptions"])
            ),
        )

    def put_schedule(
        self,
        caller: Principal,
        username: str,
        request: Parsed[ScheduleChange],
        preview: bool,
        context: RequestContext,
    ) -> dict[str, Any]:
        member = self._staff_member(caller, username)
        change = request.command()
        office, weekly, version = change.office, change.weekly, change.version
        if office != member["office"]:
            raise ValidationFailed([FieldError("office", "one_of", choices=member["office"] or "-")])
        if version != member["version"]:
            raise version_conflict()
        agent = self._agent(member, weekly.iso())
        if preview:
            return (
                self.preview([(self.availability(str(office), agent=agent), None)]).as_json()
                if agent
                else {"affected": []}
            )
        before = self.schedule_json(member)
        schedule = {**(member["schedule"] or {}), str(office): weekly.iso()}
        if not self._staff.put_schedule(username, version, schedule, None):
            raise version_conflict()
        after = {"office": office, "weekly": weekly.iso(), "version": version + 1}
        self._record_admin(caller, "staff.schedule", f"staff:{username}", context, before, after)
        handled = self.reconcile([(str(office), None)], "schedule", context, agent)
        self.grew(str(office))
        return {"schedule": after, **handled.as_json()}

    def add_exception(
        self,
        caller: Principal,
        username: str,
        request: Parsed[NewScheduleException],
        preview: bool,
        context: RequestContext,
    ) -> dict[str, Any]:
        member = self._staff_member(caller, username)
        exception = request.command().stored()
        if any(e.get("date") == exception["date"] for e in member["exceptions"]):
            raise Conflict("already_exists", "This person already has an exception on that day: delete it first.")
        exceptions = [*member["exceptions"], exception]
        day = date.fromisoformat(exception["date"])
        agent = self._agent(member, exceptions=exceptions)
        removes = exception["kind"] == "leave" and member["office"]
        if preview:
            if not removes or agent is None:
                return {"affected": []}
            return self.preview([(self.availability(member["office"], agent=agent), [day])]).as_json()
        self._write_exceptions(member, username, exceptions)
        self._record_admin(caller, "staff.exception", f"staff:{username}", context, None, exception)
        handled = self.reconcile([(member["office"], [day])], "leave", context, agent) if removes else Handled([])
        if not removes:
            self.changed(member["office"])
            self.grew(member["office"])
        return {"exception": exception, **handled.as_json()}

    def delete_exception(
        self, caller: Principal, username: str, raw_day: str, preview: bool, context: RequestContext
    ) -> dict[str, Any]:
        member = self._staff_member(caller, username)
        found = next((e for e in member["exceptions"] if e.get("date") == raw_day), None)
        if found is None:
            raise NotFound("There is no exception on that day.")
        exceptions = [e for e in member["exceptions"] if e.get("date") != raw_day]
        day = date.fromisoformat(raw_day)
        removes = found.get("kind") == "extra" and member["office"]
        agent = self._agent(member, exceptions=exceptions)
        if preview:
            if not removes or agent is None:
                return {"affected": []}
            return self.preview([(self.availability(member["office"], agent=agent), [day])]).as_json()
        self._write_exceptions(member, username, exceptions)
        self._record_admin(caller, "staff.exception", f"staff:{username}", context, found, None)
        handled = self.reconcile([(member["office"], [day])], "schedule", context, agent) if removes else Handled([])
        if not removes:
            self.changed(member["office"])
            self.grew(member["office"])
        return handled.as_json()

    def _write_exceptions(self, member: dict[str, Any], username: str, exceptions: list[dict[str, Any]]) -> None:
        # Days long past change no slot: kept a month (the agenda's recent days), then dropped, so the list stays
        # within a year's days.
        kept_from = (self._booking.today() - timedelta(days=31)).isoformat()
        exceptions = sorted((e for e in exceptions if str(e.get("date", "")) >= kept_from), key=lambda e: e["date"])
        if not self._staff.put_schedule(username, member["version"], None, exceptions):
            raise version_conflict()

    # --- holidays ---------------------------------------------------------------------------------------------------
    def _year(self, raw: object) -> int:
        this = self._booking.today().year
        low, high = this - YEARS_BACK, this + YEARS_AHEAD
        try:
            year = int(str(raw)) if isinstance(raw, str | int) and len(str(raw)) == 4 else None
        except ValueError:
            year = None
        if year is None or not low <= year <= high:
            raise ValidationFailed([FieldError("year", "window_year", low=low, high=high)])
        return year

    def holidays_of(self, caller: Principal, raw_year: object) -> dict[str, Any]:
        require(caller, Action.MANAGE_CATALOGUE, Resource(ResourceKind.CATALOGUE, "holidays"))
        year = self.year_of(raw_year)
        items, version = self._holidays.year(year)
        return {"year": year, "items": [h.as_json() for h in items], "version": version}

    def year_of(self, raw: object) -> int:
        """The year a holiday list is asked for (absent: this one), within the years the calendar keeps."""
        return self._year(raw if raw not in (None, "") else str(self._booking.today().year))

    def save_holidays(
        self, caller: Principal, year: int, request: Parsed[HolidaysChange], preview: bool, context: RequestContext
    ) -> dict[str, Any]:
        require(caller, Action.MANAGE_CATALOGUE, Resource(ResourceKind.CATALOGUE, "holidays"))
        change = request.command()
        items, version = change.items, change.version
        offices = [o.id for o in self._booking.catalogue.offices()]
        current_items, current_version = self._holidays.year(year)
        if version != current_version:
            raise version_conflict()
        current = self._holidays.calendar()
        proposed = current.with_year(year, items)
        targets: list[Target] = []
        for office in offices:
            days = sorted(
                {h.day for h in items if proposed.is_holiday(h.day, office) and not current.is_holiday(h.day, office)}
            )
            if days:
                targets.append((office, days))
        if preview:
            return self.preview(
                [(self.availability(office, calendar=proposed), days) for office, days in targets]
            ).as_json()
        saved = [h.as_json() for h in items]
        if not self._state.put_holiday_year(year, saved, version + 1):
            raise version_conflict()
        self._record_admin(
            caller,
            "holidays.save",
            f"holidays:{year}",
            context,
            {"items": [h.as_json() for h in current_items], "version": current_version},
            {"items": saved, "version": version + 1},
        )
        handled = self.reconcile(targets, "holiday", context)
        self.grew(None)  # a holiday removed gives its day back
        return {"year": year, "items": saved, "version": version + 1, **handled.as_json()}

    def _record_appointment(
        self, action: str, appointment: Appointment, context: RequestContext, details: dict[str, str]
    ) -> None:
        """The capacity rules' change of an appointment, in the trail as the booking service records one."""
        before = json.dumps({"agent": appointment.agent, "status": appointment.status.value})
        self._booking.record_as(Actor.system("capacity"), action, appointment, context, {"before": before, **details})

    # --- audit ------------------------------------------------------------------------------------------------------
    def _record_admin(
        self,
        caller: Principal,
        action: str,
        subject: str,
        context: RequestContext,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        self._audit.record(
            AuditEvent(
                actor=caller.actor,
                action=action,
                subject=subject,
                outcome=Outcome.SUCCESS,
                context=context,
                purpose=PURPOSE,
                details=change_details(before, after),
            )
        )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


__all__ = ["CapacityService", "Handled", "HolidayBook", "replace"]
