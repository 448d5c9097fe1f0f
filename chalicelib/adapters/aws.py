"""One boto3 session per process: building a session re-reads botocore's service models (~0.1 s each)."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def session(region: str) -> Any:
    import boto3

    return boto3.session.Session(region_name=region)


def client(service: str, region: str, endpoint_url: str | None = None) -> Any:
    # boto3 honours AWS_ENDPOINT_URL itself; passing it keeps code that builds Settings by hand on moto too.
    return session(region).client(service, endpoint_url=endpoint_url)
