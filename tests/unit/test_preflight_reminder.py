"""The pre-flight reminder (issue 16): once, 48 to 24 hours before, with a "preflight" one-tap link; claimed like the
other reminders (a conditional write), so two runs never both send it; only once the pre-flight check exists. The
other reminders carry their one-tap links: the email join, change and cancel, the SMS join."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.appointments import Appointment
from tests.unit.test_reminders import START, Reminders, appointment


class FakeLinks:
    def __init__(self, *actions: str) -> None:
        self.actions = set(actions)
        self.issued: list[tuple[str, str]] = []

    def issue(self, appointment: Appointment, action: str) -> str:
        self.issued.append((appointment.id, action))
        return f"https://cita.vilademo.cat/l#token={action}{len(self.issued):0>10}"

    def supports(self, action: str) -> bool:
        return action in self.actions


ALL = ("join", "cancel", "change", "preflight")


def wired(*appointments: Appointment, actions: tuple[str, ...] = ALL) -> Reminders:
    reminders = Reminders(*appointments)
    reminders.service.links = FakeLinks(*actions)
    return reminders


def preflights(reminders: Reminders) -> list[str]:
    return [m.body for m in reminders.notifier.sent if m.template == "appointment-preflight"]


def test_the_preflight_link_is_sent_once_between_48_and_24_hours_before() -> None:
    reminders = wired(appointment(START, phone="+34600111222"))

    assert reminders.run(START - timedelta(hours=48, minutes=1)) == 0
    assert reminders.run(START - timedelta(hours=47)) == 1
    assert reminders.run(START - timedelta(hours=30)) == 0

    sent = preflights(reminders)
    assert len(sent) == 2  # one email, one SMS
    assert all("l#token=preflight" in body for body in sent)
    assert reminders.reminders_of()["preflight"] == (START - timedelta(hours=47)).isoformat()
    assert reminders.audited() == ["appointment.reminder.preflight"]


def test_two_runs_at_once_send_it_once() -> None:
    reminders = wired(appointment(START))
    at = START - timedelta(hours=40)

    assert reminders.run(at) + reminders.run(at) == 1
    assert len(preflights(reminders)) == 1


def test_booked_less_than_a_day_before_there_is_no_preflight_reminder() -> None:
    reminders = wired(appointment(START))

    reminders.run(START - timedelta(hours=23))

    assert preflights(reminders) == []
    assert "preflight" not in reminders.reminders_of()


def test_no_preflight_reminder_until_the_check_exists() -> None:
    reminders = wired(appointment(START), actions=("join", "cancel", "change"))

    assert reminders.run(START - timedelta(hours=40)) == 0
    assert reminders.notifier.sent == []


def test_the_reminders_carry_join_change_and_cancel_by_email_and_join_by_sms() -> None:
    reminders = wired(appointment(START, phone="+34600111222"))

    reminders.run(START - timedelta(hours=24))

    email, text = reminders.notifier.reminders()
    assert email.channel == "email"
    assert text.channel == "sms"
    assert [line.split("token=")[1][:4] for line in email.body.splitlines() if "token=" in line] == [
        "join",
        "chan",
        "canc",
    ]
    assert "token=join" in text.body
    assert "token=canc" not in text.body
