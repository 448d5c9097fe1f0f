"""The objects of recordings and documents in S3 (versioned buckets with Object Lock): what the retention register does
to them.

- Retention: object-level GOVERNANCE retention, only ever extended (never shortened, whatever a caller asks), on
  every version of a key. The current date is read with ``head_object`` (``ObjectLockRetainUntilDate``), which needs
  the same permission as ``GetObjectRetention`` and works on moto too.
- Legal hold: on every version of a key; a held version cannot be deleted, even bypassing governance retention.
- Deletion: every version and delete marker of a key. A plain DELETE on a versioned bucket only adds a delete marker
  and the data stays; erasure needs each version deleted by id. The sweep runs after the register's retain-until
  date, which is the authority on retention: the bucket's default retention is a floor against accidents and may be
  longer than a configured period, so the sweep bypasses governance retention (its role alone holds
  ``s3:BypassGovernanceRetention``). Legal holds still stop it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import DependencyUnavailable


class ObjectsFailed(DependencyUnavailable):
    """Some versions could not be changed or deleted (e.g. a legal hold); ``keys`` names them."""

    def __init__(self, detail: str, keys: list[str]) -> None:
        super().__init__(detail)
        self.keys = keys


class S3RecordObjects:
    def __init__(self, s3: Any) -> None:
        self._s3 = s3

    def read_json(self, bucket: str, key: str) -> dict[str, Any] | None:
        """A JSON object stored at key, or None if there is no such object (or it is not a JSON object)."""
        try:
            body = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise DependencyUnavailable("The recording's manifest could not be read.") from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable("The recording's manifest could not be read.") from exc
        try:
            parsed = json.loads(body)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None

    def keys_under(self, bucket: str, prefix: str) -> list[str]:
        keys: list[str] = []
        try:
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                keys.extend(str(o["Key"]) for o in page.get("Contents", []))
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The recording's objects could not be listed.") from exc
        return keys

    def extend_retention(self, bucket: str, key: str, until: datetime) -> None:
        """Every version of key retained (GOVERNANCE) at least until ``until``; a later date already set stays."""
        try:
            for version_id in self._versions(bucket, key, markers=False):
                head = self._s3.head_object(Bucket=bucket, Key=key, VersionId=version_id)
                current = head.get("ObjectLockRetainUntilDate")
                if current is not None and current >= until:
                    continue
                self._s3.put_object_retention(
                    Bucket=bucket,
                    Key=key,
                    VersionId=version_id,
                    Retention={"Mode": head.get("ObjectLockMode") or "GOVERNANCE", "RetainUntilDate": until},
                )
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The retention of a stored object could not be extended.") from exc

    def set_legal_hold(self, bucket: str, key: str, on: bool) -> None:
        try:
            for version_id in self._versions(bucket, key, markers=False):
                self._s3.put_object_legal_hold(
                    Bucket=bucket, Key=key, VersionId=version_id, LegalHold={"Status": "ON" if on else "OFF"}
                )
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The legal hold of a stored object could not be changed.") from exc

    def delete_every_version(self, bucket: str, keys: list[str]) -> None:
        """Delete every version and delete marker of these keys; raises ``ObjectsFailed`` unless all are gone."""
        failed: set[str] = set()
        try:
            for key in keys:
                for version_id in self._versions(bucket, key, markers=True):
                    try:
                        self._s3.delete_object(
                            Bucket=bucket, Key=key, VersionId=version_id, BypassGovernanceRetention=True
                        )
                    except ClientError:
                        failed.add(key)
            # Checked again, not assumed: nothing is reported deleted while a version of it remains.
            failed.update(k for k in keys if self._versions(bucket, k, markers=True))
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The stored objects could not be listed.") from exc
        if failed:
            raise ObjectsFailed("Some versions could not be deleted.", sorted(failed))

    def presigned_get(self, bucket: str, key: str, seconds: int, content_type: str) -> str:
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": bucket, "Key": key, "ResponseContentType": content_type},
            ExpiresIn=seconds,
        )
        return url

    def _versions(self, bucket: str, key: str, *, markers: bool) -> list[str]:
        """Version ids of exactly this key (the listing is by prefix), and of its delete markers if asked."""
        found: list[str] = []
        for page in self._s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
            entries = page.get("Versions", []) + (page.get("DeleteMarkers", []) if markers else [])
            found.extend(str(v["VersionId"]) for v in entries if v.get("Key") == key)
        return found
