"""Reminders 24 h and 1 h before: sent once, never twice, never skipped by a late run, in absolute time across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.calendar import HolidayCalendar
from chalicelib.domain.catalogue import Assurance, Service, Text
from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.services.booking import BookingService, BookingSettings
from chalicelib.services.catalogue import CatalogueService
from chalicelib.services.ports import Message
from tests.fakes import InMemoryAuditLog, InMemoryBookingStore, InMemoryCatalogue

MADRID = ZoneInfo("Europe/Madrid")
BASE_URL = "https://videoatencio.vilademo.example"


class RecordingNotifier:
    """Keeps what would have been sent; told to, it fails as SES or SNS might (for one address, or for all)."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.failing: set[str] = set()
        self.down = False

    def send(self, message: Message) -> str:
        if self.down or message.to in self.failing:
            raise DependencyUnavailable("The message could not be sent.")
        self.sent.append(message)
        return f"msg-{len(self.sent)}"

    def reminders(self) -> list[Message]:
        return [m for m in self.sent if m.template == "appointment-reminder"]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


CERTIFICATE = Service(
    id="residence-certificate",
    office="OMAC",
    name=Text(ca="Certificat d'empadronament", es="Certificado de empadronamiento", en="Certificate of residence"),
    description=Text(ca="-", es="-", en="-"),
    duration_minutes=15,
    min_assurance=Assurance.LOW,
)


def appointment(
    start: datetime,
    number: int = 1,
    status: Status = Status.BOOKED,
    email: str | None = "rosa@example.org",
    phone: str | None = None,
    language: str = "ca",
) -> Appointment:
    return Appointment(
        id=f"00000000-0000-4000-8000-{number:012d}",
        service_id=CERTIFICATE.id,
        office="OMAC",
        start=start,
        end=start + timedelta(minutes=15),
        status=status,
        citizen="12345678Z",
        citizen_contact=None,
        contact=Contact(email, phone),
        language=language,
        agent="laia",
        units=(),
        created_at=start - timedelta(days=7),
        created_by="citizen:12345678Z",
    )


class Reminders:
    """The use case wired to fakes; ``run`` moves the clock and runs the scheduled function once."""

    def __init__(self, *appointments: Appointment) -> None:
        self.store = InMemoryBookingStore(*appointments)
        self.notifier = RecordingNotifier()
        self.audit = InMemoryAuditLog()
        self.clock = Clock(datetime(2026, 1, 1, tzinfo=UTC))
        self.service = BookingService(
            CatalogueService(InMemoryCatalogue([CERTIFICATE])),
            lambda office: (),
            HolidayCalendar(()),
            self.store,
            self.notifier,
            self.audit,
            BookingSettings(3, BASE_URL, "cites@vilademo.example", MADRID),
            clock=self.clock,
        )

    def run(self, at: datetime) -> int:
        self.clock.now = at
        return self.service.send_reminders()

    def reminders_of(self, number: int = 1) -> dict[str, str]:
        return self.store.appointments[f"00000000-0000-4000-8000-{number:012d}"].reminders

    def audited(self) -> list[str]:
        return [e.action for e in self.audit.events]


START = datetime(2026, 12, 2, 10, 0, tzinfo=MADRID)  # a Wednesday in winter (+01:00)


# --- the 24-hour and 1-hour reminders --------------------------------------------------------------------------------


def test_nothing_is_sent_before_a_reminder_is_due() -> None:
    reminders = Reminders(appointment(START))

    assert reminders.run(START - timedelta(hours=24, minutes=1)) == 0

    assert reminders.notifier.sent == []
    assert reminders.reminders_of() == {}


def test_the_24h_reminder_is_sent_once_when_due_and_never_twice() -> None:
    reminders = Reminders(appointment(START))

    first = reminders.run(START - timedelta(hours=24))
    second = reminders.run(START - timedelta(hours=23))

    assert (first, second) == (1, 0)
    assert len(reminders.notifier.reminders()) == 1
    assert reminders.reminders_of()["24h"] == (START - timedelta(hours=24)).isoformat()
    assert reminders.audited() == ["appointment.reminder.24h"]


def test_the_1h_reminder_follows_later_and_also_only_once() -> None:
    reminders = Reminders(appointment(START))

    sent = [reminders.run(START - before) for before in (timedelta(hours=24), timedelta(hours=12), timedelta(hours=1))]
    sent.append(reminders.run(START - timedelta(minutes=5)))

    assert sent == [1, 0, 1, 0]
    assert [m.template for m in reminders.notifier.sent] == ["appointment-reminder"] * 2
    assert set(reminders.reminders_of()) == {"24h", "1h"}
    assert reminders.audited() == ["appointment.reminder.24h", "appointment.reminder.1h"]


def test_a_late_run_sends_the_1h_reminder_and_drops_the_24h_one() -> None:
    reminders = Reminders(appointment(START))

    assert reminders.run(START - timedelta(minutes=30)) == 1
    assert reminders.run(START - timedelta(minutes=20)) == 0

    assert len(reminders.notifier.reminders()) == 1
    assert reminders.reminders_of()["24h"] == "superseded"
    assert reminders.audited() == ["appointment.reminder.1h"]


def test_a_run_late_by_hours_still_sends_the_24h_reminder() -> None:
    reminders = Reminders(appointment(START))

    assert reminders.run(START - timedelta(hours=3)) == 1

    assert set(reminders.reminders_of()) == {"24h"}


def test_nothing_is_sent_once_the_appointment_has_started() -> None:
    reminders = Reminders(appointment(START))

    assert reminders.run(START) == 0
    assert reminders.run(START + timedelta(minutes=10)) == 0

    assert reminders.notifier.sent == []


def test_a_failed_send_is_retried_on_the_next_run() -> None:
    reminders = Reminders(appointment(START))
    reminders.notifier.down = True

    assert reminders.run(START - timedelta(hours=24)) == 0
    assert reminders.reminders_of() == {}  # the claim was given back
    assert reminders.audited() == []

    reminders.notifier.down = False
    assert reminders.run(START - timedelta(hours=23, minutes=59)) == 1
    assert len(reminders.notifier.reminders()) == 1
    assert reminders.audited() == ["appointment.reminder.24h"]


def test_one_failing_address_does_not_stop_the_other_reminders() -> None:
    reminders = Reminders(
        appointment(START, number=1, email="bounces@example.org"),
        appointment(START + timedelta(minutes=20), number=2, email="jordi@example.org"),
    )
    reminders.notifier.failing.add("bounces@example.org")

    assert reminders.run(START - timedelta(minutes=50)) == 1  # Jordi's 24-hour reminder, after the failed 1-hour one

    assert [m.to for m in reminders.notifier.reminders()] == ["jordi@example.org"]
    assert "1h" not in reminders.reminders_of(1)  # given back: the next run tries again


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.NO_SHOW, Status.COMPLETED])
def test_an_appointment_that_is_not_active_gets_no_reminder(status: Status) -> None:
    reminders = Reminders(appointment(START, status=status))

    for before in (timedelta(hours=24), timedelta(hours=1), timedelta(minutes=30)):
        assert reminders.run(START - before) == 0

    assert reminders.notifier.sent == []
    assert reminders.audit.events == []


def test_a_claim_taken_by_a_concurrent_run_is_not_sent_again() -> None:
    reminders = Reminders(appointment(START))
    # Another run claimed the 24-hour reminder after this run read the appointment, and is sending it now.
    stale = reminders.store.appointments[appointment(START).id]
    reminders.store.mark_reminder(stale.id, "24h", "sending", claim=True)
    reminders.store.of_office_day = lambda office, day: [stale] if office == "OMAC" else []  # type: ignore[method-assign]

    assert reminders.run(START - timedelta(hours=24)) == 0

    assert reminders.notifier.sent == []


def test_tomorrows_appointments_are_reminded_as_each_falls_due() -> None:
    tomorrow_morning = datetime(2026, 12, 3, 9, 0, tzinfo=MADRID)
    reminders = Reminders(appointment(tomorrow_morning, 1), appointment(tomorrow_morning + timedelta(hours=1), 2))

    # 09:30 the day before: the first is due (23.5 h ahead), the second not yet (24.5 h ahead)
    assert reminders.run(tomorrow_morning - timedelta(hours=23, minutes=30)) == 1
    assert reminders.run(tomorrow_morning + timedelta(minutes=1) - timedelta(hours=23)) == 1

    assert set(reminders.reminders_of(1)) == set(reminders.reminders_of(2)) == {"24h"}


# --- absolute time across DST ----------------------------------------------------------------------------------------


def test_reminders_are_due_24_and_1_real_hours_before_in_summer() -> None:
    # Tuesday 30 March 2027, 09:00 (+02:00, two days after the change); the day before is Easter Monday.
    start = datetime(2027, 3, 30, 9, 0, tzinfo=MADRID)
    reminders = Reminders(appointment(start))

    assert reminders.run(datetime(2027, 3, 29, 6, 59, tzinfo=UTC)) == 0
    assert reminders.run(datetime(2027, 3, 29, 7, 0, tzinfo=UTC)) == 1  # 2027-03-29T09:00+02:00
    assert reminders.run(datetime(2027, 3, 30, 5, 59, tzinfo=UTC)) == 0
    assert reminders.run(datetime(2027, 3, 30, 6, 0, tzinfo=UTC)) == 1  # 08:00+02:00

    assert reminders.reminders_of() == {"24h": "2027-03-29T07:00:00+00:00", "1h": "2027-03-30T06:00:00+00:00"}


@pytest.mark.parametrize(
    ("start", "due"),
    [
        # Sunday 28 March 2027 at 12:00 (+02:00): 24 real hours before is Saturday 11:00 (+01:00), not 12:00.
        (datetime(2027, 3, 28, 12, 0, tzinfo=MADRID), "2027-03-27T11:00:00+01:00"),
        # Sunday 25 October 2026 at 12:00 (+01:00): 24 real hours before is Saturday 13:00 (+02:00), not 12:00.
        (datetime(2026, 10, 25, 12, 0, tzinfo=MADRID), "2026-10-24T13:00:00+02:00"),
    ],
)
def test_the_24h_reminder_counts_real_hours_across_a_dst_change(start: datetime, due: str) -> None:
    # Offices are closed on Sundays; an appointment at that time only makes the arithmetic visible.
    due_at = datetime.fromisoformat(due)
    reminders = Reminders(appointment(start))

    assert reminders.run(due_at - timedelta(minutes=1)) == 0
    assert reminders.run(due_at) == 1

    assert due_at.astimezone(MADRID).isoformat() == due
    assert start - due_at == timedelta(hours=24)
    assert datetime.fromisoformat(reminders.reminders_of()["24h"]) == due_at


# --- what the reminder says ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "subject", "cancel_words"),
    [
        ("ca", "Recordatori: Certificat d'empadronament", "anul·leu-la aquí"),
        ("es", "Recordatorio: Certificado de empadronamiento", "anúlela aquí"),
        ("en", "Reminder: Certificate of residence", "cancel it here"),
    ],
)
def test_the_reminder_offers_cancelling_with_the_manage_link(language: str, subject: str, cancel_words: str) -> None:
    booked = appointment(START, language=language)
    reminders = Reminders(booked)

    reminders.run(START - timedelta(hours=24))

    (email,) = reminders.notifier.reminders()
    assert email.channel == "email"
    assert email.to == "rosa@example.org"
    assert email.subject == subject
    assert f"{cancel_words}: {BASE_URL}/appointments/{booked.id}" in email.body
    assert "10:00" in email.body  # council time (+01:00), not 09:00 UTC


def test_a_citizen_with_a_phone_gets_the_reminder_by_sms_too() -> None:
    booked = appointment(START, phone="+34600111222")
    reminders = Reminders(booked)

    assert reminders.run(START - timedelta(hours=1)) == 1

    assert sorted(m.channel for m in reminders.notifier.reminders()) == ["email", "sms"]
    sms = next(m for m in reminders.notifier.sent if m.channel == "sms")
    # The list of appointments: one appointment's own link would not fit in two SMS segments.
    assert sms.body.endswith(f"{BASE_URL}/appointments")
    assert "10:00" in sms.body
    assert not set("«»“”") & set(sms.body)


def test_the_reminder_email_carries_the_calendar_file() -> None:
    reminders = Reminders(appointment(START))

    reminders.run(START - timedelta(hours=24))

    (email,) = reminders.notifier.reminders()
    (ics,) = email.attachments
    assert ics.content_type.startswith("text/calendar")
    assert b"BEGIN:VEVENT" in ics.data


def test_dates_in_this_file_are_the_weekdays_their_comments_say() -> None:
    assert START.date().weekday() == 2
    assert date(2027, 3, 30).weekday() == 1
    assert date(2027, 3, 28).weekday() == date(2026, 10, 25).weekday() == 6
