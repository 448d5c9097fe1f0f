"""Who may act through a one-tap link or a waitlist offer (``policy.require_link_holder``): the link alone for a
low-assurance service; for the others an eID sign-in at the service's level, and then only the link's own person."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.auth.policy import InsufficientAssurance, require_link_holder
from chalicelib.auth.principal import Principal, Role
from chalicelib.domain.catalogue import Assurance
from chalicelib.domain.errors import NotFound

HOLDER = "12345678Z"


def _person(subject: str, assurance: Assurance, role: Role = Role.CITIZEN) -> Principal:
    return Principal(
        subject=subject,
        roles=frozenset({role}),
        token_id="t",
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
        assurance=assurance,
    )


@pytest.mark.parametrize(
    "caller",
    [
        None,
        _person(HOLDER, Assurance.LOW),
        _person("X1234567L", Assurance.HIGH),
        _person("ana", Assurance.LOW, Role.AGENT),
    ],
)
def test_a_low_assurance_service_acts_on_the_link_alone(caller: Principal | None) -> None:
    require_link_holder(caller, HOLDER, Assurance.LOW)


@pytest.mark.parametrize(
    "caller",
    [None, _person(HOLDER, Assurance.LOW), _person("ana", Assurance.HIGH, Role.AGENT)],
    ids=["anonymous", "code sign-in", "staff"],
)
def test_a_stronger_service_asks_for_eid_first(caller: Principal | None) -> None:
    with pytest.raises(InsufficientAssurance) as raised:
        require_link_holder(caller, HOLDER, Assurance.SUBSTANTIAL)
    assert raised.value.required is Assurance.SUBSTANTIAL


def test_a_high_service_is_not_satisfied_by_substantial() -> None:
    with pytest.raises(InsufficientAssurance) as raised:
        require_link_holder(_person(HOLDER, Assurance.SUBSTANTIAL), HOLDER, Assurance.HIGH)
    assert raised.value.required is Assurance.HIGH


def test_after_eid_the_link_acts_only_for_its_own_person() -> None:
    require_link_holder(_person(HOLDER, Assurance.SUBSTANTIAL), HOLDER, Assurance.SUBSTANTIAL)
    require_link_holder(_person(HOLDER, Assurance.HIGH), HOLDER, Assurance.SUBSTANTIAL)
    with pytest.raises(NotFound):
        require_link_holder(_person("X1234567L", Assurance.HIGH), HOLDER, Assurance.SUBSTANTIAL)
