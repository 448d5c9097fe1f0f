"""Appointments happening now, so a person can try a call the moment ``make run`` is up.

At every start, one appointment per office whose call window is open right now, for a demo citizen (a person of the
demo padrón) with a demo email address: sign in with that ID number and address (the code shows in the dev outbox),
and as the office's agent in another browser window.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo.booking import booking_store
from chalicelib.auth.codes import contact_digest
from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.catalogue import OfficeId
from chalicelib.settings import council_timezone
from dev.seed import DEMO
from infra.resources import RESOURCES, parameter_path, physical_name


@dataclass(frozen=True)
class DemoCall:
    office: str
    service_id: str
    id_number: str
    name: str
    email: str
    agent: str
    appointment_id: str
    start: datetime


# (office, service, citizen ID number, name, email, agent): adults of the demo padrón (dev/seed.py padron()) whom
# no test books for, so these appointments never collide with a test's booking (the OGAT one has debts to pay).
DEMO_CALLS = (
    ("OMAC", "residence-certificate", "99687491V", "Rosa Martínez", "rosa.martinez@vilademo.example", "agent.omac"),
    ("OGAT", "payment-letter", "99028505G", "Carla Casas", "carla.casas@vilademo.example", "agent.ogat"),
)
DURATION = timedelta(minutes=30)


def seed_calls_now(
    stage: str,
    region: str,
    endpoint_url: str | None,
    now: datetime | None = None,
    calls: tuple[tuple[str, str, str, str, str, str], ...] = DEMO_CALLS,
) -> list[DemoCall]:
    """Book the demo appointments of this moment (started 5 minutes ago, 30 minutes long); returns them. ``calls``:
    others of the same shape (a test's own appointment happening now, for a person no other test books for)."""
    if stage == "prod":
        raise ValueError("demo data never goes to prod")
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    start = moment - timedelta(minutes=moment.minute % 5) - timedelta(minutes=5)
    # Each appointment in its office's zone (offices carry one), as booking gives it.
    offices = json.loads((DEMO / "catalogue.json").read_text(encoding="utf-8"))["offices"]
    zones = {office["id"]: ZoneInfo(office["timezone"]) for office in offices}
    ssm = aws.client("ssm", region, endpoint_url)
    pepper_name = next(p for p in RESOURCES.parameters if p.name == "auth/otp-pepper").name
    pepper = ssm.get_parameter(Name=parameter_path(stage, pepper_name), WithDecryption=True)["Parameter"]["Value"]
    store = booking_store(
        physical_name(stage, "appointments"),
        physical_name(stage, "booking"),
        region=region,
        host=endpoint_url,
        zone=ZoneInfo(council_timezone(os.environ)),
    )
    made = []
    for office, service, id_number, name, email, agent in calls:
        # Never before the office's midnight: an appointment of yesterday is not on today's agenda, where the agent
        # (and every test that opens the agenda in the minutes after midnight) looks for it.
        local = moment.astimezone(zones[office])
        midnight = local.replace(hour=0, minute=0)
        begins = max(start.astimezone(zones[office]), midnight)
        appointment = Appointment(
            id=str(uuid.uuid4()),
            service_id=service,
            office=OfficeId(office),
            start=begins,
            end=begins + DURATION,
            status=Status.BOOKED,
            citizen=id_number,
            citizen_contact=contact_digest(pepper.encode(), email),
            contact=Contact(email=email),
            language="ca",
            agent=agent,
            # Outside the agents' bookable capacity: a demo extra that never blocks a slot someone could book.
            units=(),
            created_at=moment,
            created_by="staff:demo",
            citizen_name=name,
        )
        store.book(appointment, max_active=100)
        made.append(DemoCall(office, service, id_number, name, email, agent, appointment.id, appointment.start))
    return made
