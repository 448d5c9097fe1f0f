"""How the booking store reads DynamoDB's refusals of a transaction (without AWS: a scripted client)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo.booking import DynamoBookingStore
from chalicelib.domain.errors import Conflict, DependencyUnavailable


def _cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


class ScriptedClient:
    def __init__(self, *outcomes: ClientError | None) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return {}


def _run(client: ScriptedClient) -> None:
    store = DynamoBookingStore(client, "appointments", "booking")
    store._transact([{"Put": {}}, {"Put": {}}], [("slot_unavailable", "taken"), ("already_booked", "twice")])


def test_a_concurrent_transaction_on_the_same_items_is_retried() -> None:
    client = ScriptedClient(_cancelled("TransactionConflict", "None"), None)

    _run(client)

    assert client.calls == 2


def test_a_failed_condition_names_its_item() -> None:
    with pytest.raises(Conflict) as raised:
        _run(ScriptedClient(_cancelled("None", "ConditionalCheckFailed")))

    assert raised.value.code == "already_booked"


def test_conflicts_that_do_not_clear_become_a_dependency_error_not_a_crash() -> None:
    client = ScriptedClient(*[_cancelled("TransactionConflict")] * 3)

    with pytest.raises(DependencyUnavailable):
        _run(client)

    assert client.calls == 3
