"""What S3 Object Lock does to the recordings bucket (as provisioned from infra/resources.py), on moto: the guarantees
the retention sweep and legal holds rely on, and the moto gaps met on the way."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.s3_records import ObjectsFailed, S3RecordObjects
from infra.resources import physical_name

BUCKET = physical_name("dev", "recordings")


def put(key: str, data: bytes = b"segment") -> str:
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    answer = boto3.client("s3").put_object(
        Bucket=BUCKET, Key=key, Body=data, ChecksumAlgorithm="SHA256", ChecksumSHA256=digest
    )
    return str(answer["VersionId"])


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_a_version_under_retention_cannot_be_deleted(aws: None) -> None:
    s3 = boto3.client("s3")
    version = put("recordings/a/r/seg.webm")
    # The bucket's default retention (GOVERNANCE, 30 days) applies to every new version.
    head = s3.head_object(Bucket=BUCKET, Key="recordings/a/r/seg.webm", VersionId=version)
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=29)

    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=BUCKET, Key="recordings/a/r/seg.webm", VersionId=version)
    assert error_code(refused) == "AccessDenied"
    assert s3.get_object(Bucket=BUCKET, Key="recordings/a/r/seg.webm", VersionId=version)["Body"].read() == b"segment"


def test_a_plain_delete_only_adds_a_delete_marker_and_the_data_stays(aws: None) -> None:
    s3 = boto3.client("s3")
    version = put("recordings/a/r/seg.webm")
    answer = s3.delete_object(Bucket=BUCKET, Key="recordings/a/r/seg.webm")
    assert answer["DeleteMarker"] is True

    with pytest.raises(ClientError) as gone:
        s3.get_object(Bucket=BUCKET, Key="recordings/a/r/seg.webm")
    assert error_code(gone) == "NoSuchKey"
    # ...but the locked version is all there: "deleting" a recording this way erases nothing.
    assert s3.get_object(Bucket=BUCKET, Key="recordings/a/r/seg.webm", VersionId=version)["Body"].read() == b"segment"


def test_a_legal_hold_blocks_deleting_a_version_even_bypassing_governance(aws: None) -> None:
    s3 = boto3.client("s3")
    version = put("recordings/a/r/seg.webm")
    s3.put_object_legal_hold(
        Bucket=BUCKET, Key="recordings/a/r/seg.webm", VersionId=version, LegalHold={"Status": "ON"}
    )
    with pytest.raises(ClientError) as refused:
        s3.delete_object(
            Bucket=BUCKET, Key="recordings/a/r/seg.webm", VersionId=version, BypassGovernanceRetention=True
        )
    assert error_code(refused) == "AccessDenied"
    # The register's adapter reports it rather than pretending: the record stays live for the next sweep.
    with pytest.raises(ObjectsFailed) as failed:
        S3RecordObjects(s3).delete_every_version(BUCKET, ["recordings/a/r/seg.webm"])
    assert failed.value.keys == ["recordings/a/r/seg.webm"]
    assert s3.get_object(Bucket=BUCKET, Key="recordings/a/r/seg.webm", VersionId=version)["Body"].read() == b"segment"


def test_retention_is_only_ever_extended_on_every_version(aws: None) -> None:
    s3 = boto3.client("s3")
    first, second = put("recordings/a/r/seg.webm", b"one"), put("recordings/a/r/seg.webm", b"two")
    objects = S3RecordObjects(s3)
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=800)
    objects.extend_retention(BUCKET, "recordings/a/r/seg.webm", later)
    objects.extend_retention(BUCKET, "recordings/a/r/seg.webm", later - timedelta(days=700))

    # moto gap: GetObjectRetention answers 500; head_object's ObjectLockRetainUntilDate is the same date.
    for version in (first, second):
        head = s3.head_object(Bucket=BUCKET, Key="recordings/a/r/seg.webm", VersionId=version)
        assert head["ObjectLockRetainUntilDate"] == later
    # moto gap: moto lets PutObjectRetention shorten a GOVERNANCE date without BypassGovernanceRetention (S3 refuses
    # it), so "never shortened" is the adapter's own rule, checked above, not S3's.


def test_the_sweep_erases_every_version_and_delete_marker(aws: None) -> None:
    s3 = boto3.client("s3")
    put("recordings/a/r/seg.webm", b"one")
    put("recordings/a/r/seg.webm", b"two")
    s3.delete_object(Bucket=BUCKET, Key="recordings/a/r/seg.webm")
    put("recordings/a/r/seg.webm.keep")  # same prefix, another object: not ours to delete

    S3RecordObjects(s3).delete_every_version(BUCKET, ["recordings/a/r/seg.webm"])

    left = s3.list_object_versions(Bucket=BUCKET, Prefix="recordings/a/r/")
    assert [v["Key"] for v in left.get("Versions", [])] == ["recordings/a/r/seg.webm.keep"]
    assert left.get("DeleteMarkers", []) == []
