"""How the DynamoDB adapters report failures: the one mapping from PynamoDB's errors to the domain's.

A failed condition (or a transaction cancelled by one) is an answer, not an error: the adapter returns False or raises
its own Conflict. Anything else (unreachable, throttled, refused) is ``DependencyUnavailable``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pynamodb.exceptions import PynamoDBException

from chalicelib.domain.errors import DependencyUnavailable

_CONDITION_FAILED = ("ConditionalCheckFailedException", "TransactionCanceledException")


def condition_failed(exc: PynamoDBException) -> bool:
    return exc.cause_response_code in _CONDITION_FAILED


@contextmanager
def unavailable(message: str) -> Iterator[None]:
    """Any DynamoDB failure inside the block becomes ``DependencyUnavailable(message)`` (queries page lazily: keep
    the reading of their results inside too)."""
    try:
        yield
    except PynamoDBException as exc:
        raise DependencyUnavailable(message) from exc


def written(write: Callable[[], object], message: str) -> bool:
    """Run one conditional write (or transaction): False when its condition failed, ``DependencyUnavailable`` when
    DynamoDB could not take it."""
    try:
        write()
    except PynamoDBException as exc:
        if condition_failed(exc):
            return False
        raise DependencyUnavailable(message) from exc
    return True
