"""The synthesised records stack: the audit, recordings and documents buckets ``infra/resources.py`` describes, locked,
encrypted with the customer key, private, TLS-only and logged; and the access-logs bucket their logs go to."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.resources import RESOURCES, Bucket, physical_name
from infra.stacks.records_stack import ABORT_INCOMPLETE_UPLOADS_DAYS, ACCESS_LOGS, access_log_prefix
from infra.tests.synthesis import REGION, STAGE, StackTemplate, Synthesised
from infra.tests.templates import (
    BLOCK_ALL_PUBLIC_ACCESS,
    assert_retained,
    find_one,
    ids,
    key_arn_import,
    tags,
    tls_only_policy,
)


def _bucket(records: StackTemplate, name: str) -> tuple[str, Mapping[str, Any]]:
    return find_one(records, "AWS::S3::Bucket", {"BucketName": name})


def _access_logs(synthesised: Synthesised) -> tuple[str, Mapping[str, Any]]:
    return _bucket(synthesised["records"], physical_name(synthesised.deployment.context.config.name, ACCESS_LOGS))


def test_the_stack_declares_the_described_buckets_and_the_access_logs_bucket(synthesised: Synthesised) -> None:
    records = synthesised["records"]
    names = {r["Properties"]["BucketName"] for r in records.template.find_resources("AWS::S3::Bucket").values()}

    assert names == {physical_name(STAGE, b.name) for b in RESOURCES.buckets} | {physical_name(STAGE, ACCESS_LOGS)}
    assert set(synthesised.deployment.records.buckets) == {b.name for b in RESOURCES.buckets}


@pytest.mark.parametrize("bucket", RESOURCES.buckets, ids=ids)
def test_every_bucket_locks_its_versions_for_the_described_retention(synthesised: Synthesised, bucket: Bucket) -> None:
    _, resource = _bucket(synthesised["records"], physical_name(STAGE, bucket.name))
    properties = resource["Properties"]

    assert properties["VersioningConfiguration"] == {"Status": "Enabled" if bucket.versioned else "Suspended"}
    if bucket.object_lock_mode:
        assert properties["ObjectLockEnabled"] is True
        assert properties["ObjectLockConfiguration"] == {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": bucket.object_lock_mode, "Days": bucket.object_lock_days}},
        }
    else:
        assert "ObjectLockConfiguration" not in properties
    assert_retained(resource)


def test_the_audit_trail_is_locked_in_compliance_mode_and_the_others_in_governance(synthesised: Synthesised) -> None:
    # COMPLIANCE: nobody, root included, shortens or removes it. GOVERNANCE: the API sets each procedure's retention
    # on the object version (longer than the default where the procedure says so).
    modes = {b.name: b.object_lock_mode for b in RESOURCES.buckets}

    assert modes == {"audit": "COMPLIANCE", "recordings": "GOVERNANCE", "documents": "GOVERNANCE"}


@pytest.mark.parametrize("bucket", RESOURCES.buckets, ids=ids)
def test_lifecycle_aborts_uploads_and_expires_noncurrent_versions_after_the_retention(
    synthesised: Synthesised, bucket: Bucket
) -> None:
    _, resource = _bucket(synthesised["records"], physical_name(STAGE, bucket.name))
    rules = {rule["Id"]: rule for rule in resource["Properties"]["LifecycleConfiguration"]["Rules"]}

    assert rules["abort-incomplete-uploads"] == {
        "Id": "abort-incomplete-uploads",
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_INCOMPLETE_UPLOADS_DAYS},
        "Status": "Enabled",
    }
    assert rules["expire-noncurrent-after-retention"] == {
        "Id": "expire-noncurrent-after-retention",
        "NoncurrentVersionExpiration": {"NoncurrentDays": bucket.object_lock_days},
        "ExpiredObjectDeleteMarker": True,
        "Status": "Enabled",
    }
    # No rule expires current versions: the API's retention sweep deletes records, never a lifecycle rule.
    assert all("ExpirationInDays" not in rule for rule in rules.values())


@pytest.mark.parametrize("bucket", RESOURCES.buckets, ids=ids)
def test_every_bucket_is_private_encrypted_with_the_customer_key_tls_only_and_logged(
    synthesised: Synthesised, bucket: Bucket
) -> None:
    records = synthesised["records"]
    name = physical_name(STAGE, bucket.name)
    logs_id, _ = _access_logs(synthesised)
    logical_id, _ = find_one(
        records,
        "AWS::S3::Bucket",
        {
            "BucketName": name,
            "PublicAccessBlockConfiguration": BLOCK_ALL_PUBLIC_ACCESS,
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "BucketKeyEnabled": True,
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": key_arn_import(synthesised, bucket.kms_key),
                        },
                    }
                ]
            },
            "LoggingConfiguration": {
                "DestinationBucketName": {"Ref": logs_id},
                "LogFilePrefix": access_log_prefix(name),
            },
            "Tags": tags(STAGE),
        },
    )
    records.template.has_resource_properties("AWS::S3::BucketPolicy", tls_only_policy(logical_id))


def test_the_access_logs_bucket_takes_what_log_delivery_can_write_and_nothing_public(synthesised: Synthesised) -> None:
    records = synthesised["records"]
    logs_id, resource = _access_logs(synthesised)
    properties = resource["Properties"]

    # S3 log delivery writes with SSE-S3 only, and into a bucket without an Object Lock default retention.
    assert properties["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    assert "ObjectLockConfiguration" not in properties
    assert "LoggingConfiguration" not in properties  # logging into itself would loop
    assert properties["PublicAccessBlockConfiguration"] == BLOCK_ALL_PUBLIC_ACCESS
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert_retained(resource)
    records.template.has_resource_properties("AWS::S3::BucketPolicy", tls_only_policy(logs_id))


def test_only_the_records_buckets_may_deliver_logs_each_under_its_own_prefix(synthesised: Synthesised) -> None:
    records = synthesised["records"]
    logs_id, _ = _access_logs(synthesised)
    _, policy = find_one(records, "AWS::S3::BucketPolicy", {"Bucket": {"Ref": logs_id}})
    allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]

    expected = []
    for bucket in RESOURCES.buckets:
        name = physical_name(STAGE, bucket.name)
        source_id, _ = _bucket(records, name)
        expected.append(
            {
                "Action": "s3:PutObject",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": {"Fn::GetAtt": [source_id, "Arn"]}},
                    "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                },
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [logs_id, "Arn"]}, f"/{access_log_prefix(name)}*"]]},
            }
        )
    assert sorted(allows, key=json.dumps) == sorted(expected, key=json.dumps)


def test_access_logs_are_kept_as_long_as_the_stage_keeps_its_logs(
    synthesised: Synthesised, synthesised_dev: Synthesised
) -> None:
    for stage in (synthesised, synthesised_dev):
        _, resource = _access_logs(stage)
        rules = {rule["Id"]: rule for rule in resource["Properties"]["LifecycleConfiguration"]["Rules"]}

        assert rules["expire-logs"]["ExpirationInDays"] == stage.deployment.context.config.log_retention_days
        assert "NoncurrentVersionExpiration" in rules["expire-logs"]
        assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"] == {
            "DaysAfterInitiation": ABORT_INCOMPLETE_UPLOADS_DAYS
        }
        assert rules["remove-expired-delete-markers"]["ExpiredObjectDeleteMarker"] is True
    assert (
        synthesised.deployment.context.config.log_retention_days
        != synthesised_dev.deployment.context.config.log_retention_days
    )


@pytest.mark.parametrize("bucket", RESOURCES.buckets, ids=ids)
def test_dev_buckets_are_locked_and_protected_like_prod(synthesised_dev: Synthesised, bucket: Bucket) -> None:
    synthesised_dev["records"].template.has_resource(
        "AWS::S3::Bucket",
        {
            "Properties": Match.object_like(
                {
                    "BucketName": physical_name("dev", bucket.name),
                    "ObjectLockConfiguration": {
                        "ObjectLockEnabled": "Enabled",
                        "Rule": {
                            "DefaultRetention": {"Mode": bucket.object_lock_mode, "Days": bucket.object_lock_days}
                        },
                    },
                    "PublicAccessBlockConfiguration": BLOCK_ALL_PUBLIC_ACCESS,
                    "BucketEncryption": Match.any_value(),
                    "LoggingConfiguration": Match.any_value(),
                }
            ),
            "DeletionPolicy": "Retain",
        },
    )


def test_the_keys_and_records_stacks_deploy_with_cloudformation_alone(synthesised: Synthesised) -> None:
    # No asset (Lambda code of a custom resource, auto-delete handler): nothing to publish to a bootstrap bucket,
    # which is what lets `python -m infra.localstack.run` deploy them to LocalStack.
    for short in ("keys", "records"):
        stack = synthesised[short]
        types = {r["Type"] for r in stack.template_json["Resources"].values()}
        assert not {t for t in types if t.startswith(("Custom::", "AWS::Lambda::"))}, short
        manifest = json.loads(
            (stack.template_path.parent / f"{stack.stack.stack_name}.assets.json").read_text(encoding="utf-8")
        )
        assert [f["source"]["path"] for f in manifest["files"].values()] == [stack.template_path.name]
        assert manifest.get("dockerImages", {}) == {}


def test_the_stack_is_protected_from_termination_in_prod_only(
    synthesised: Synthesised, synthesised_dev: Synthesised
) -> None:
    prod = synthesised["records"].stack
    dev = synthesised_dev["records"].stack

    assert prod.region == dev.region == REGION
    assert prod.stack_name == physical_name(STAGE, "records")
    assert prod.termination_protection is True
    assert dev.termination_protection is False
