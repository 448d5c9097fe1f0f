"""Who may call which route on whose data: every route of the app, every kind of caller, the owner's or another's.

HOW TO ADD A ROUTE: add one line to ``ROWS``, e.g.
    Row("POST", "/appointments/{appointment_id}/identity-check", PROCEDURE_WORK, body=DNI_SHOWN, fresh="appointment"),
``path`` is the route exactly as declared (``{appointment_id}``, ``{procedure_id}``, ``{document_id}``,
``{record_id}``, ``{csv}`` and ``{service_id}``, in the path or ``query``, are filled in from the world below);
the expectation is one of the presets (or ``expect(...)`` naming the roles that differ); ``fresh`` names what each
cell needs new because a success changes it; ``public=True`` for routes without sign-in (asked anonymously only).
``test_every_route_is_in_the_matrix`` fails until a new route has its line.

The world: citizen A (``12345678Z``) and citizen B (``99584529A``) each have an appointment at OMAC, a residence
certificate issued in it, and a recording in the retention register. Roles: anonymous; A by one-time code (low
assurance); A by eID (substantial); an impostor (a code sent to another address under A's ID number, the attack of
issue 13); the agent of OMAC and the agent of OGAT; a supervisor; an auditor; an admin. Cases: "own" asks for A's
resources, "other" for B's (for staff both are OMAC's, so the same answer). A cell's fresh resources belong to new
people (one active appointment per service and person): the citizen roles sign in as the owner for "own".

Expected answers: ``2xx``; ``3xx`` (a redirect); ``401`` (no token on an authenticated route); ``403`` (may see it,
may not do this, or needs eID); ``404`` (may not know it exists); ``4xx`` (refused some other way). On list routes
``2xx+`` / ``2xx-`` also require the case's resource to be in / absent from the answer.

``test_every_use_case_a_route_hands_the_caller_to_asks_the_policy`` reads the same rule from the code.
"""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
import uuid
from base64 import b64encode
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.api.commands import (
    identity_check,
    join_waitlist,
    new_staff,
    office_change,
    place_hold,
    run_procedure,
    service_change,
    stated_reason,
)
from chalicelib.auth.codes import contact_digest
from chalicelib.bootstrap import get_container
from chalicelib.domain.audit import RequestContext
from chalicelib.domain.catalogue import Assurance
from dev.seed import DemoCounts, padron
from infra.resources import physical_name
from tests.api.conftest import ROOT
from tests.api.test_calls import register_node
from tests.api.test_identity import body
from tests.api.test_procedures import INSTALMENTS, PEPPER, appointment, blank_pdf

A, A_EMAIL = "12345678Z", "rosa@example.org"
B, B_EMAIL = "99584529A", "b@example.org"
INTRUDER_EMAIL = "intruder@example.org"
RECORDINGS = physical_name("dev", "recordings")

ROLES = ("anonymous", "code", "eid", "impostor", "agent", "agent_other", "supervisor", "auditor", "admin")
CITIZENS = ("code", "eid", "impostor")
STAFF = ("agent", "agent_other", "supervisor", "auditor", "admin")
CASES = ("own", "other")
STAFF_USERS = {
    "agent": "agent.omac",
    "agent_other": "agent.ogat",
    "supervisor": "supervisor",
    "auditor": "auditor",
    "admin": "admin",
}

Expected = dict[str, tuple[str, str]]


def expect(default: str | tuple[str, str] = "404", **roles: str | tuple[str, str]) -> Expected:
    """The answer per role as (own, other); one string means the same for both. Anonymous gets 401 unless told."""
    table: Expected = {}
    for role in ROLES:
        value = roles.get(role, "401" if role == "anonymous" else default)
        table[role] = value if isinstance(value, tuple) else (value, value)
    return table


OWN_ONLY = ("2xx", "404")
# A citizen's case (appointment, procedure, document): its owner (code or eID), the office's agent and any
# supervisor; the other office's agent, auditors, admins and an impostor are told it does not exist.
CASE_READ = expect(code=OWN_ONLY, eid=OWN_ONLY, agent="2xx", supervisor="2xx")
# Changing a case (cancel, reschedule): the same people as reading it.
CASE_CHANGE = CASE_READ
# Work only the office's agent does in a case: closing it (a supervisor, who can see the case, is refused: 403);
# procedures and attachments (an action that does not apply to a supervisor's view of a case: 404, as if it did not
# exist); everyone else is told it does not exist.
CASE_AGENT_WORK = expect(agent="2xx", supervisor="403")
PROCEDURE_WORK = expect(agent="2xx")
# Staff-only lists, per role; an office's agenda for its agents and supervisors.
AUDITORS = expect(auditor="2xx")
OFFICE = expect(agent="2xx", supervisor="2xx")
SUPERVISORS = expect(supervisor="2xx")
# Records (recordings, documents in the retention register): legal holds are for supervisors and admins.
HOLDERS = expect(supervisor="2xx", admin="2xx")
# The supervisor's figures: supervisors and admins.
FIGURES = expect(supervisor="2xx", admin="2xx")
# The back office (issue 15): administrators only; everyone else signed in is told it does not exist.
ADMINS = expect(admin="2xx")
# Anyone signed in; the answer is about the caller.
SIGNED_IN = expect("2xx")
# No sign-in at all (only asked anonymously: a token changes nothing): the answer named.
PUBLIC = expect("2xx", anonymous="2xx")
PUBLIC_3XX = expect("3xx", anonymous="3xx")
PUBLIC_4XX = expect("4xx", anonymous="4xx")
PUBLIC_404 = expect("404", anonymous="404")
PUBLIC_410 = expect("410", anonymous="410")
# Lists (asked for OMAC's or the case's appointment): a citizen sees their own (``+``) and never another's (``-``);
# staff, an office's or a case's they may see.
APPOINTMENT_LIST = expect(code=("2xx+", "2xx-"), eid=("2xx+", "2xx-"), impostor="2xx-", agent="2xx+", supervisor="2xx+")
DOCUMENT_LIST = expect(code=("2xx+", "404"), eid=("2xx+", "404"), agent="2xx+", supervisor="2xx+")
# Booking: a citizen for themselves, staff of the service's office (and supervisors) for a citizen.
BOOKING = expect("403", anonymous="401", code="2xx", eid="2xx", impostor="2xx", agent="2xx", supervisor="2xx")
# Joining a waitlist: a citizen for themselves (within their sign-in's scope); staff are told it does not exist.
WAITLISTING = expect(code="2xx", eid="2xx", impostor="2xx")
# The citizen's own device check: its owner only; staff who can see the case are refused (it is not their devices).
OWNER_CHECK = expect(code=OWN_ONLY, eid=OWN_ONLY, agent="403", supervisor="403")


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expected: Expected
    body: Mapping[str, Any] | None = None
    query: str = ""
    fresh: str | None = None  # a World factory: a new resource for every cell, because a success changes it
    listing: str | None = None  # list routes: the World resource whose ids must (not) appear (``2xx+`` / ``2xx-``)
    public: bool = False  # no sign-in: asked anonymously only


RESIDENCE = {"type": "residence_certificate", "data": {"certificate_type": "individual", "requester": "holder"}}
PDF = {
    "filename": "authorisation.pdf",
    "content_type": "application/pdf",
    "data_base64": b64encode(blank_pdf()).decode(),
}
REASON = {"reason": "Complaint 2026/114 about the call"}
TO_SLOT = {"start": "{slot}"}
COMPLETED = {"outcome": "completed"}
WEEKDAYS = {"1": [["09:00", "14:00"]]}
NEW_OFFICE = {"id": "{new_office}", "name": {"ca": "Nova", "es": "Nueva", "en": "New"}, "opening_hours": WEEKDAYS}
OFFICE_CHANGE = {"name": {"ca": "Canviada", "es": "Cambiada", "en": "Changed"}, "opening_hours": WEEKDAYS, "version": 1}
SERVICE_BODY = {
    "office": "OMAC",
    "name": {"ca": "Consulta", "es": "Consulta", "en": "Enquiry"},
    "description": {"ca": "Una consulta", "es": "Una consulta", "en": "An enquiry"},
    "duration_minutes": 15,
    "min_assurance": "low",
    "procedure": None,
}
NEW_SERVICE = {"id": "{new_service}", **SERVICE_BODY}
DNI_SHOWN = {"method": "dni_shown", "matches": True}
PREFLIGHT = {
    "camera": True,
    "microphone": True,
    "speaker": True,
    "network": {"down_kbps": 2000, "up_kbps": 900, "rtt_ms": 60, "media_node": True, "turn": "not_configured"},
}
NEW_STAFF = {"username": "-", "name": "Matrix Person", "email": "m@example.org", "roles": ["agent"], "office": "OMAC"}
OFFICES = frozenset({"OMAC", "OGAT"})
SCHEDULE = {"office": "OMAC", "weekly": {"1": [["09:00", "14:00"]]}, "version": "{version}"}
EXTRA_DAY = {"date": "{day}", "kind": "extra", "intervals": [["16:00", "17:00"]]}
SCHEDULED = "agent.omac2"  # whose schedule and exceptions the capacity rows write
JOB_ID = "00000000-0000-4000-8000-00000000a001"
HAND_OVER = {"agent": "agent.omac2"}

ROWS: tuple[Row, ...] = (
    # --- public: no personal data, or checked by their own secret (the code, the CSV and ID number, the node's key)
    Row("GET", "/health", PUBLIC, public=True),
    Row("GET", "/offices", PUBLIC, public=True),
    Row("GET", "/services", PUBLIC, public=True),
    Row("GET", "/services/{service_id}", PUBLIC, public=True),
    Row("GET", "/services/{service_id}/slots", PUBLIC, public=True),
    Row("GET", "/audit/public-keys", PUBLIC, public=True),
    Row("GET", "/.well-known/jwks.json", PUBLIC, public=True),
    Row("GET", "/verify/{csv}", PUBLIC_404, query="id_number=00000000T", public=True),  # the holder's ID number
    Row("POST", "/auth/otp", PUBLIC_4XX, body={"id_number": "bad"}, public=True),
    Row("POST", "/auth/otp/verify", PUBLIC_4XX, body={"challenge_id": "x", "code": "000000"}, public=True),
    Row("GET", "/auth/eid/start", PUBLIC_3XX, query="attempt=" + "a" * 32, public=True),  # to the identity provider
    Row("GET", "/auth/eid/callback", PUBLIC_3XX, query="state=unknown", public=True),  # back to the app, failed
    Row("POST", "/auth/staff/login", PUBLIC_4XX, body={"username": "nobody", "password": "x"}, public=True),
    Row("POST", "/media/events", PUBLIC_4XX, body={"type": "waiting"}, public=True),  # not signed by a node
    Row("POST", "/media/sessions", PUBLIC_4XX, body={"sessions": []}, public=True),  # not signed by a node
    Row("GET", "/retention", PUBLIC, public=True),  # how long recordings and documents are kept
    Row("GET", "/dev/outbox", PUBLIC, query="to=nobody@example.org", public=True),  # the dev stage only
    Row("POST", "/instalment-plans/preview", SIGNED_IN, body=INSTALMENTS),  # arithmetic on amounts, nobody's data
    # --- the caller's own
    Row("GET", "/me", SIGNED_IN),
    Row("POST", "/auth/logout", SIGNED_IN),
    Row("GET", "/me/access-log", expect(eid="2xx", code="403", impostor="403")),
    Row("GET", "/appointments", APPOINTMENT_LIST, query="office=OMAC", listing="appointment"),
    Row("GET", "/documents", DOCUMENT_LIST, query="appointment={appointment_id}", listing="document"),
    # --- a citizen's case
    Row("POST", "/appointments", BOOKING, fresh="booking"),
    Row("GET", "/appointments/{appointment_id}", CASE_READ),
    Row("GET", "/appointments/{appointment_id}/calendar.ics", CASE_READ),
    # Not yet started: an appointment under way is neither changed nor cancelled (409 already_started).
    Row("POST", "/appointments/{appointment_id}/cancel", CASE_CHANGE, fresh="upcoming"),
    Row("POST", "/appointments/{appointment_id}/reschedule", CASE_CHANGE, body=TO_SLOT, fresh="upcoming"),
    Row("POST", "/appointments/{appointment_id}/outcome", CASE_AGENT_WORK, body=COMPLETED, fresh="appointment"),
    Row("POST", "/appointments/{appointment_id}/call", CASE_READ, fresh="appointment"),
    Row("GET", "/appointments/{appointment_id}/preflight", CASE_READ),
    Row("PUT", "/appointments/{appointment_id}/preflight", OWNER_CHECK, body=PREFLIGHT),
    Row("GET", "/appointments/{appointment_id}/procedure-form", PROCEDURE_WORK),
    Row("POST", "/appointments/{appointment_id}/identity-check", PROCEDURE_WORK, body=DNI_SHOWN, fresh="appointment"),
    # Its appointment's citizen had their DNI checked in the call (a residence certificate holds register data).
    Row("POST", "/appointments/{appointment_id}/procedures", PROCEDURE_WORK, body=RESIDENCE, fresh="registered"),
    Row("GET", "/appointments/{appointment_id}/procedures", CASE_READ),
    Row("POST", "/appointments/{appointment_id}/attachments", PROCEDURE_WORK, body=PDF, fresh="appointment"),
    Row("GET", "/procedures/{procedure_id}", CASE_READ),
    Row("POST", "/procedures/{procedure_id}/confirm", expect(code=("4xx", "404"), eid=("4xx", "404"))),
    Row("GET", "/documents/{document_id}", CASE_READ),
    Row("GET", "/agenda", OFFICE, query="office=OMAC"),
    # --- the waiting room's queue (issue 16): the case's readers; the overflow list for the office's staff; taking a
    # citizen is an agent's (here nobody is waiting: 409), handing one over a supervisor's
    Row("GET", "/appointments/{appointment_id}/queue", CASE_READ),
    Row("GET", "/queue/overflow", OFFICE, query="office=OMAC"),
    Row("POST", "/appointments/{appointment_id}/take", expect(agent="4xx", supervisor="403")),
    Row("POST", "/appointments/{appointment_id}/hand-over", expect(agent="403", supervisor="4xx"), body=HAND_OVER),
    # --- records and the trail
    Row("GET", "/recordings", SUPERVISORS),
    Row("POST", "/recordings/{record_id}/playback", SUPERVISORS, body=REASON),
    Row("POST", "/records/{record_id}/legal-hold", HOLDERS, body={"hold": True, **REASON}),
    Row("POST", "/records/{record_id}/legal-hold/release", HOLDERS, body=REASON, fresh="held_record"),
    Row("POST", "/records/{record_id}/legal-hold/release/approve", HOLDERS, body=REASON, fresh="release_requested"),
    Row("GET", "/audit/events", AUDITORS),
    Row("GET", "/audit/export", AUDITORS),
    Row("POST", "/audit/verify", AUDITORS),
    # --- the supervisor's figures (issue 15): supervisors for any office, admins; nobody else knows of them
    Row("GET", "/stats", FIGURES, query="office=OMAC"),
    Row("GET", "/stats.csv", FIGURES),
    # --- staff administration (issue 15); setting a password takes the emailed link's secret, not a sign-in
    Row("GET", "/admin/staff", ADMINS, query="office=OMAC"),
    Row("POST", "/admin/staff", ADMINS, fresh="new_staff"),
    Row("GET", "/admin/staff/{username}", ADMINS),
    Row("PUT", "/admin/staff/{username}", ADMINS, fresh="staff"),
    Row("POST", "/admin/staff/{username}/invitation", ADMINS, fresh="staff"),
    Row("POST", "/admin/staff/{username}/password-reset", ADMINS),
    Row("POST", "/auth/staff/activate", PUBLIC_410, body={"token": "unknown", "password": "x" * 12}, public=True),
    # --- the back office (issue 15): administrators; a write's fresh record, since a success changes it
    Row("GET", "/admin/offices", ADMINS),
    Row("POST", "/admin/offices", ADMINS, body=NEW_OFFICE, fresh="new_office"),
    Row("PUT", "/admin/offices/{office_id}", ADMINS, body=OFFICE_CHANGE, fresh="office"),
    Row("GET", "/admin/services", ADMINS, query="office=OMAC"),
    Row("POST", "/admin/services", ADMINS, body=NEW_SERVICE, fresh="new_service"),
    Row("PUT", "/admin/services/{service_id}", ADMINS, body={**SERVICE_BODY, "version": 1}, fresh="service"),
    Row("GET", "/admin/procedures", ADMINS),
    # --- capacity (issue 15): schedules, leave, holidays and jobs for admins; the "needs rebooking" list for
    # supervisors and admins (the citizen of an appointment that needs rebooking acts through its one-tap links)
    Row("PUT", "/admin/staff/{username}/schedule", ADMINS, body=SCHEDULE, fresh="schedule"),
    Row("POST", "/admin/staff/{username}/exceptions", ADMINS, body=EXTRA_DAY, fresh="free_day"),
    Row("DELETE", "/admin/staff/{username}/exceptions/{day}", ADMINS, fresh="exception"),
    Row("GET", "/admin/holidays", ADMINS, query="year={year}"),
    Row("PUT", "/admin/holidays/{year}", ADMINS, body={"items": [], "version": "{version}"}, fresh="holidays"),
    Row("GET", "/admin/jobs/{job_id}", ADMINS),
    Row("GET", "/rebooking", FIGURES, query="office=OMAC"),
    # --- one-tap links (issue 16): the token is the proof (an unknown one: 404, a malformed one: 422); for services
    # above low an eID sign-in of the same person comes with it (tests/api/test_links.py)
    Row("GET", "/links/{token}", PUBLIC_4XX, public=True),
    Row("POST", "/links/{token}", PUBLIC_4XX, public=True),
    # --- the waitlist (issue 16): a citizen's own entries, within the bookings' scope (an impostor's code sign-in
    # joins for itself and never sees the owner's entry); offers by one-time link (tests/api/test_waitlist*.py)
    Row("POST", "/waitlist", WAITLISTING, fresh="waitlist_join"),
    Row("GET", "/waitlist", WAITLISTING),
    Row("DELETE", "/waitlist/{entry_id}", expect(code=OWN_ONLY, eid=OWN_ONLY), fresh="waitlist"),
    Row("GET", "/offers/{token}", PUBLIC_4XX, public=True),
    Row("POST", "/offers/{token}/accept", PUBLIC_4XX, public=True),
)


@dataclass
class World:
    """A's and B's resources, and tokens for every role."""

    client: Client
    created: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The container is built (with the stage's environment, which the test client sets) by a request that uses it.
        self.client.http.get("/services")
        register_node("node-a")
        for case, (citizen, email) in (("own", (A, A_EMAIL)), ("other", (B, B_EMAIL))):
            appointment_id = appointment("residence-certificate", "OMAC", citizen, email)
            self.check_identity(appointment_id)
            procedure = get_container().procedures.run(
                self.principal("agent"), appointment_id, run_procedure(RESIDENCE), RequestContext("matrix")
            )
            document_id = procedure.documents[0].id
            self.created[case] = {
                "appointment": appointment_id,
                "procedure": procedure.id,
                "document": document_id,
                "csv": procedure.documents[0].csv,
                "record": self.recording(appointment_id),
            }
        get_container().capacity_state.put_job(
            {"id": JOB_ID, "kind": "reconcile", "status": "done", "total": 0, "done": 0, "affected": [], "targets": []}
        )

    @cached_property
    def _registered(self) -> Iterator[str]:
        """Adults in the demo padrón other than A and B, one per cell that needs one."""
        return iter(
            [p["id_number"] for p in padron() if p["birth_date"] < "2008-01-01" and p["id_number"] not in (A, B)]
        )

    @cached_property
    def _accounts(self) -> dict[str, Any]:
        return {role: get_container().staff.get(username) for role, username in STAFF_USERS.items()}

    def principal(self, role: str) -> Any:
        return get_container().sessions.authenticate(f"Bearer {self.token(role)}")

    def token(self, role: str, citizen: str = A) -> str | None:
        """A new token for each cell (a cell may log out, or an earlier one may have); citizens sign in as
        ``citizen`` (A, or the owner of a cell's fresh resources)."""
        sessions = get_container().sessions
        if role == "anonymous":
            return None
        if role in STAFF:
            return sessions.issue_staff(self._accounts[role]).token
        if role == "eid":
            return sessions.issue_citizen(citizen, Assurance.SUBSTANTIAL, "idcat_mobil", None, None).token
        email = INTRUDER_EMAIL if role == "impostor" else A_EMAIL
        return sessions.issue_citizen(citizen, Assurance.LOW, "otp", contact_digest(PEPPER, email), None).token

    def ids(self, case: str, fresh: str | None) -> dict[str, str]:
        """What a cell's request names, and ``me``: who the citizen roles sign in as. A fresh resource belongs to new
        people (one active appointment per service and person): ``me`` for "own", someone else for "other"."""
        if fresh is None:
            return {**self.created[case], "me": A}
        if fresh in ("staff", "new_staff"):  # a member of staff nobody has changed yet (or a free user name)
            username = f"matrix.{uuid.uuid4().hex[:12]}"
            if fresh == "staff":
                get_container().staff_admin.create(
                    self.principal("admin"),
                    new_staff(NEW_STAFF | {"username": username}, offices=OFFICES),
                    RequestContext("matrix"),
                    "en",
                )
            return {**self.created[case], "me": A, "username": username}
        if fresh in ("new_office", "office", "new_service", "service"):
            return {**self.created[case], "me": A, **self.catalogue_record(fresh)}
        me, other = new_id_number(), new_id_number()
        owner = me if case == "own" else other
        ids = {"me": me, "owner": owner}
        if fresh == "waitlist_join":
            return ids
        if fresh == "waitlist":  # the owner's entry, joined by a code sign-in with A's address
            ids["entry"] = self.waitlist_entry(owner)
            return ids
        if fresh == "registered":  # a procedure reads the padrón: someone in it
            owner = next(self._registered)
            ids = {"me": owner if case == "own" else me, "owner": owner}
        if fresh == "upcoming":  # tomorrow: still open to a change or a cancellation
            ids["appointment"] = appointment("residence-certificate", "OMAC", owner, A_EMAIL, later=timedelta(days=1))
        elif fresh != "booking":
            ids["appointment"] = appointment("residence-certificate", "OMAC", owner, A_EMAIL)
        if fresh == "registered":
            self.check_identity(ids["appointment"])
        if fresh == "appointment":
            register_node("node-a")  # a live media node for the call (its heartbeat is now)
        if fresh in ("held_record", "release_requested"):
            ids["record"] = self.recording(ids["appointment"])
            records, admin = get_container().records, self.principal("admin")
            records.hold(admin, ids["record"], place_hold({"hold": True, **REASON}), RequestContext("matrix"))
            if fresh == "release_requested":  # asked by someone who is none of the roles here
                asker = replace(admin, subject="admin.other")
                records.request_release(asker, ids["record"], stated_reason(REASON), RequestContext("matrix"))
        if fresh in ("schedule", "free_day", "exception", "holidays"):
            return {**self.capacity_ids(fresh), "me": A}
        if fresh == "booking":
            ids["slot"] = self.free_slot("change-of-address")
        elif fresh in ("appointment", "upcoming"):
            ids["slot"] = self.free_slot("residence-certificate")
        return ids

    def catalogue_record(self, fresh: str) -> dict[str, str]:
        """A new office or service id (``new_…``), or an office or service made for the cell (version 1)."""
        office, service = f"T{uuid.uuid4().hex[:8].upper()}", f"matrix-{uuid.uuid4().hex[:12]}"
        admin, context = get_container().catalogue_admin, RequestContext("matrix")
        if fresh == "office":
            admin.create_office(self.principal("admin"), office_change({**NEW_OFFICE, "id": office}), context)
        if fresh == "service":
            admin.create_service(self.principal("admin"), service_change({**NEW_SERVICE, "id": service}), context)
        return {"new_office": office, "office": office, "new_service": service, "service": service}

    def waitlist_entry(self, owner: str) -> str:
        container = get_container()
        caller = container.sessions.authenticate(f"Bearer {self.token('code', owner)}")
        service = container.waitlist.service("residence-certificate")
        joined = join_waitlist(waiting(), **waitlist_days())
        return container.waitlist.join(caller, service, joined, RequestContext("m")).id

    def capacity_ids(self, fresh: str) -> dict[str, str]:
        """The capacity rows' cells: the schedule's or the holidays' current version, an unused day, a day with an
        exception (each cell its own day, a year on: nothing booked then)."""
        container = get_container()
        member = container.staff.schedule_of(SCHEDULED) or {}
        self._days = getattr(self, "_days", 0) + 1
        day = (container.booking.today() + timedelta(days=300 + self._days)).isoformat()
        ids = {"version": str(member.get("version", 1)), "day": day}
        if fresh == "exception":
            exceptions = [
                *member.get("exceptions", []),
                {"date": day, "kind": "extra", "intervals": [["16:00", "17:00"]]},
            ]
            assert container.staff.put_schedule(SCHEDULED, int(member["version"]), None, exceptions)
        if fresh == "holidays":
            ids["version"] = str(container.holiday_book.year(self.holiday_year())[1])
        return ids

    def holiday_year(self) -> int:
        return get_container().booking.today().year + 2

    def check_identity(self, appointment_id: str) -> None:
        """The office's agent saw the citizen's DNI in the call (documents with personal data need it)."""
        get_container().booking.check_identity(
            self.principal("agent"), appointment_id, identity_check(DNI_SHOWN), RequestContext("m")
        )

    def free_slot(self, service: str) -> str:
        found = body(self.client.http.get(f"/services/{service}/slots"))["items"]
        return str(next(s["start"] for s in found if s["available"]))

    def recording(self, appointment_id: str) -> str:
        room = uuid.uuid4().hex[:12]
        get_container().records.register_recording(
            appointment_id,
            room,
            {"bucket": RECORDINGS, "manifest_key": f"recordings/{appointment_id}/{room}/manifest.json"},
        )
        return f"rec-{room}"


def waitlist_days() -> dict[str, date]:
    """The days a waitlist entry may name: today to the service's booking horizon."""
    container = get_container()
    service = container.waitlist.service("residence-certificate")
    return {"today": container.booking.today(), "latest": container.waitlist.latest_day(service)}


def waiting() -> dict[str, Any]:
    """A week from tomorrow on residence certificates' waitlist, offers to A's address."""
    today = get_container().booking.today()
    return {
        "service_id": "residence-certificate",
        "from": (today + timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=7)).isoformat(),
        "contact": {"email": A_EMAIL},
        "language": "en",
    }


def new_id_number() -> str:
    """A valid DNI nobody else in the test has."""
    number = uuid.uuid4().int % 10**8
    return f"{number:08d}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"


def request_of(row: Row, ids: Mapping[str, str]) -> tuple[str, Any]:
    path = row.path + ("?" + row.query if row.query else "")
    for name, key in (
        ("appointment_id", "appointment"),
        ("procedure_id", "procedure"),
        ("document_id", "document"),
        ("record_id", "record"),
        ("csv", "csv"),
        ("entry_id", "entry"),
    ):
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", ids[key])
    path = path.replace("{service_id}", ids.get("service", "residence-certificate"))
    path = path.replace("{office_id}", ids.get("office", "OMAC"))
    path = path.replace("{username}", ids.get("username", SCHEDULED))
    path = path.replace("{job_id}", JOB_ID).replace("{token}", "unknown-link-0001")
    path = path.replace("{day}", ids.get("day", "")).replace("{year}", str(get_container().booking.today().year + 2))
    payload: Any = row.body
    if row.fresh == "new_staff":
        payload = NEW_STAFF | {"username": ids["username"]}
    elif row.fresh == "staff" and row.method == "PUT":
        payload = {k: v for k, v in NEW_STAFF.items() if k != "username"} | {"enabled": True, "version": 1}
    elif row.fresh == "waitlist_join":
        payload = waiting()
    elif row.fresh == "booking":
        payload = {
            "service_id": "change-of-address",
            "start": ids["slot"],
            "language": "en",
            "citizen": {"id_number": ids["owner"], "name": "Rosa Roca"},
            "contact": {"email": A_EMAIL},
        }
    elif payload is not None:
        text = json.dumps(payload).replace('"{slot}"', json.dumps(ids.get("slot", "")))
        for name in ("new_office", "new_service"):
            text = text.replace('"{' + name + '}"', json.dumps(ids.get(name, "")))
        text = text.replace('"{day}"', json.dumps(ids.get("day", ""))).replace('"{version}"', ids.get("version", "0"))
        payload = json.loads(text)
    return path, payload


def matches(expected: str, status: int, text: str, ids: Mapping[str, str], listing: str | None) -> bool:
    if expected.startswith("2xx"):
        if not 200 <= status < 300:
            return False
        if listing is not None and expected != "2xx":
            return (ids[listing] in text) == expected.endswith("+")
        return True
    if expected in ("3xx", "4xx"):
        return int(expected[0]) * 100 <= status < int(expected[0]) * 100 + 100
    return status == int(expected)


def call(client: Client, method: str, path: str, payload: Any, token: str | None) -> Any:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    if method == "GET":
        return client.http.get(path, headers=headers)
    return client.http.request(method, path, headers=headers, body=json.dumps(payload or {}).encode())


def test_every_route_is_in_the_matrix() -> None:
    from app import app

    served = {(method, path) for path, methods in app.routes.items() for method in methods}
    rows = [(row.method, row.path) for row in ROWS]
    assert len(rows) == len(set(rows)), "a route has two rows"
    missing = sorted(served - set(rows))
    assert not missing, f"routes without a row in the authorization matrix (add one line each to ROWS): {missing}"
    assert not sorted(set(rows) - served), "rows for routes the app does not serve"


# About 1,500 requests in one test (100 s alone): a busy 2-core machine may need several times that.
@pytest.mark.timeout(1200)
def test_every_route_answers_each_role_as_the_policy_says(client: Client, demo: DemoCounts) -> None:
    world = World(client)
    wrong: list[str] = []
    cells = 0
    for row in ROWS:
        for case in CASES:
            for role in ("anonymous",) if row.public else ROLES:
                ids = world.ids(case, row.fresh)
                path, payload = request_of(row, ids)
                answer = call(client, row.method, path, payload, world.token(role, ids["me"]))
                text = answer.body.decode() if isinstance(answer.body, bytes) else str(answer.body)
                expected = row.expected[role][CASES.index(case)]
                cells += 1
                if not matches(expected, answer.status_code, text, ids, row.listing):
                    code = body(answer).get("code") if text.startswith("{") else None
                    got = f"{answer.status_code} {code}"
                    wrong.append(f"{row.method} {row.path} [{role}, {case}]: {got}, not {expected}")
    assert cells == sum(len(CASES) * (1 if row.public else len(ROLES)) for row in ROWS)
    assert not wrong, "\n".join(wrong)


# --- the same rule read from the code: every use case a route hands the caller to asks the policy -------------------

# Policy entry points: ``require`` (refuse), ``decide`` (filter a list), and helpers named for them.
POLICY_CALLS = {"require", "decide", "_decide_view"}
# Use cases that take the caller but touch nobody else's data, and why.
CALLER_ONLY = {
    ("Sessions", "revoke"): "ends the caller's own session",
}


def _service_classes() -> dict[str, tuple[ast.ClassDef, ast.Module]]:
    """Every class of chalicelib/services by name, with its module's tree (for module-level helpers)."""
    found = {}
    for path in sorted((ROOT / "chalicelib" / "services").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                found[node.name] = (node, tree)
    return found


def _container_types() -> dict[str, str]:
    """The composition root's getters: ``booking`` → ``BookingService`` (from their return annotations)."""
    from chalicelib.bootstrap import Container

    return {
        name: str(member.func.__annotations__.get("return"))
        for name, member in vars(Container).items()
        if isinstance(member, cached_property)
    }


def _handed_the_caller(view: Callable[..., Any]) -> list[tuple[str, str]]:
    """(container getter, method) of each use case the view calls with ``principal()``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(view))))
    services: dict[str, str] = {}  # local name → container getter (``booking = get_container().booking``)
    containers: set[str] = set()  # local names holding the container (``container = get_container()``)
    callers = {"principal"}  # local names holding the caller (``caller = principal()``)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
            if isinstance(value, ast.Attribute) and _is_container(value.value, containers):
                services[name] = value.attr
            if _is_container(value, set()):
                containers.add(name)
            if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "principal":
                callers.add(name)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        getter = owner.attr if isinstance(owner, ast.Attribute) and _is_container(owner.value, containers) else None
        getter = getter or (services.get(owner.id) if isinstance(owner, ast.Name) else None)
        if getter and any(_names_caller(arg, callers) for arg in node.args):
            found.append((getter, node.func.attr))
    return found


def _is_container(node: ast.expr, names: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in names
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == "get_container"


def _names_caller(node: ast.expr, callers: set[str]) -> bool:
    if isinstance(node, ast.Call):
        return getattr(node.func, "id", None) == "principal"
    return isinstance(node, ast.Name) and node.id in callers


def _asks_policy(class_name: str, method: str, classes: Mapping[str, tuple[ast.ClassDef, ast.Module]]) -> bool:
    """Whether the method, or what it calls in its class or module, calls the policy; a call handing ``caller`` to
    another use case (``self._booking.get(caller, ...)``) counts if that one asks."""
    cls, module = classes[class_name]
    functions = {f.name: f for f in [*cls.body, *module.body] if isinstance(f, ast.FunctionDef)}
    delegates = _delegates(cls)

    def asks(name: str, seen: frozenset[str]) -> bool:
        for node in ast.walk(functions[name]):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in POLICY_CALLS:
                return True
            if called in functions and called not in seen and asks(called, seen | {called}):
                return True
            target = func.value if isinstance(func, ast.Attribute) else None
            if (
                isinstance(target, ast.Attribute)
                and target.attr in delegates
                and any(_names_caller(a, {"caller"}) for a in node.args)
                and _asks_policy(delegates[target.attr], called, classes)
            ):
                return True
        return False

    return method in functions and asks(method, frozenset({method}))


def _delegates(cls: ast.ClassDef) -> dict[str, str]:
    """``self._booking`` → ``BookingService``, from the constructor's annotated parameters."""
    init = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
    if init is None:
        return {}
    return {f"_{a.arg}": ast.unparse(a.annotation) for a in init.args.args if a.annotation is not None}


def test_every_use_case_a_route_hands_the_caller_to_asks_the_policy() -> None:
    from app import app

    classes = _service_classes()
    types = _container_types()
    reached = {
        (types[getter], method)
        for methods in app.routes.values()
        for entry in methods.values()
        for getter, method in _handed_the_caller(entry.view_function)
    }
    assert {("BookingService", "get"), ("BookingService", "book"), ("Sessions", "revoke")} <= reached  # it finds them
    unguarded = sorted(
        f"{cls}.{method}"
        for cls, method in reached
        if (cls, method) not in CALLER_ONLY and not _asks_policy(cls, method, classes)
    )
    assert unguarded == [], "use cases reached from a route with the caller that never ask chalicelib/auth/policy.py"
