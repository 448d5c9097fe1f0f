"""The supervisor's figures (issue 15): for a period of council days and one office or all, each service's
appointments counted by their status as it stands, waits, call lengths, documents issued and failed recordings.

Who may: supervisors (any office) and administrators; anyone else is told the figures do not exist (404). The read
holds no personal data (counts and times) and is audited like the trail's reads (``stats.read``).

Reads: the appointments of each office and day through the booking store (``of_office_day``), their calls at once
(``many``), and the documents of the appointments that can have any (those that have a call or were closed as
completed or incomplete: documents are issued in the call).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.auth.policy import Action, Resource, ResourceKind, require
from chalicelib.auth.principal import Principal
from chalicelib.domain.appointments import Appointment, Status
from chalicelib.domain.audit import AuditEvent, Outcome, RequestContext
from chalicelib.domain.bounds import Window, agenda_window
from chalicelib.domain.catalogue import OfficeId
from chalicelib.domain.stats import Figures, office_figures
from chalicelib.services.commands import Parsed, StatsQuery
from chalicelib.services.ports import AuditLog, BookingStore, CallStore

_STATS = Resource(ResourceKind.STATS)
_WITH_DOCUMENTS = (Status.COMPLETED, Status.INCOMPLETE)


class StatsService:
    def __init__(
        self,
        appointments: BookingStore,
        calls: CallStore,
        documents_of: Callable[[str], list[dict[str, Any]]],
        audit: AuditLog,
        zone: ZoneInfo,
        offices: Callable[[], list[OfficeId]],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._appointments = appointments
        self._calls = calls
        self._documents_of = documents_of
        self._audit = audit
        self.zone = zone
        self.offices = offices  # the catalogue's office ids, in its order
        self._clock = clock

    def today(self) -> date:
        """The council's day now: the period's bounds default to it."""
        return self._clock().astimezone(self.zone).date()

    def window(self) -> Window:
        """The days figures may be asked for: the service's life up to the last bookable day."""
        return agenda_window(self.today())

    def figures(self, caller: Principal, request: Parsed[StatsQuery], context: RequestContext) -> Figures:
        require(caller, Action.VIEW_STATS, _STATS)
        query = request.command()
        offices = (query.office,) if query.office else tuple(self.offices())
        days = [query.start + timedelta(days=n) for n in range((query.end - query.start).days + 1)]
        per_office: dict[OfficeId, list[Appointment]] = {
            office: [a for day in days for a in self._appointments.of_office_day(office, day.isoformat())]
            for office in offices
        }
        every = [a for found in per_office.values() for a in found]
        calls = self._calls.many([a.id for a in every]) if every else {}
        documents = {
            a.id: sum(1 for d in self._documents_of(a.id) if d.get("kind") != "attachment")
            for a in every
            if a.id in calls or a.status in _WITH_DOCUMENTS
        }
        result = Figures(
            query.start,
            query.end,
            tuple(office_figures(office, per_office[office], calls, documents) for office in offices),
        )
        self._audit.record(
            AuditEvent(
                actor=caller.actor,
                action="stats.read",
                subject=f"stats:{query.start.isoformat()}/{query.end.isoformat()}",
                outcome=Outcome.SUCCESS,
                context=context,
                purpose="supervision",
                details={"office": query.office if query.office else "all", "appointments": str(len(every))},
            )
        )
        return result
