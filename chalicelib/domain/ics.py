"""Calendar files (RFC 5545) for appointments, with the council's time zone spelled out (VTIMEZONE)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.appointments import Appointment


def appointment_ics(
    appointment: Appointment, title: str, description: str, organizer_email: str, now: datetime
) -> bytes:
    # Imported here: a cold start that sends no calendar file (most requests) does not load icalendar.
    from icalendar import Alarm, Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Videoatencio//Appointments//CA")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{appointment.id}@videoatencion")
    event.add("sequence", appointment.version)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("summary", title)
    event.add("description", description)
    event.add("location", "Videotrucada / Videollamada / Video call")
    event.add("organizer", f"mailto:{organizer_email}")
    event.add("status", "CANCELLED" if appointment.status.value == "cancelled" else "CONFIRMED")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", title)
    alarm.add("trigger", timedelta(minutes=-30))
    event.add_component(alarm)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
