"""The audit bucket: log and digest files written under Object Lock (COMPLIANCE), read back for verification.

The reading half is all a verifier needs besides the public key: it works with read-only credentials, and outside
the council's account on a copy of the bucket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import DependencyUnavailable

_MISSING = ("NoSuchKey", "404", "NotFound", "NoSuchBucket")
T = TypeVar("T")


def _none_if_missing(read: Callable[[], T]) -> T | None:
    """What ``read`` returns, None where the object or bucket does not exist; any other failure is the bucket's."""
    try:
        return read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in _MISSING:
            return None
        raise DependencyUnavailable("The audit bucket could not be read.") from exc
    except BotoCoreError as exc:
        raise DependencyUnavailable("The audit bucket could not be read.") from exc


class S3TrailObjects:
    def __init__(self, client: Any, kms_key: str = "") -> None:
        self._client = client
        self._kms_key = kms_key

    # --- writing ---------------------------------------------------------------------------------------------------
    def put(
        self, bucket: str, key: str, body: bytes, retain_until: datetime, metadata: Mapping[str, str] | None = None
    ) -> None:
        """Write a trail file that nobody — not even the account's root — can change or delete before
        ``retain_until`` (Object Lock COMPLIANCE on this version)."""
        extra: dict[str, Any] = {}
        if self._kms_key:
            extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self._kms_key}
        try:
            self._client.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ContentType="application/json",
                ContentEncoding="gzip",
                Metadata=dict(metadata or {}),
                ObjectLockMode="COMPLIANCE",
                ObjectLockRetainUntilDate=retain_until,
                ChecksumAlgorithm="SHA256",
                **extra,
            )
        except (BotoCoreError, ClientError) as exc:
            raise DependencyUnavailable("The audit bucket could not be written.") from exc

    # --- reading (the verifier's three functions) -------------------------------------------------------------------
    def get(self, bucket: str, key: str) -> bytes | None:
        return _none_if_missing(lambda: bytes(self._client.get_object(Bucket=bucket, Key=key)["Body"].read()))

    def metadata(self, bucket: str, key: str) -> Mapping[str, str] | None:
        return _none_if_missing(lambda: dict(self._client.head_object(Bucket=bucket, Key=key).get("Metadata") or {}))

    def list_keys(self, bucket: str, prefix: str) -> Iterator[str]:
        try:
            for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for entry in page.get("Contents") or []:
                    yield str(entry["Key"])
        except (BotoCoreError, ClientError) as exc:
            raise DependencyUnavailable("The audit bucket could not be listed.") from exc
