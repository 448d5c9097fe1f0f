"""The synthesised data stack deploys what ``infra/resources.py`` describes, with production's protections.

Every test iterates over ``RESOURCES``: a table, bucket, key or parameter added to the description is covered
without touching this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match
from cfnlint.api import ManualArgs, lint_file

from infra.app import DATA_CLASSIFICATION, build, cdk_json_context
from infra.resources import (
    PROJECT,
    RESOURCES,
    Bucket,
    Index,
    Key,
    KmsKey,
    Parameter,
    Table,
    key_alias,
    parameter_path,
    physical_name,
)
from infra.tests.synthesis import COUNCIL_NAME, REGION, SENDER, STAGE, Synthesised

TAGS = {"project": PROJECT, "stage": STAGE, "data-classification": DATA_CLASSIFICATION}


def _ids(resource: Any) -> str:
    return str(resource.name)


def _find_one(
    synthesised: Synthesised, resource_type: str, properties: dict[str, Any]
) -> tuple[str, Mapping[str, Any]]:
    found = synthesised.template.find_resources(resource_type, {"Properties": properties})
    assert len(found) == 1, f"expected one {resource_type} with {properties}, found {sorted(found)}"
    return next(iter(found.items()))


def _key_arn(synthesised: Synthesised, key_name: str) -> Mapping[str, Any]:
    """How the template refers to the ARN of the key with this alias."""
    _, alias = _find_one(synthesised, "AWS::KMS::Alias", {"AliasName": key_alias(STAGE, key_name)})
    target: Mapping[str, Any] = alias["Properties"]["TargetKeyId"]
    return target


def _key_schema(partition: Key, sort: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def _gsi(index: Index) -> dict[str, Any]:
    return {
        "IndexName": index.name,
        "KeySchema": _key_schema(index.partition, index.sort),
        "Projection": {"ProjectionType": "ALL"},
    }


def _assert_retained(resource: Mapping[str, Any]) -> None:
    assert resource.get("DeletionPolicy") == "Retain"
    assert resource.get("UpdateReplacePolicy") == "Retain"


@pytest.mark.parametrize("table", RESOURCES.tables, ids=_ids)
def test_every_table_has_the_keys_and_indexes_of_its_description(synthesised: Synthesised, table: Table) -> None:
    # GIVEN the table's description WHEN the stack is synthesised THEN its keys and indexes are exactly those
    _, resource = _find_one(synthesised, "AWS::DynamoDB::Table", {"TableName": physical_name(STAGE, table.name)})
    properties = resource["Properties"]

    assert properties["KeySchema"] == _key_schema(table.partition, table.sort)
    assert properties.get("GlobalSecondaryIndexes", []) == [_gsi(index) for index in table.indexes]
    keys = [table.partition, table.sort, *(k for i in table.indexes for k in (i.partition, i.sort))]
    expected_attributes = {k.name: k.type for k in keys if k is not None}
    assert {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]} == expected_attributes


@pytest.mark.parametrize("table", RESOURCES.tables, ids=_ids)
def test_every_table_is_on_demand_recoverable_encrypted_and_retained(synthesised: Synthesised, table: Table) -> None:
    synthesised.template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": {
                "TableName": physical_name(STAGE, table.name),
                "BillingMode": "PAY_PER_REQUEST",
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {
                    "SSEEnabled": True,
                    "SSEType": "KMS",
                    "KMSMasterKeyId": _key_arn(synthesised, "data"),
                },
                "DeletionProtectionEnabled": True,
                "Tags": Match.array_with([{"Key": k, "Value": v} for k, v in sorted(TAGS.items())]),
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


@pytest.mark.parametrize("table", RESOURCES.tables, ids=_ids)
def test_ttl_and_stream_are_on_only_where_described(synthesised: Synthesised, table: Table) -> None:
    synthesised.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": physical_name(STAGE, table.name),
            "TimeToLiveSpecification": (
                {"AttributeName": table.ttl_attribute, "Enabled": True} if table.ttl_attribute else Match.absent()
            ),
            "StreamSpecification": {"StreamViewType": "NEW_IMAGE"} if table.stream else Match.absent(),
        },
    )


@pytest.mark.parametrize("bucket", RESOURCES.buckets, ids=_ids)
def test_every_bucket_locks_its_versions_for_the_described_retention(synthesised: Synthesised, bucket: Bucket) -> None:
    _, resource = _find_one(synthesised, "AWS::S3::Bucket", {"BucketName": physical_name(STAGE, bucket.name)})
    properties = resource["Properties"]

    assert properties["VersioningConfiguration"] == {"Status": "Enabled" if bucket.versioned else "Suspended"}
    if bucket.object_lock_mode:
        assert properties["ObjectLockEnabled"] is True
        assert properties["ObjectLockConfiguration"] == {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": bucket.object_lock_mode, "Days": bucket.object_lock_days}},
        }
        noncurrent = [r for r in properties["LifecycleConfiguration"]["Rules"] if "NoncurrentVersionExpiration" in r]
        assert [r["NoncurrentVersionExpiration"]["NoncurrentDays"] for r in noncurrent] == [bucket.object_lock_days]
    else:
        assert "ObjectLockConfiguration" not in properties
    _assert_retained(resource)


@pytest.mark.parametrize("bucket", RESOURCES.buckets, ids=_ids)
def test_every_bucket_is_private_encrypted_with_its_key_and_tls_only(synthesised: Synthesised, bucket: Bucket) -> None:
    logical_id, _ = _find_one(
        synthesised,
        "AWS::S3::Bucket",
        {
            "BucketName": physical_name(STAGE, bucket.name),
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "BucketKeyEnabled": True,
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": _key_arn(synthesised, bucket.kms_key),
                        },
                    }
                ]
            },
        },
    )
    synthesised.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": logical_id},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Principal": {"AWS": "*"},
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


@pytest.mark.parametrize("key", RESOURCES.keys, ids=_ids)
def test_every_key_has_its_spec_usage_alias_and_rotation(synthesised: Synthesised, key: KmsKey) -> None:
    logical_id = _key_arn(synthesised, key.name)["Fn::GetAtt"][0]
    resource = synthesised.template_json["Resources"][logical_id]

    assert resource["Type"] == "AWS::KMS::Key"
    assert resource["Properties"]["KeySpec"] == key.spec
    assert resource["Properties"]["KeyUsage"] == key.usage
    # KMS rotates symmetric keys only; rotating a signing key would not be possible, nor wanted.
    assert resource["Properties"]["EnableKeyRotation"] is (key.spec == "SYMMETRIC_DEFAULT")
    _assert_retained(resource)


@pytest.mark.parametrize("parameter", [p for p in RESOURCES.parameters if not p.secure], ids=_ids)
def test_plain_parameters_are_strings_valued_from_context(synthesised: Synthesised, parameter: Parameter) -> None:
    expected = COUNCIL_NAME if parameter.name == "council-name" else parameter.dev_value
    synthesised.template.has_resource_properties(
        "AWS::SSM::Parameter",
        {"Name": parameter_path(STAGE, parameter.name), "Type": "String", "Value": expected},
    )


@pytest.mark.parametrize("parameter", [p for p in RESOURCES.parameters if p.secure], ids=_ids)
def test_secure_parameters_are_named_for_operators_but_never_created(
    synthesised: Synthesised, parameter: Parameter
) -> None:
    name = parameter_path(STAGE, parameter.name)

    assert synthesised.template.find_resources("AWS::SSM::Parameter", {"Properties": {"Name": name}}) == {}
    assert any(output["Value"] == name for output in synthesised.template_json["Outputs"].values())
    assert synthesised.stack.secure_parameter_names[parameter.name] == name
    # Not in the template, nor in the manifest, tree or asset manifests next to it.
    leaking = [
        path.name
        for path in Path(synthesised.assembly_dir).rglob("*.json")
        if parameter.dev_value in path.read_text(encoding="utf-8")
    ]
    assert leaking == []


def test_the_sender_identity_is_created_for_the_address_given_in_context(synthesised: Synthesised) -> None:
    creates = [
        resource["Properties"]["Create"]
        for resource in synthesised.template.find_resources("Custom::AWS").values()
        if '"action":"CreateEmailIdentity"' in resource["Properties"]["Create"]
    ]

    assert len(creates) == len(RESOURCES.email_identities) == 1
    assert f'"EmailIdentity":"{SENDER}"' in creates[0]
    assert set(synthesised.stack.sender_addresses.values()) == {SENDER}


def test_the_api_environment_names_every_described_resource(synthesised: Synthesised) -> None:
    described = {
        *(t.env for t in RESOURCES.tables),
        *(b.env for b in RESOURCES.buckets),
        *(k.env for k in RESOURCES.keys),
        *(p.env for p in RESOURCES.parameters),
        *(e.address_env for e in RESOURCES.email_identities),
    }

    assert set(synthesised.stack.api_environment) == described


def test_the_stack_is_in_the_default_region_and_protected_from_deletion(synthesised: Synthesised) -> None:
    assert synthesised.stack.region == REGION
    assert synthesised.stack.termination_protection is True
    assert synthesised.stack.stack_name == physical_name(STAGE, "data")


def test_cfn_lint_finds_no_errors(synthesised: Synthesised) -> None:
    matches = lint_file(synthesised.template_path, config=ManualArgs(regions=[REGION]))

    errors = [str(m) for m in matches if m.rule.severity == "error"]
    assert errors == []


def test_prod_will_not_synthesise_without_a_real_sender_address() -> None:
    app = cdk.App(context={**cdk_json_context(), "stage": "prod"})

    with pytest.raises(ValueError, match="sender_email"):
        build(app)


def test_a_stage_that_cannot_be_part_of_a_bucket_name_is_refused() -> None:
    app = cdk.App(context={"stage": "Prod_Council"})

    with pytest.raises(ValueError, match="stage"):
        build(app)
