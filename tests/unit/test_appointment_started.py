"""An appointment under way — its time has come, or the agent has admitted the citizen to its call — is neither
changed nor cancelled: 409 ``already_started``, before anything is written or sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.auth.principal import Principal, Role
from chalicelib.domain.audit import RequestContext
from chalicelib.domain.catalogue import Assurance
from chalicelib.domain.errors import Conflict
from chalicelib.services.commands import Parsed, Reschedule
from tests.unit.test_reminders import START, Reminders, appointment

CITIZEN = Principal(
    subject="12345678Z",
    roles=frozenset({Role.CITIZEN}),
    token_id="token-citizen",
    expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    assurance=Assurance.SUBSTANTIAL,
    auth_method="idcatmobil",
)
CONTEXT = RequestContext(request_id="test")


def _service(at: datetime, started: bool) -> Reminders:
    reminders = Reminders(appointment(START))
    reminders.clock.now = at
    reminders.service.call_started = lambda _appointment_id: started
    return reminders


ID = "00000000-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    ("at", "started"),
    [
        (START, False),  # its time has come
        (START + timedelta(minutes=5), False),
        (START - timedelta(minutes=10), True),  # admitted early, in the call window before the start
    ],
)
def test_an_appointment_under_way_is_not_cancelled_or_changed(at: datetime, started: bool) -> None:
    reminders = _service(at, started)

    with pytest.raises(Conflict) as cancelled:
        reminders.service.cancel(CITIZEN, ID, CONTEXT)
    with pytest.raises(Conflict) as moved:
        reminders.service.reschedule(CITIZEN, ID, Parsed(Reschedule(START + timedelta(days=1))), CONTEXT)

    assert cancelled.value.code == moved.value.code == "already_started"
    assert reminders.notifier.sent == []
    assert reminders.audited() == []


def test_before_it_starts_the_check_lets_the_cancellation_through(monkeypatch: pytest.MonkeyPatch) -> None:
    reminders = _service(START - timedelta(minutes=10), started=False)
    monkeypatch.setattr(reminders.store, "cancel", lambda a: None)

    reminders.service.cancel(CITIZEN, ID, CONTEXT)  # no Conflict

    assert reminders.audited() == ["appointment.cancel"]
