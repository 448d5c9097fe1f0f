"""The origin secret's values during a rotation, and how often a wrong value may make us ask Secrets Manager."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.origin import OriginSecret
from tests.fakes import ManualClock

NAME = "videoatencion/test/origin-verify"


class CountingClient:
    """Secrets Manager (moto), counting the reads."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.exceptions = real.exceptions
        self.reads = 0

    def get_secret_value(self, **kwargs: Any) -> Any:
        self.reads += 1
        return self._real.get_secret_value(**kwargs)


@pytest.fixture
def secrets() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-south-2")
        client.create_secret(Name=NAME, SecretString="value-one")
        yield client


def test_a_rotation_is_accepted_at_once_with_the_old_value_still_passing(secrets: Any) -> None:
    clock = ManualClock()
    origin = OriginSecret(secrets, NAME, ttl_seconds=300, min_refresh_seconds=10, clock=clock)
    assert origin.accepts("value-one")

    # WHEN the rotation puts a pending value, which CloudFront starts sending
    secrets.put_secret_value(SecretId=NAME, SecretString="value-two", VersionStages=["AWSPENDING"])
    clock.now += 11

    # THEN the pending value passes (one early re-read), and so does the current one
    assert origin.accepts("value-two")
    assert origin.accepts("value-one")

    # WHEN the rotation finishes (the new value current, the old one previous)
    secrets.put_secret_value(SecretId=NAME, SecretString="value-two")
    clock.now += 301

    assert origin.accepts("value-two")
    assert origin.accepts("value-one")
    assert not origin.accepts("value-three")
    assert not origin.accepts(None)
    assert not origin.accepts("")


def test_a_flood_of_wrong_values_reads_the_secret_at_most_once_per_interval(secrets: Any) -> None:
    clock = ManualClock()
    counting = CountingClient(secrets)
    origin = OriginSecret(counting, NAME, ttl_seconds=300, min_refresh_seconds=10, clock=clock)
    origin.accepts("value-one")
    first = counting.reads

    refused = [origin.accepts(f"guess-{i}") for i in range(500)]

    assert not any(refused)
    assert counting.reads == first  # within the interval: no read at all
    clock.now += 10
    origin.accepts("guess")
    origin.accepts("guess")
    assert counting.reads == 2 * first  # one more read after it
