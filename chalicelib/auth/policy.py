"""The one place that decides who may do what to which resource.

Every use case calls ``require(principal, action, resource)`` before touching a resource. Decisions:
- allowed;
- hidden: the caller may not even know the resource exists → 404 ``not_found`` (another citizen's appointment,
  another office's case file);
- refused: the caller can see the resource but not do this → 403 ``forbidden``;
- needs a stronger identification (eIDAS level) → 403 ``insufficient_assurance``.

Ownership of a citizen's resource: an eID sign-in (substantial or high) proves the identity, so the ID number is
enough; a one-time code proves only control of an address, so a code-verified citizen owns what was created under the
same ID number AND the same verified contact. Without that, anyone who knows someone's ID number could read their
appointments by having a code sent to their own address. Booking limits follow the same scope (a code sign-in's are
counted per ID number and verified contact, an eID sign-in's over the whole ID number: see
chalicelib/adapters/dynamo/booking.py), so a refusal never tells anyone about a booking they may not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from chalicelib.auth.principal import Principal, Role
from chalicelib.domain.catalogue import Assurance, OfficeId
from chalicelib.domain.errors import DomainError, Forbidden, NotFound


class Action(StrEnum):
    BOOK = "book"  # book an appointment for a service (citizen for themselves, staff on behalf)
    VIEW = "view"  # read an appointment, procedure or document
    CHANGE = "change"  # cancel or reschedule an appointment
    JOIN_CALL = "join_call"
    RECORD_OUTCOME = "record_outcome"
    VIEW_AGENDA = "view_agenda"
    RUN_PROCEDURE = "run_procedure"
    CONFIRM = "confirm"  # the citizen's consent to a procedure (mandate, instalment plan)
    READ_REGISTER = "read_register"  # padrón or tax-ledger data of a citizen
    VIEW_ACCESS_LOG = "view_access_log"
    VIEW_AUDIT = "view_audit"
    VERIFY_AUDIT = "verify_audit"
    MANAGE_STAFF = "manage_staff"
    MANAGE_CATALOGUE = "manage_catalogue"
    LIST_RECORDINGS = "list_recordings"
    PLAY_RECORDING = "play_recording"  # with a stated reason, audited
    LEGAL_HOLD = "legal_hold"  # place or release a legal hold on a recording or document
    VIEW_STATS = "view_stats"  # the supervisor's figures (counts and times, no personal data)
    VIEW_REBOOKING = "view_rebooking"  # the appointments waiting for their citizen to choose another time
    CHECK_DEVICES = "check_devices"  # the citizen's pre-flight check of their own camera, microphone and connection
    JOIN_WAITLIST = "join_waitlist"  # a citizen waits for a freed slot of a service
    TAKE = "take"  # an agent takes another agent's waiting citizen (the "waiting for anyone" list)
    HAND_OVER = "hand_over"  # a supervisor gives a waiting citizen to a named agent


class ResourceKind(StrEnum):
    SERVICE = "service"
    APPOINTMENT = "appointment"
    PROCEDURE = "procedure"
    DOCUMENT = "document"
    AGENDA = "agenda"
    CITIZEN_DATA = "citizen_data"
    AUDIT_TRAIL = "audit_trail"
    STAFF = "staff"
    CATALOGUE = "catalogue"
    RECORD = "record"  # a recording or document in the retention register
    STATS = "stats"  # the figures of a period and office
    REBOOKING = "rebooking"  # an office's "needs rebooking" list
    WAITLIST_ENTRY = "waitlist_entry"  # a citizen's place on a service's waitlist


@dataclass(frozen=True)
class Resource:
    kind: ResourceKind
    id: str = ""
    owner: str | None = None  # the citizen's ID number
    owner_contact: str | None = None  # keyed hash of the contact verified when it was created
    office: OfficeId | None = None
    min_assurance: Assurance = Assurance.LOW


class Decision(Enum):
    ALLOW = "allow"
    HIDDEN = "hidden"
    REFUSED = "refused"
    NEEDS_ASSURANCE = "needs_assurance"


class InsufficientAssurance(DomainError):
    code = "insufficient_assurance"

    def __init__(self, required: Assurance) -> None:
        super().__init__(f"This needs a {required.value} identification level: sign in with your digital identity.")
        self.required = required


_CITIZEN_OWN = {
    Action.VIEW,
    Action.CHANGE,
    Action.JOIN_CALL,
    Action.CONFIRM,
    Action.VIEW_ACCESS_LOG,
    Action.CHECK_DEVICES,
}
_CASE_RESOURCES = {ResourceKind.APPOINTMENT, ResourceKind.PROCEDURE, ResourceKind.DOCUMENT}
_AGENT_CASE = {Action.VIEW, Action.CHANGE, Action.JOIN_CALL, Action.RECORD_OUTCOME, Action.RUN_PROCEDURE}
_SUPERVISOR_CASE = {Action.VIEW, Action.CHANGE, Action.JOIN_CALL}
# Moving a waiting citizen to another agent (issue 16): an agent takes them for themselves, a supervisor names one.
_AGENT_APPOINTMENT = {Action.TAKE}
_SUPERVISOR_APPOINTMENT = {Action.HAND_OVER}
# What can be done to each kind of case: someone who can see the case but may not do one of these is refused
# (403); asking for an action that does not apply to that kind of case is answered as if it did not exist (404).
_APPLICABLE = {
    ResourceKind.APPOINTMENT: {
        Action.VIEW,
        Action.CHANGE,
        Action.JOIN_CALL,
        Action.RECORD_OUTCOME,
        Action.CHECK_DEVICES,
        Action.TAKE,
        Action.HAND_OVER,
    },
    ResourceKind.PROCEDURE: {Action.VIEW, Action.RUN_PROCEDURE, Action.CONFIRM},
    ResourceKind.DOCUMENT: {Action.VIEW},
}


def owns(principal: Principal, resource: Resource) -> bool:
    if not principal.is_citizen or resource.owner != principal.subject:
        return False
    if principal.assurance.satisfies(Assurance.SUBSTANTIAL):
        return True
    return principal.contact is not None and principal.contact == resource.owner_contact


# What a session opened by a one-tap "join" link may do: see and join its own appointment, nothing else.
_SCOPED = {Action.VIEW, Action.JOIN_CALL}


def decide(principal: Principal, action: Action, resource: Resource) -> Decision:
    if principal.scope is not None:
        # The link that opened it was bound to this appointment: the appointment, not an address, is the proof.
        in_scope = resource.kind is ResourceKind.APPOINTMENT and resource.id == principal.scope
        mine = principal.is_citizen and resource.owner == principal.subject
        return Decision.ALLOW if in_scope and mine and action in _SCOPED else Decision.HIDDEN
    if principal.is_citizen:
        if resource.kind is ResourceKind.SERVICE and action in (Action.BOOK, Action.JOIN_WAITLIST):
            ok = principal.assurance.satisfies(resource.min_assurance)
            return Decision.ALLOW if ok else Decision.NEEDS_ASSURANCE
        if resource.kind is ResourceKind.WAITLIST_ENTRY:
            # Their own place on a waitlist (same ownership as an appointment's): seen and left by its citizen only.
            ok = owns(principal, resource) and action in (Action.VIEW, Action.CHANGE)
            return Decision.ALLOW if ok else Decision.HIDDEN
        if resource.kind is ResourceKind.CITIZEN_DATA and action in (Action.READ_REGISTER, Action.VIEW_ACCESS_LOG):
            if resource.owner != principal.subject:
                return Decision.HIDDEN
            # Register and access-log data reveal personal and tax details: a code sign-in is not enough.
            ok = principal.assurance.satisfies(max(Assurance.SUBSTANTIAL, resource.min_assurance, key=_rank))
            return Decision.ALLOW if ok else Decision.NEEDS_ASSURANCE
        if resource.kind in _CASE_RESOURCES:
            if not owns(principal, resource):
                return Decision.HIDDEN
            if action not in _CITIZEN_OWN:
                # Their own case, but not something a citizen does (e.g. an outcome).
                return Decision.REFUSED if action in _APPLICABLE[resource.kind] else Decision.HIDDEN
            ok = principal.assurance.satisfies(resource.min_assurance)
            return Decision.ALLOW if ok else Decision.NEEDS_ASSURANCE
        return Decision.HIDDEN

    roles = principal.roles
    if Role.ADMIN in roles and action in (Action.MANAGE_STAFF, Action.MANAGE_CATALOGUE):
        return Decision.ALLOW
    if Role.AUDITOR in roles and action in (Action.VIEW_AUDIT, Action.VERIFY_AUDIT):
        return Decision.ALLOW
    if resource.kind is ResourceKind.STATS:
        # Supervisors answer for every office's figures; administrators run the service. Nobody else knows of them.
        ok = action is Action.VIEW_STATS and (Role.SUPERVISOR in roles or Role.ADMIN in roles)
        return Decision.ALLOW if ok else Decision.HIDDEN
    if resource.kind is ResourceKind.REBOOKING:
        # Supervisors rebook on the citizen's behalf; administrators see what their changes caused.
        ok = action is Action.VIEW_REBOOKING and (Role.SUPERVISOR in roles or Role.ADMIN in roles)
        return Decision.ALLOW if ok else Decision.HIDDEN
    if resource.kind is ResourceKind.SERVICE and action is Action.BOOK:
        if Role.SUPERVISOR in roles or (
            Role.AGENT in roles and principal.office is not None and resource.office == principal.office
        ):
            return Decision.ALLOW
        return Decision.REFUSED
    if resource.kind is ResourceKind.RECORD:
        # Recordings are watched only by supervisors (quality, complaints); a legal hold is also an admin's call.
        if Role.SUPERVISOR in roles and action in (Action.LIST_RECORDINGS, Action.PLAY_RECORDING, Action.LEGAL_HOLD):
            return Decision.ALLOW
        return Decision.ALLOW if Role.ADMIN in roles and action is Action.LEGAL_HOLD else Decision.HIDDEN
    same_office = Role.AGENT in roles and resource.office is not None and resource.office == principal.office
    if action is Action.VIEW_AGENDA and resource.kind is ResourceKind.AGENDA:
        return Decision.ALLOW if Role.SUPERVISOR in roles or same_office else Decision.HIDDEN
    if resource.kind in _CASE_RESOURCES:
        appointment = resource.kind is ResourceKind.APPOINTMENT
        if same_office and (action in _AGENT_CASE or (appointment and action in _AGENT_APPOINTMENT)):
            return Decision.ALLOW
        if Role.SUPERVISOR in roles and (
            action in _SUPERVISOR_CASE or (appointment and action in _SUPERVISOR_APPOINTMENT)
        ):
            return Decision.ALLOW
        # Visible to this member of staff (their office, or any office for a supervisor) but not theirs to do.
        visible = same_office or Role.SUPERVISOR in roles
        return Decision.REFUSED if visible and action in _APPLICABLE[resource.kind] else Decision.HIDDEN
    if resource.kind is ResourceKind.CITIZEN_DATA and action is Action.READ_REGISTER and same_office:
        return Decision.ALLOW
    return Decision.HIDDEN


def _rank(level: Assurance) -> int:
    return level.rank


def require(principal: Principal, action: Action, resource: Resource) -> None:
    """Raise unless allowed: NotFound when the resource must stay hidden, Forbidden or InsufficientAssurance else."""
    decision = decide(principal, action, resource)
    if decision is Decision.ALLOW:
        return
    if decision is Decision.HIDDEN:
        raise NotFound("Not found.")
    if decision is Decision.NEEDS_ASSURANCE:
        raise InsufficientAssurance(max(resource.min_assurance, Assurance.SUBSTANTIAL, key=_rank))
    raise Forbidden("You may not do this.")


def require_link_holder(caller: Principal | None, citizen: str, min_assurance: Assurance) -> None:
    """Who may act through a one-tap link or a waitlist offer sent to ``citizen`` (the link is bound to them).

    For a low-assurance service the link alone is the proof: it acts without sign-in. For a service that asks more,
    the person first identifies with eID at the service's level (403 ``insufficient_assurance`` until then, which
    the SPA answers by sending them through eID and back to the link), and the link then acts only for that same
    person: anyone else is answered as if the link did not exist (404)."""
    if min_assurance is Assurance.LOW:
        return
    if caller is None or not caller.is_citizen or not caller.assurance.satisfies(min_assurance):
        raise InsufficientAssurance(max(min_assurance, Assurance.SUBSTANTIAL, key=_rank))
    if caller.subject != citizen:
        raise NotFound("Not found.")
