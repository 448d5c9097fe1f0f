"""How the booking store reads DynamoDB's refusals of a transaction (without AWS: a scripted connection)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pynamodb.connection import Connection
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

from chalicelib.adapters.dynamo.booking import DynamoBookingStore
from chalicelib.adapters.dynamo.models import AppointmentItem, BookingItem, bound
from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.errors import Conflict, DependencyUnavailable

MADRID = ZoneInfo("Europe/Madrid")


def _cancelled(*codes: str) -> TransactWriteError:
    cause = VerboseClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
        "TransactWriteItems",
        {},
        cancellation_reasons=[CancellationReason(code=code) if code != "None" else None for code in codes],
    )
    return TransactWriteError("cancelled", cause=cause)


class ScriptedConnection(Connection):
    """Answers each transaction with the next outcome; keeps what was sent, in the order PynamoDB sends it."""

    def __init__(self, *outcomes: TransactWriteError | None) -> None:
        super().__init__(region="eu-south-2")
        self.outcomes = list(outcomes)
        self.sent: list[list[str]] = []

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        kinds = ("condition_check_items", "delete_items", "put_items", "update_items")
        self.sent.append([kind for kind in kinds for _ in kwargs[kind]])
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return {}


def _book(connection: ScriptedConnection) -> None:
    """One unit, booked by staff: a unit put, the appointment put, the service put, a check and the count update."""
    store = DynamoBookingStore(
        bound(AppointmentItem, "appointments", region="eu-south-2", host=None),
        bound(BookingItem, "booking", region="eu-south-2", host=None),
        connection,
        MADRID,
    )
    start = datetime(2026, 12, 2, 9, 0, tzinfo=MADRID)
    store.book(
        Appointment(
            id="00000000-0000-4000-8000-000000000001",
            service_id="residence-certificate",
            office="OMAC",
            start=start,
            end=start + timedelta(minutes=5),
            status=Status.BOOKED,
            citizen="12345678Z",
            citizen_contact=None,
            contact=Contact("rosa@example.org"),
            language="ca",
            agent="laia",
            units=("2026-12-02T08:00",),
            created_at=datetime(2026, 11, 28, tzinfo=UTC),
            created_by="staff:laia",
        ),
        max_active=3,
    )


def test_a_concurrent_transaction_on_the_same_items_is_retried() -> None:
    connection = ScriptedConnection(_cancelled("TransactionConflict", "None", "None", "None", "None"), None)

    _book(connection)

    assert len(connection.sent) == 2


def test_a_failed_condition_names_its_item() -> None:
    # Sent: the check of the service's code sign-in count, then the unit, the appointment, the service, the count.
    connection = ScriptedConnection(_cancelled("None", "None", "None", "ConditionalCheckFailed", "None"))

    with pytest.raises(Conflict) as raised:
        _book(connection)

    assert connection.sent == [["condition_check_items", "put_items", "put_items", "put_items", "update_items"]]
    assert raised.value.code == "already_booked"


def test_of_several_failed_conditions_the_first_write_added_names_the_refusal() -> None:
    # The check (sent first) and the unit (added first) both failed: the time is taken, whatever else holds.
    connection = ScriptedConnection(
        _cancelled("ConditionalCheckFailed", "ConditionalCheckFailed", "None", "None", "None")
    )

    with pytest.raises(Conflict) as raised:
        _book(connection)

    assert raised.value.code == "slot_unavailable"


def test_conflicts_that_do_not_clear_become_a_dependency_error_not_a_crash() -> None:
    connection = ScriptedConnection(*[_cancelled("TransactionConflict")] * 3)

    with pytest.raises(DependencyUnavailable):
        _book(connection)

    assert len(connection.sent) == 3
