"""Who may do what to which resource: the whole policy as one table, and what ``require`` raises for each refusal.

The table covers every action against every kind of resource for every kind of principal, including pairings no use
case makes (``manage_staff`` on an appointment): any change to the policy shows up here as a changed cell.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.auth.policy import (
    Action,
    Decision,
    InsufficientAssurance,
    Resource,
    ResourceKind,
    decide,
    require,
)
from chalicelib.auth.principal import Principal, Role
from chalicelib.domain.catalogue import Assurance, OfficeId
from chalicelib.domain.errors import Forbidden, NotFound

ME = "12345678Z"
OTHER = "X1234567L"
MY_CONTACT = "contact-digest-of-ana@example.cat"
OTHER_CONTACT = "contact-digest-of-someone@example.cat"
EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)


def _citizen(assurance: Assurance, contact: str | None) -> Principal:
    return Principal(
        subject=ME,
        roles=frozenset({Role.CITIZEN}),
        token_id="token-citizen",
        expires_at=EXPIRES,
        assurance=assurance,
        auth_method="otp" if assurance is Assurance.LOW else "idcatmobil",
        contact=contact,
    )


def _staff(role: Role, office: OfficeId | None = None) -> Principal:
    return Principal(
        subject=f"{role.value}-{office if office else 'all'}",
        roles=frozenset({role}),
        token_id="token-staff",
        expires_at=EXPIRES,
        assurance=Assurance.SUBSTANTIAL,
        auth_method="pwd+otp",
        office=office,
    )


PRINCIPALS = {
    # A one-time code proves control of an address: MY_CONTACT is where my appointments' codes went.
    "citizen low, code to my address": _citizen(Assurance.LOW, MY_CONTACT),
    "citizen low, code to another address": _citizen(Assurance.LOW, OTHER_CONTACT),
    # An eID sign-in proves the identity itself, whatever address (if any) the session carries.
    "citizen substantial": _citizen(Assurance.SUBSTANTIAL, None),
    "citizen substantial, another address": _citizen(Assurance.SUBSTANTIAL, OTHER_CONTACT),
    "citizen high": _citizen(Assurance.HIGH, None),
    "agent OMAC": _staff(Role.AGENT, "OMAC"),
    "agent OGAT": _staff(Role.AGENT, "OGAT"),
    "supervisor": _staff(Role.SUPERVISOR),
    "auditor": _staff(Role.AUDITOR),
    "admin": _staff(Role.ADMIN),
}


def _case(kind: ResourceKind, owner: str, office: OfficeId, min_assurance: Assurance = Assurance.LOW) -> Resource:
    # Every case was created under MY_CONTACT, also the other citizen's (a family sharing one email address):
    # the address alone must never make someone else's case mine.
    return Resource(kind, f"{kind.value}-1", owner, MY_CONTACT, office, min_assurance)


RESOURCES = {
    "appointment mine OMAC": _case(ResourceKind.APPOINTMENT, ME, "OMAC"),
    "appointment other's OMAC": _case(ResourceKind.APPOINTMENT, OTHER, "OMAC"),
    "appointment mine OGAT": _case(ResourceKind.APPOINTMENT, ME, "OGAT"),
    "procedure mine OGAT": _case(ResourceKind.PROCEDURE, ME, "OGAT"),
    "procedure other's OGAT": _case(ResourceKind.PROCEDURE, OTHER, "OGAT"),
    "document mine OMAC": _case(ResourceKind.DOCUMENT, ME, "OMAC"),
    "document mine OMAC, substantial": _case(ResourceKind.DOCUMENT, ME, "OMAC", Assurance.SUBSTANTIAL),
    "document other's OMAC": _case(ResourceKind.DOCUMENT, OTHER, "OMAC"),
    "service low OMAC": Resource(ResourceKind.SERVICE, "residence-certificate", office="OMAC"),
    "service substantial OGAT": Resource(
        ResourceKind.SERVICE, "instalment-plan", office="OGAT", min_assurance=Assurance.SUBSTANTIAL
    ),
    "agenda OMAC": Resource(ResourceKind.AGENDA, "2030-01-07", office="OMAC"),
    "citizen data mine OMAC": Resource(ResourceKind.CITIZEN_DATA, ME, owner=ME, office="OMAC"),
    "citizen data mine OGAT": Resource(ResourceKind.CITIZEN_DATA, ME, owner=ME, office="OGAT"),
    "citizen data other's OMAC": Resource(ResourceKind.CITIZEN_DATA, OTHER, owner=OTHER, office="OMAC"),
    "audit trail": Resource(ResourceKind.AUDIT_TRAIL, "2030-01-07"),
    "staff": Resource(ResourceKind.STAFF, "agent-omac"),
    "catalogue": Resource(ResourceKind.CATALOGUE),
    "record": Resource(ResourceKind.RECORD, "rec-r-1"),
    "stats": Resource(ResourceKind.STATS),
    "rebooking": Resource(ResourceKind.REBOOKING, "OMAC"),
    "waitlist entry mine": Resource(ResourceKind.WAITLIST_ENTRY, "entry-1", ME, MY_CONTACT, "OMAC"),
    "waitlist entry other's": Resource(ResourceKind.WAITLIST_ENTRY, "entry-2", OTHER, MY_CONTACT, "OMAC"),
}

# Columns: one per action, in the order of ``Action``.
COLUMNS = {
    "BK": Action.BOOK,
    "VW": Action.VIEW,
    "CH": Action.CHANGE,
    "JN": Action.JOIN_CALL,
    "RO": Action.RECORD_OUTCOME,
    "AG": Action.VIEW_AGENDA,
    "RP": Action.RUN_PROCEDURE,
    "CF": Action.CONFIRM,
    "RR": Action.READ_REGISTER,
    "AL": Action.VIEW_ACCESS_LOG,
    "VA": Action.VIEW_AUDIT,
    "VV": Action.VERIFY_AUDIT,
    "MS": Action.MANAGE_STAFF,
    "MC": Action.MANAGE_CATALOGUE,
    "LR": Action.LIST_RECORDINGS,
    "PR": Action.PLAY_RECORDING,
    "LH": Action.LEGAL_HOLD,
    "VS": Action.VIEW_STATS,
    "VR": Action.VIEW_REBOOKING,
    "CD": Action.CHECK_DEVICES,
    "JW": Action.JOIN_WAITLIST,
    "TK": Action.TAKE,
    "HO": Action.HAND_OVER,
}
# A allow, H hidden (404), R refused (403), N needs a stronger identification (403 insufficient_assurance).
# r: the caller can see the case but may not do this: refused (403), checked by
# test_an_action_not_allowed_on_a_case_the_caller_can_view_is_refused_not_hidden.
# A resource a grid leaves out has its "any other resource" row, or, without one, H for every action: every grid
# still decides every resource (test_the_table_covers_every_principal_resource_and_action).
LETTERS = {"A": Decision.ALLOW, "H": Decision.HIDDEN, "R": Decision.REFUSED, "N": Decision.NEEDS_ASSURANCE}

CITIZEN_LOW_MY_ADDRESS = """
    resource                          BK VW CH JN RO AG RP CF RR AL VA VV MS MC LR PR LH VS VR CD JW TK HO
    appointment mine OMAC             H  A  A  A  r  H  H  A  H  A  H  H  H  H  H  H  H  H  H  A  H  r  r
    appointment mine OGAT             H  A  A  A  r  H  H  A  H  A  H  H  H  H  H  H  H  H  H  A  H  r  r
    procedure mine OGAT               H  A  A  A  H  H  r  A  H  A  H  H  H  H  H  H  H  H  H  A  H  H  H
    document mine OMAC                H  A  A  A  H  H  H  A  H  A  H  H  H  H  H  H  H  H  H  A  H  H  H
    document mine OMAC, substantial   H  N  N  N  H  H  H  N  H  N  H  H  H  H  H  H  H  H  H  N  H  H  H
    service low OMAC                  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  A  H  H
    service substantial OGAT          N  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  N  H  H
    citizen data mine OMAC            H  H  H  H  H  H  H  H  N  N  H  H  H  H  H  H  H  H  H  H  H  H  H
    citizen data mine OGAT            H  H  H  H  H  H  H  H  N  N  H  H  H  H  H  H  H  H  H  H  H  H  H
    waitlist entry mine               H  A  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
"""
# The code reached an address none of my cases was created under: my cases are not mine to see.
CITIZEN_LOW_ANOTHER_ADDRESS = """
    resource                          BK VW CH JN RO AG RP CF RR AL VA VV MS MC LR PR LH VS VR CD JW TK HO
    service low OMAC                  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  A  H  H
    service substantial OGAT          N  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  N  H  H
    citizen data mine OMAC            H  H  H  H  H  H  H  H  N  N  H  H  H  H  H  H  H  H  H  H  H  H  H
    citizen data mine OGAT            H  H  H  H  H  H  H  H  N  N  H  H  H  H  H  H  H  H  H  H  H  H  H
"""
# An eID sign-in (substantial or high) owns by ID number alone, with or without an address.
CITIZEN_EID = """
    resource                          BK VW CH JN RO AG RP CF RR AL VA VV MS MC LR PR LH VS VR CD JW TK HO
    appointment mine OMAC             H  A  A  A  r  H  H  A  H  A  H  H  H  H  H  H  H  H  H  A  H  r  r
    appointment mine OGAT             H  A  A  A  r  H  H  A  H  A  H  H  H  H  H  H  H  H  H  A  H  r  r
    procedure mine OGAT               H  A  A  A  H  H  r  A  H  A  H  H  H  H  H  H  H  H  H  A  H  H  H
    document mine OMAC                H  A  A  A  H  H  H  A  H  A  H  H  H  H  H  H  H  H  H  A  H  H  H
    document mine OMAC, substantial   H  A  A  A  H  H  H  A  H  A  H  H  H  H  H  H  H  H  H  A  H  H  H
    service low OMAC                  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  A  H  H
    service substantial OGAT          A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  A  H  H
    citizen data mine OMAC            H  H  H  H  H  H  H  H  A  A  H  H  H  H  H  H  H  H  H  H  H  H  H
    citizen data mine OGAT            H  H  H  H  H  H  H  H  A  A  H  H  H  H  H  H  H  H  H  H  H  H  H
    waitlist entry mine               H  A  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
"""
# An agent works the cases, agenda and register data of their own office; another office's stay hidden.
AGENT_OMAC = """
    resource                          BK VW CH JN RO AG RP CF RR AL VA VV MS MC LR PR LH VS VR CD JW TK HO
    appointment mine OMAC             H  A  A  A  A  H  A  H  H  H  H  H  H  H  H  H  H  H  H  r  H  A  r
    appointment other's OMAC          H  A  A  A  A  H  A  H  H  H  H  H  H  H  H  H  H  H  H  r  H  A  r
    document mine OMAC                H  A  A  A  A  H  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    document mine OMAC, substantial   H  A  A  A  A  H  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    document other's OMAC             H  A  A  A  A  H  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    service low OMAC                  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    service substantial OGAT          R  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    agenda OMAC                       H  H  H  H  H  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    citizen data mine OMAC            H  H  H  H  H  H  H  H  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    citizen data other's OMAC         H  H  H  H  H  H  H  H  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H
"""
AGENT_OGAT = """
    resource                          BK VW CH JN RO AG RP CF RR AL VA VV MS MC LR PR LH VS VR CD JW TK HO
    appointment mine OGAT             H  A  A  A  A  H  A  H  H  H  H  H  H  H  H  H  H  H  H  r  H  A  r
    procedure mine OGAT               H  A  A  A  A  H  A  r  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    procedure other's OGAT            H  A  A  A  A  H  A  r  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    service low OMAC                  R  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    service substantial OGAT          A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    citizen data mine OGAT            H  H  H  H  H  H  H  H  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H
"""
# A supervisor views, changes and joins any office's cases and agendas, books for any office, runs nothing; only a
# supervisor lists and plays recordings, and places legal holds (as admins also may); supervisors and admins read
# the figures (issue 15).
SUPERVISOR = """
    resource                          BK VW CH JN RO AG RP CF RR AL VA VV MS MC LR PR LH VS VR CD JW TK HO
    appointment mine OMAC             H  A  A  A  r  H  H  H  H  H  H  H  H  H  H  H  H  H  H  r  H  r  A
    appointment other's OMAC          H  A  A  A  r  H  H  H  H  H  H  H  H  H  H  H  H  H  H  r  H  r  A
    appointment mine OGAT             H  A  A  A  r  H  H  H  H  H  H  H  H  H  H  H  H  H  H  r  H  r  A
    procedure mine OGAT               H  A  A  A  H  H  r  r  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    procedure other's OGAT            H  A  A  A  H  H  r  r  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    document mine OMAC                H  A  A  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    document mine OMAC, substantial   H  A  A  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    document other's OMAC             H  A  A  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    service low OMAC                  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    service substantial OGAT          A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    agenda OMAC                       H  H  H  H  H  A  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H
    record                            H  H  H  H  H  H  H  H  H  H  H  H  H  H  A  A  A  H  H  H  H  H  H
    stats                             H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  A  H  H  H  H  H
    rebooking                         H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  H  A  H  H  H  H
"""
# Audit and management actions are granted on the action alone, whatever the resource.
AUDITOR = """
    resource                          BK VW CH JN RO AG RP CF RR AL VA VV MS MC LR PR LH VS VR CD JW TK HO
    any other resource                H  H  H  H  H  H  H  H  H  H  A  A  H  H  H  H  H  H  H  H  H  H  H
    service low OMAC                  R  H  H  H  H  H  H  H  H  H  A  A  H  H  H  H  H  H  H  H  H  H  H
    service substantial OGAT          R  H  H  H  H  H  H  H  H  H  A  A  H  H  H  H  H  H  H  H  H  H  H
"""
ADMIN = """
    resource                          BK VW CH JN RO AG RP CF RR AL VA VV MS MC LR PR LH VS VR CD JW TK HO
    any other resource                H  H  H  H  H  H  H  H  H  H  H  H  A  A  H  H  H  H  H  H  H  H  H
    service low OMAC                  R  H  H  H  H  H  H  H  H  H  H  H  A  A  H  H  H  H  H  H  H  H  H
    service substantial OGAT          R  H  H  H  H  H  H  H  H  H  H  H  A  A  H  H  H  H  H  H  H  H  H
    record                            H  H  H  H  H  H  H  H  H  H  H  H  A  A  H  H  A  H  H  H  H  H  H
    stats                             H  H  H  H  H  H  H  H  H  H  H  H  A  A  H  H  H  A  H  H  H  H  H
    rebooking                         H  H  H  H  H  H  H  H  H  H  H  H  A  A  H  H  H  H  A  H  H  H  H
"""


def _grid(text: str) -> dict[str, dict[Action, str]]:
    """resource name → action → letter, read from one of the grids above, for every resource in RESOURCES."""
    header, *lines = text.strip().splitlines()
    assert header.split()[1:] == list(COLUMNS), "the grid's columns must be COLUMNS, in order"
    listed = {}
    for line in lines:
        words = line.split()
        name, letters = " ".join(words[: -len(COLUMNS)]), words[-len(COLUMNS) :]
        listed[name] = dict(zip(COLUMNS.values(), letters, strict=True))
    otherwise = listed.pop("any other resource", dict.fromkeys(COLUMNS.values(), "H"))
    assert set(listed) <= set(RESOURCES), "a grid names only resources in RESOURCES"
    return {name: listed.get(name, otherwise) for name in RESOURCES}


TABLE = {
    "citizen low, code to my address": _grid(CITIZEN_LOW_MY_ADDRESS),
    "citizen low, code to another address": _grid(CITIZEN_LOW_ANOTHER_ADDRESS),
    "citizen substantial": _grid(CITIZEN_EID),
    "citizen substantial, another address": _grid(CITIZEN_EID),
    "citizen high": _grid(CITIZEN_EID),
    "agent OMAC": _grid(AGENT_OMAC),
    "agent OGAT": _grid(AGENT_OGAT),
    "supervisor": _grid(SUPERVISOR),
    "auditor": _grid(AUDITOR),
    "admin": _grid(ADMIN),
}
ROWS = [(p, r) for p in PRINCIPALS for r in RESOURCES]
HIDES_WHAT_IT_SHOWS = [(p, r, a) for p, r in ROWS for a, letter in TABLE[p][r].items() if letter == "r"]


def test_the_table_covers_every_principal_resource_and_action() -> None:
    assert list(COLUMNS.values()) == list(Action)
    assert set(TABLE) == set(PRINCIPALS)
    for principal, grid in TABLE.items():
        assert list(grid) == list(RESOURCES), principal
        assert all(set(row.values()) <= {*LETTERS, "r"} for row in grid.values()), principal


@pytest.mark.parametrize(("principal", "resource"), ROWS, ids=[f"{p} / {r}" for p, r in ROWS])
def test_policy_table(principal: str, resource: str) -> None:
    # GIVEN a principal and a resource
    who, what = PRINCIPALS[principal], RESOURCES[resource]

    # WHEN every action is decided
    decided = {action: decide(who, action, what) for action in Action}

    # THEN each decision is the table's ("r" cells are never allowed; their exact answer is tested below)
    row = TABLE[principal][resource]
    expected = {action: LETTERS[letter] for action, letter in row.items() if letter != "r"}
    assert {action: decided[action] for action in expected} == expected
    assert all(decided[action] is not Decision.ALLOW for action, letter in row.items() if letter == "r")


def test_an_action_not_allowed_on_a_case_the_caller_can_view_is_refused_not_hidden() -> None:
    # GIVEN cases their callers may view
    assert all(decide(PRINCIPALS[p], Action.VIEW, RESOURCES[r]) is Decision.ALLOW for p, r, _ in HIDES_WHAT_IT_SHOWS)

    # WHEN each caller tries an action their role does not allow on it
    decided = {(p, r, a): decide(PRINCIPALS[p], a, RESOURCES[r]) for p, r, a in HIDES_WHAT_IT_SHOWS}

    # THEN they are told they may not (403), not that the case does not exist (404)
    assert decided == dict.fromkeys(decided, Decision.REFUSED)


def test_a_code_verified_citizen_owns_a_case_only_through_the_address_it_was_created_under() -> None:
    # GIVEN my appointment, created after a code reached MY_CONTACT
    appointment = RESOURCES["appointment mine OMAC"]

    # WHEN I sign in with a code sent to that address, to another one, or to none recorded
    same = decide(_citizen(Assurance.LOW, MY_CONTACT), Action.VIEW, appointment)
    elsewhere = decide(_citizen(Assurance.LOW, OTHER_CONTACT), Action.VIEW, appointment)
    no_address = decide(_citizen(Assurance.LOW, None), Action.VIEW, appointment)

    # THEN only the same address shows it; knowing my ID number is not enough
    assert (same, elsewhere, no_address) == (Decision.ALLOW, Decision.HIDDEN, Decision.HIDDEN)


def test_a_case_created_without_a_verified_address_is_not_opened_by_a_code_without_one() -> None:
    # GIVEN an appointment booked at the counter (no verified address recorded)
    appointment = Resource(ResourceKind.APPOINTMENT, "a-1", ME, None, "OMAC")

    # WHEN a code-verified session without an address asks for it (None must not equal None)
    # THEN it stays hidden, while an eID sign-in with the same ID number sees it
    assert decide(_citizen(Assurance.LOW, None), Action.VIEW, appointment) is Decision.HIDDEN
    assert decide(_citizen(Assurance.SUBSTANTIAL, None), Action.VIEW, appointment) is Decision.ALLOW


def test_an_agent_without_an_office_may_not_book_for_an_office() -> None:
    agent = _staff(Role.AGENT, None)

    assert decide(agent, Action.BOOK, RESOURCES["service low OMAC"]) is Decision.REFUSED
    assert decide(agent, Action.VIEW, RESOURCES["appointment mine OMAC"]) is Decision.HIDDEN


# --- require ----------------------------------------------------------------------------------------------------


def test_require_returns_quietly_when_allowed() -> None:
    require(PRINCIPALS["citizen low, code to my address"], Action.VIEW, RESOURCES["appointment mine OMAC"])


@pytest.mark.parametrize(
    ("principal", "action", "resource"),
    [
        ("citizen substantial", Action.VIEW, "appointment other's OMAC"),
        ("citizen low, code to another address", Action.CHANGE, "appointment mine OMAC"),
        ("citizen high", Action.VIEW, "document other's OMAC"),
        ("citizen high", Action.READ_REGISTER, "citizen data other's OMAC"),
        ("agent OGAT", Action.VIEW, "appointment other's OMAC"),
        ("agent OGAT", Action.VIEW_AGENDA, "agenda OMAC"),
        ("auditor", Action.VIEW, "appointment mine OMAC"),
        ("admin", Action.VIEW, "document mine OMAC"),
    ],
)
def test_require_answers_not_found_for_what_the_caller_may_not_know_exists(
    principal: str, action: Action, resource: str
) -> None:
    with pytest.raises(NotFound) as raised:
        require(PRINCIPALS[principal], action, RESOURCES[resource])

    assert raised.value.code == "not_found"


@pytest.mark.parametrize(
    ("principal", "action", "resource"),
    [
        ("agent OMAC", Action.BOOK, "service substantial OGAT"),
        ("agent OGAT", Action.BOOK, "service low OMAC"),
        ("auditor", Action.BOOK, "service low OMAC"),
        ("admin", Action.BOOK, "service substantial OGAT"),
    ],
)
def test_require_answers_forbidden_for_what_the_caller_sees_but_may_not_do(
    principal: str, action: Action, resource: str
) -> None:
    with pytest.raises(Forbidden) as raised:
        require(PRINCIPALS[principal], action, RESOURCES[resource])

    assert raised.value.code == "forbidden"


@pytest.mark.parametrize(
    ("principal", "action", "resource", "required"),
    [
        ("citizen low, code to my address", Action.BOOK, "service substantial OGAT", Assurance.SUBSTANTIAL),
        ("citizen low, code to my address", Action.VIEW, "document mine OMAC, substantial", Assurance.SUBSTANTIAL),
        ("citizen low, code to my address", Action.READ_REGISTER, "citizen data mine OMAC", Assurance.SUBSTANTIAL),
        (
            "citizen low, code to another address",
            Action.VIEW_ACCESS_LOG,
            "citizen data mine OGAT",
            Assurance.SUBSTANTIAL,
        ),
    ],
)
def test_require_asks_for_a_stronger_identification_naming_the_level(
    principal: str, action: Action, resource: str, required: Assurance
) -> None:
    with pytest.raises(InsufficientAssurance) as raised:
        require(PRINCIPALS[principal], action, RESOURCES[resource])

    assert raised.value.code == "insufficient_assurance"
    assert raised.value.required is required


def test_a_service_that_needs_high_assurance_asks_a_substantial_citizen_for_high() -> None:
    # GIVEN a service that needs a qualified certificate
    service = Resource(ResourceKind.SERVICE, "signature", office="OGAT", min_assurance=Assurance.HIGH)

    # WHEN an idCAT Mòbil (substantial) citizen books it
    with pytest.raises(InsufficientAssurance) as raised:
        require(PRINCIPALS["citizen substantial"], Action.BOOK, service)

    # THEN they are asked for high, and a high sign-in may book it
    assert raised.value.required is Assurance.HIGH
    require(PRINCIPALS["citizen high"], Action.BOOK, service)


def test_register_data_that_needs_high_asks_for_high() -> None:
    data = Resource(ResourceKind.CITIZEN_DATA, ME, owner=ME, office="OGAT", min_assurance=Assurance.HIGH)

    with pytest.raises(InsufficientAssurance) as raised:
        require(PRINCIPALS["citizen substantial"], Action.READ_REGISTER, data)

    assert raised.value.required is Assurance.HIGH


def test_a_join_links_session_may_only_view_and_join_its_own_appointment() -> None:
    # GIVEN the session a one-tap "join" link opened for appointment-1
    scoped = replace(_citizen(Assurance.LOW, None), scope="appointment-1")
    mine = _case(ResourceKind.APPOINTMENT, ME, "OMAC")

    # THEN it may view and join that appointment (the link was bound to it, no address needed)
    assert decide(scoped, Action.VIEW, mine) is Decision.ALLOW
    assert decide(scoped, Action.JOIN_CALL, mine) is Decision.ALLOW
    # and nothing else: not change it, not another appointment of the same person, no other resource at all
    assert decide(scoped, Action.CHANGE, mine) is Decision.HIDDEN
    assert decide(scoped, Action.VIEW, replace(mine, id="appointment-2")) is Decision.HIDDEN
    assert decide(scoped, Action.VIEW, replace(mine, owner=OTHER)) is Decision.HIDDEN
    for name, resource in RESOURCES.items():
        if resource.kind is not ResourceKind.APPOINTMENT:
            for action in Action:
                assert decide(scoped, action, resource) is Decision.HIDDEN, (name, action)
    book = Resource(ResourceKind.SERVICE, "padron", office="OMAC")
    assert decide(scoped, Action.BOOK, book) is Decision.HIDDEN
