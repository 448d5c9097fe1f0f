"""Through the API: an appointment under way answers 409 ``already_started`` to a change or a cancellation."""

from __future__ import annotations

from chalice.test import Client

from dev.calls_now import DemoCall
from tests.api.test_calls import now_calls  # noqa: F401  (the fixture)
from tests.api.test_identity import body, citizen_token, get, post


def test_an_appointment_under_way_cannot_be_changed_or_cancelled(
    client: Client,
    now_calls: dict[str, DemoCall],  # noqa: F811
) -> None:
    omac = now_calls["OMAC"]  # started five minutes ago
    token = citizen_token(client, omac.id_number, omac.email)
    later = (omac.start.replace(hour=12) if omac.start.hour < 12 else omac.start).isoformat()

    cancelled = post(client, f"/appointments/{omac.appointment_id}/cancel", {}, token)
    moved = post(client, f"/appointments/{omac.appointment_id}/reschedule", {"start": later}, token)

    assert (cancelled.status_code, body(cancelled)["code"]) == (409, "already_started")
    assert (moved.status_code, body(moved)["code"]) == (409, "already_started")
    assert body(get(client, f"/appointments/{omac.appointment_id}", token))["status"] == "booked"
