"""Contract of the staff directory (StaffDirectory): the in-memory fake and DynamoStaffDirectory on moto alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.adapters.dynamo.models import StaffItem
from chalicelib.auth.principal import Role
from chalicelib.services.ports import StaffAccount, StaffDirectory
from tests.api.tables import both, dev_container, dev_table
from tests.fakes import InMemoryStaffDirectory

AGENT = StaffAccount("agent.ogat", "Marta Soler", "marta@example.cat", frozenset({Role("agent")}), "OGAT", True, "h")
ADMIN = StaffAccount("admin", "Admin", "admin@example.cat", frozenset({Role("admin")}), None, True, None)


def _dynamodb() -> StaffDirectory:
    for a in (AGENT, ADMIN):
        dev_table(StaffItem, "staff")(
            a.username,
            name=a.name,
            email=a.email,
            roles=sorted(r.value for r in a.roles),
            office=a.office if a.office else None,
            enabled=a.enabled,
            password_hash=a.password_hash,
        ).save()
    return dev_container().staff


@pytest.fixture(params=["memory", "dynamodb"])
def directory(request: pytest.FixtureRequest) -> Iterator[StaffDirectory]:
    yield from both(request, lambda: InMemoryStaffDirectory([AGENT, ADMIN]), lambda _: _dynamodb())


def test_an_account_reads_back_as_stored(directory: StaffDirectory) -> None:
    assert directory.get("agent.ogat") == AGENT
    assert directory.get("admin") == ADMIN
    assert directory.get("nobody") is None


def test_an_account_is_disabled_and_enabled_again(directory: StaffDirectory) -> None:
    directory.set_enabled("agent.ogat", False)
    assert directory.get("agent.ogat") == StaffAccount(**{**AGENT.__dict__, "enabled": False})

    directory.set_enabled("agent.ogat", True)
    assert directory.get("agent.ogat") == AGENT
