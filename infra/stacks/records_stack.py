"""The records stack: the audit, recordings and documents buckets of ``infra.resources.RESOURCES``, and the bucket
their server access logs go to.

Records buckets: versioned, Object Lock with the described default retention (COMPLIANCE for the audit trail,
GOVERNANCE for recordings and documents, whose per-procedure retention the API sets on each object version), SSE-KMS
with the customer ``data`` key and bucket keys, public access blocked, TLS 1.2+ only, ACLs disabled, lifecycle rules,
server access logs, retained when the stack is deleted.

The stack holds no asset (no custom resource, no auto-delete handler): it deploys with CloudFormation alone, which
is also what lets ``python -m infra.localstack.run`` deploy it to LocalStack.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, CrossStackReferences, Duration, ReferenceStrength, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.resources import Bucket, physical_name
from infra.stacks.checkov import skip
from infra.stacks.keys_stack import KeysStack
from infra.stacks.naming import pascal
from infra.stacks.stage_stack import StageStack

ACCESS_LOGS = "access-logs"
# Multipart uploads (recordings are uploaded in parts) that never completed: their parts cost storage and hold data.
ABORT_INCOMPLETE_UPLOADS_DAYS = 7
NONCURRENT_LOGS_DAYS = 30


def access_log_prefix(bucket_name: str) -> str:
    """Where the server access logs of a records bucket go in the access-logs bucket."""
    return f"{bucket_name}/"


class RecordsStack(StageStack):
    """``buckets``: name → bucket (audit, recordings, documents); ``access_logs``: their server access logs."""

    def __init__(self, scope: Construct, construct_id: str, *, keys: KeysStack, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.keys: dict[str, kms.Key] = keys.keys
        self.access_logs = self._access_logs_bucket()
        self.buckets: dict[str, s3.Bucket] = {b.name: self._bucket(b) for b in self.resources.buckets}

    def _access_logs_bucket(self) -> s3.Bucket:
        """The target of the records buckets' server access logs (who read or wrote which record, and when).

        S3 log delivery writes with SSE-S3 only (it cannot use a KMS key), and a target bucket must not have an
        Object Lock default retention; with ACLs disabled, CDK grants the logging service through this bucket's
        policy (feature flag ``@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy``), limited to the source buckets.
        """
        days = Duration.days(self.config.log_retention_days)
        created = s3.Bucket(
            self,
            "AccessLogsBucket",
            bucket_name=physical_name(self.stage, ACCESS_LOGS),
            versioned=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="abort-incomplete-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(ABORT_INCOMPLETE_UPLOADS_DAYS),
                ),
                # Kept as long as the stage keeps its other logs (StageConfig.log_retention_days); a log file
                # deleted or overwritten before then stays recoverable as a noncurrent version for a while.
                s3.LifecycleRule(
                    id="expire-logs",
                    expiration=days,
                    noncurrent_version_expiration=Duration.days(NONCURRENT_LOGS_DAYS),
                ),
                s3.LifecycleRule(id="remove-expired-delete-markers", expired_object_delete_marker=True),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        CrossStackReferences.of(created).produce(ReferenceStrength.STRONG)
        skip(created, CKV_AWS_18="it is the access log target: logging its own writes would loop")
        CfnOutput(
            self,
            "AccessLogsBucketName",
            value=created.bucket_name,
            description="Server access logs of the audit, recordings and documents buckets",
        )
        return created

    def _bucket(self, bucket: Bucket) -> s3.Bucket:
        retention = _retention(bucket)
        name = physical_name(self.stage, bucket.name)
        created = s3.Bucket(
            self,
            f"{pascal(bucket.name)}Bucket",
            bucket_name=name,
            versioned=bucket.versioned,
            # Object Lock can only be turned on when the bucket is created, so it follows the description.
            object_lock_enabled=retention is not None,
            object_lock_default_retention=retention,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.keys[bucket.kms_key],
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=_lifecycle_rules(bucket),
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=access_log_prefix(name),
            removal_policy=RemovalPolicy.RETAIN,
        )
        # Strong references (Export + Fn::ImportValue), as for the keys: a bucket in use elsewhere cannot be removed.
        CrossStackReferences.of(created).produce(ReferenceStrength.STRONG)
        CfnOutput(self, f"{pascal(bucket.name)}BucketName", value=created.bucket_name, description=bucket.purpose)
        return created


def _retention(bucket: Bucket) -> s3.ObjectLockRetention | None:
    if bucket.object_lock_mode is None:
        return None
    days = Duration.days(bucket.object_lock_days)
    if bucket.object_lock_mode == "COMPLIANCE":
        return s3.ObjectLockRetention.compliance(days)
    return s3.ObjectLockRetention.governance(days)


def _lifecycle_rules(bucket: Bucket) -> list[s3.LifecycleRule]:
    rules = [
        s3.LifecycleRule(
            id="abort-incomplete-uploads",
            abort_incomplete_multipart_upload_after=Duration.days(ABORT_INCOMPLETE_UPLOADS_DAYS),
        )
    ]
    if bucket.versioned:
        # A version becomes noncurrent when it is deleted or overwritten. Lifecycle never removes a version whose
        # lock (the default retention, or the longer per-procedure retention the API set on it) still holds: S3
        # expires it on a later daily run, once the lock has ended. Delete markers left alone are removed too.
        rules.append(
            s3.LifecycleRule(
                id="expire-noncurrent-after-retention",
                noncurrent_version_expiration=Duration.days(max(bucket.object_lock_days, 1)),
                expired_object_delete_marker=True,
            )
        )
    return rules
