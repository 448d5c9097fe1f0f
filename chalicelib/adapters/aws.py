"""One botocore session per process, under every boto3 client and every PynamoDB model: building a session re-reads
botocore's service models (~0.1-0.2 s each), and PynamoDB would otherwise build one per model."""

from __future__ import annotations

import functools
import os
from typing import Any


@functools.cache
def botocore_session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@functools.cache
def session(region: str) -> Any:
    import boto3

    return boto3.session.Session(region_name=region, botocore_session=botocore_session())


def client(service: str, region: str, endpoint_url: str | None = None) -> Any:
    """One client per service, region and endpoint in a process (clients are thread-safe; building one reads its
    service model, ~10 ms), as AWS advises for Lambda: created once, reused by every invocation."""
    service_variable = f"AWS_ENDPOINT_URL_{service.upper().replace('-', '_')}"
    environment_endpoint = os.environ.get(service_variable) or os.environ.get("AWS_ENDPOINT_URL")
    return _client(service, region, endpoint_url, environment_endpoint)


@functools.cache
def _client(service: str, region: str, endpoint_url: str | None, environment_endpoint: str | None) -> Any:
    """``environment_endpoint`` is part of the key only: boto3 reads the variable itself when it builds the client."""
    # boto3 honours AWS_ENDPOINT_URL itself; passing it keeps code that builds Settings by hand on moto too.
    config = None
    if service == "s3" and not (endpoint_url or environment_endpoint):
        from botocore.config import Config

        # On AWS: virtual-hosted, regional addresses (bucket.s3.eu-south-2.amazonaws.com). botocore otherwise presigns
        # URLs on the global host, which buckets in opt-in regions such as eu-south-2 do not answer.
        config = Config(s3={"addressing_style": "virtual"})
    return session(region).client(service, endpoint_url=endpoint_url, config=config)
