"""The checks, with boto3, that S3 and KMS really apply the deployed keys and records stacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from infra.resources import RESOURCES, Bucket, key_alias, physical_name

if TYPE_CHECKING:
    from infra.localstack.deploy import Clients


def current(call: Callable[[], Any]) -> Any:
    """The call's answer, or None where the service answers an error (a setting that is not there)."""
    from botocore.exceptions import ClientError

    try:
        return call()
    except ClientError:
        return None


# --- Checks -----------------------------------------------------------------------------------------------------


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    passed: int = 0

    def check(self, what: str, ok: bool, detail: Any = "") -> bool:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}" + ("" if ok or detail == "" else f": {detail}"), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
        return ok

    def attempt(self, what: str, probe: Callable[[], Any], expect: Callable[[Any], bool]) -> None:
        try:
            got = probe()
        except Exception as error:  # every API failure is a finding, reported with the rest
            self.check(what, False, f"{type(error).__name__}: {error}")
            return
        try:
            ok = bool(expect(got))
        except (KeyError, IndexError, TypeError, ValueError):  # an answer without the expected shape
            ok = False
        self.check(what, ok, got)


def _error_code(call: Callable[[], Any]) -> str:
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as error:
        return str(error.response.get("Error", {}).get("Code", "?"))
    return "no error"


def check_keys(report: Report, clients: Clients, stage: str) -> dict[str, str]:
    """Every described key behind its alias with its spec, usage and rotation; returns alias name → key ARN."""
    kms = clients("kms")
    arns: dict[str, str] = {}
    print("keys:")
    for key in RESOURCES.keys:
        alias = key_alias(stage, key.name)
        try:
            metadata = kms.describe_key(KeyId=alias)["KeyMetadata"]
        except Exception as error:
            report.check(f"{alias} exists", False, error)
            continue
        arns[key.name] = metadata["Arn"]
        report.check(
            f"{alias}: {key.spec}, {key.usage}",
            (metadata.get("KeySpec"), metadata.get("KeyUsage")) == (key.spec, key.usage),
            (metadata.get("KeySpec"), metadata.get("KeyUsage")),
        )
        if key.spec == "SYMMETRIC_DEFAULT":
            rotation = current(partial(kms.get_key_rotation_status, KeyId=metadata["KeyId"]))
            report.check(
                f"{alias}: automatic rotation on",
                bool(rotation and rotation["KeyRotationEnabled"] is True),
                rotation,
            )
    return arns


def _tls_only(policy_json: str) -> bool:
    statements = json.loads(policy_json).get("Statement", [])
    return any(
        s.get("Effect") == "Deny"
        and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
        for s in statements
    ) and any(
        s.get("Effect") == "Deny" and "s3:TlsVersion" in s.get("Condition", {}).get("NumericLessThan", {})
        for s in statements
    )


_BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def _common_bucket_checks(report: Report, s3: Any, name: str) -> None:
    report.attempt(
        f"{name}: versioning Enabled",
        lambda: s3.get_bucket_versioning(Bucket=name).get("Status"),
        lambda got: got == "Enabled",
    )
    report.attempt(
        f"{name}: all public access blocked",
        lambda: s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"],
        lambda got: got == _BLOCK_ALL,
    )
    report.attempt(
        f"{name}: policy denies requests without TLS (1.2+)",
        lambda: s3.get_bucket_policy(Bucket=name)["Policy"],
        _tls_only,
    )
    report.attempt(
        f"{name}: ACLs disabled (BucketOwnerEnforced)",
        lambda: s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        lambda got: got == "BucketOwnerEnforced",
    )


def check_buckets(report: Report, clients: Clients, stage: str, key_arns: dict[str, str]) -> None:
    from infra.stacks.records_stack import ACCESS_LOGS

    s3 = clients("s3")
    logs_bucket = physical_name(stage, ACCESS_LOGS)
    for bucket in RESOURCES.buckets:
        check_bucket(report, s3, physical_name(stage, bucket.name), bucket, key_arns.get(bucket.kms_key), logs_bucket)

    print(f"bucket {logs_bucket}:")
    _common_bucket_checks(report, s3, logs_bucket)
    report.attempt(
        f"{logs_bucket}: default encryption SSE-S3 (what log delivery can write)",
        lambda: s3.get_bucket_encryption(Bucket=logs_bucket)["ServerSideEncryptionConfiguration"]["Rules"][0],
        lambda got: got["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256",
    )
    report.attempt(
        f"{logs_bucket}: lifecycle expires logs, aborts incomplete uploads, removes expired delete markers",
        lambda: {r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=logs_bucket)["Rules"]},
        lambda got: {"expire-logs", "abort-incomplete-uploads", "remove-expired-delete-markers"} <= got,
    )
    report.attempt(
        f"{logs_bucket}: no Object Lock (a log target must not have a default retention)",
        lambda: _error_code(lambda: s3.get_object_lock_configuration(Bucket=logs_bucket)),
        lambda got: got == "ObjectLockConfigurationNotFoundError",
    )


def check_bucket(report: Report, s3: Any, name: str, bucket: Bucket, key_arn: str | None, logs_bucket: str) -> None:
    from infra.stacks.records_stack import access_log_prefix

    print(f"bucket {name}:")
    if bucket.object_lock_mode:
        expected_lock = {"Mode": bucket.object_lock_mode, "Days": bucket.object_lock_days}
        report.attempt(
            f"{name}: Object Lock {bucket.object_lock_mode}, {bucket.object_lock_days} days",
            lambda: s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"],
            lambda got: got.get("ObjectLockEnabled") == "Enabled" and got["Rule"]["DefaultRetention"] == expected_lock,
        )
    _common_bucket_checks(report, s3, name)
    report.attempt(
        f"{name}: default encryption aws:kms with the {bucket.kms_key} key, bucket key on",
        lambda: s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0],
        lambda got: (
            got["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
            and got.get("BucketKeyEnabled") is True
        ),
    )
    report.attempt(
        f"{name}: server access logs to {logs_bucket}/{access_log_prefix(name)}",
        lambda: s3.get_bucket_logging(Bucket=name).get("LoggingEnabled"),
        lambda got: got == {"TargetBucket": logs_bucket, "TargetPrefix": access_log_prefix(name)},
    )
    report.attempt(
        f"{name}: lifecycle aborts incomplete uploads, expires noncurrent versions and delete markers",
        lambda: s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"],
        lambda got: (
            any("AbortIncompleteMultipartUpload" in r for r in got)
            and any(
                r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") == bucket.object_lock_days
                and r.get("Expiration", {}).get("ExpiredObjectDeleteMarker") is True
                for r in got
            )
        ),
    )
    check_objects(report, s3, name, bucket.object_lock_mode, key_arn)


def check_objects(report: Report, s3: Any, name: str, mode: str | None, key_arn: str | None) -> None:
    """A version written without options is encrypted with the key and locked; an API-set retention is kept."""
    put = s3.put_object(Bucket=name, Key="localstack-check/default", Body=b"record")
    version = put.get("VersionId")
    report.check(
        f"{name}: a new object is encrypted with the key",
        (put.get("ServerSideEncryption"), put.get("SSEKMSKeyId")) == ("aws:kms", key_arn),
        (put.get("ServerSideEncryption"), put.get("SSEKMSKeyId")),
    )
    if not mode:
        return
    report.attempt(
        f"{name}: the new version gets the default retention ({mode})",
        lambda: s3.get_object_retention(Bucket=name, Key="localstack-check/default", VersionId=version)["Retention"],
        lambda got: got.get("Mode") == mode,
    )
    report.check(
        f"{name}: deleting the locked version is refused",
        (code := _error_code(lambda: s3.delete_object(Bucket=name, Key="localstack-check/default", VersionId=version)))
        == "AccessDenied",
        code,
    )
    if mode == "COMPLIANCE":
        report.check(
            f"{name}: … even with a governance bypass",
            (
                code := _error_code(
                    lambda: s3.delete_object(
                        Bucket=name, Key="localstack-check/default", VersionId=version, BypassGovernanceRetention=True
                    )
                )
            )
            == "AccessDenied",
            code,
        )
    else:
        # The API sets each procedure's retention on the object version (here: a year and a day).
        until = (datetime.now(UTC) + timedelta(days=366)).replace(microsecond=0)
        put = s3.put_object(
            Bucket=name,
            Key="localstack-check/procedure",
            Body=b"record",
            ObjectLockMode=mode,
            ObjectLockRetainUntilDate=until,
        )
        procedure_version = put.get("VersionId")
        report.attempt(
            f"{name}: an object-level retention set on upload is kept",
            lambda: s3.get_object_retention(Bucket=name, Key="localstack-check/procedure", VersionId=procedure_version)[
                "Retention"
            ],
            lambda got: got.get("Mode") == mode and got.get("RetainUntilDate") == until,
        )
