"""The synthesised data stack deploys the tables, parameters and sender identity ``infra/resources.py`` describes,
with production's protections (and dev's differences).

Every test iterates over ``RESOURCES``: a table or parameter added to the description is covered without touching
this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match

from infra.app import build, cdk_json_context
from infra.resources import RESOURCES, Index, Parameter, Table, key_alias, parameter_path, physical_name
from infra.tests.synthesis import COUNCIL_NAME, REGION, SENDER, STAGE, Synthesised
from infra.tests.templates import assert_retained, find_one, ids, key_arn_import, key_schema, tags


def _gsi(index: Index) -> dict[str, Any]:
    return {
        "IndexName": index.name,
        "KeySchema": key_schema(index.partition, index.sort),
        "Projection": {"ProjectionType": "ALL"},
    }


def _table(synthesised: Synthesised, table: Table) -> dict[str, Any]:
    stage = synthesised.deployment.context.config.name
    _, resource = find_one(synthesised["data"], "AWS::DynamoDB::Table", {"TableName": physical_name(stage, table.name)})
    return dict(resource)


def test_the_stack_declares_exactly_the_described_tables(synthesised: Synthesised) -> None:
    names = {
        r["Properties"]["TableName"]
        for r in synthesised["data"].template.find_resources("AWS::DynamoDB::Table").values()
    }

    assert names == {physical_name(STAGE, t.name) for t in RESOURCES.tables}


@pytest.mark.parametrize("table", RESOURCES.tables, ids=ids)
def test_every_table_has_the_keys_and_indexes_of_its_description(synthesised: Synthesised, table: Table) -> None:
    # GIVEN the table's description WHEN the stack is synthesised THEN its keys and indexes are exactly those
    properties = _table(synthesised, table)["Properties"]

    assert properties["KeySchema"] == key_schema(table.partition, table.sort)
    assert properties.get("GlobalSecondaryIndexes", []) == [_gsi(index) for index in table.indexes]
    keys = [table.partition, table.sort, *(k for i in table.indexes for k in (i.partition, i.sort))]
    expected_attributes = {k.name: k.type for k in keys if k is not None}
    assert {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]} == expected_attributes


@pytest.mark.parametrize("table", RESOURCES.tables, ids=ids)
def test_every_table_is_on_demand_recoverable_encrypted_with_the_customer_key_and_retained(
    synthesised: Synthesised, table: Table
) -> None:
    synthesised["data"].template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": {
                "TableName": physical_name(STAGE, table.name),
                "BillingMode": "PAY_PER_REQUEST",
                "ProvisionedThroughput": Match.absent(),
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {
                    "SSEEnabled": True,
                    "SSEType": "KMS",
                    "KMSMasterKeyId": key_arn_import(synthesised, table.kms_key),
                },
                "Tags": tags(STAGE),
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


@pytest.mark.parametrize("table", RESOURCES.tables, ids=ids)
def test_tables_are_protected_from_deletion_in_prod_only(
    synthesised: Synthesised, synthesised_dev: Synthesised, table: Table
) -> None:
    prod = _table(synthesised, table)
    dev = _table(synthesised_dev, table)

    assert prod["Properties"]["DeletionProtectionEnabled"] is True
    assert dev["Properties"].get("DeletionProtectionEnabled", False) is False
    # Both keep the data when the stack goes; only prod refuses a DeleteTable as well.
    assert_retained(prod)
    assert_retained(dev)
    # Everything else is the same in dev: recovery and encryption are not production-only.
    assert dev["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert dev["Properties"]["SSESpecification"]["KMSMasterKeyId"] == key_arn_import(synthesised_dev, table.kms_key)


@pytest.mark.parametrize("table", RESOURCES.tables, ids=ids)
def test_ttl_and_stream_are_on_only_where_described(synthesised: Synthesised, table: Table) -> None:
    synthesised["data"].template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": physical_name(STAGE, table.name),
            "TimeToLiveSpecification": (
                {"AttributeName": table.ttl_attribute, "Enabled": True} if table.ttl_attribute else Match.absent()
            ),
            "StreamSpecification": {"StreamViewType": "NEW_IMAGE"} if table.stream else Match.absent(),
        },
    )


@pytest.mark.parametrize("parameter", [p for p in RESOURCES.parameters if not p.secure], ids=ids)
def test_plain_parameters_are_strings_valued_from_context(synthesised: Synthesised, parameter: Parameter) -> None:
    expected = COUNCIL_NAME if parameter.name == "council-name" else parameter.dev_value
    synthesised["data"].template.has_resource_properties(
        "AWS::SSM::Parameter",
        {"Name": parameter_path(STAGE, parameter.name), "Type": "String", "Value": expected},
    )


@pytest.mark.parametrize("parameter", [p for p in RESOURCES.parameters if p.secure], ids=ids)
def test_secure_parameters_are_named_for_operators_but_never_created(
    synthesised: Synthesised, parameter: Parameter
) -> None:
    data = synthesised["data"]
    name = parameter_path(STAGE, parameter.name)

    assert data.template.find_resources("AWS::SSM::Parameter", {"Properties": {"Name": name}}) == {}
    assert any(output["Value"] == name for output in data.template_json["Outputs"].values())
    assert synthesised.deployment.data.secure_parameter_names[parameter.name] == name
    # In no template of the app, nor in the manifest, tree or asset manifests next to them.
    leaking = [
        path.name
        for path in Path(synthesised.assembly_dir).rglob("*.json")
        if parameter.dev_value in path.read_text(encoding="utf-8")
    ]
    assert leaking == []


def test_the_sender_identity_is_created_for_the_address_given_in_context(synthesised: Synthesised) -> None:
    creates = [
        resource["Properties"]["Create"]
        for resource in synthesised["data"].template.find_resources("Custom::AWS").values()
        if '"action":"CreateEmailIdentity"' in resource["Properties"]["Create"]
    ]

    assert len(creates) == len(RESOURCES.email_identities) == 1
    assert f'"EmailIdentity":"{SENDER}"' in creates[0]
    assert set(synthesised.deployment.data.sender_addresses.values()) == {SENDER}


def test_the_api_environment_names_every_described_resource_by_its_deployed_name(synthesised: Synthesised) -> None:
    environment = synthesised.deployment.data.api_environment
    stack = synthesised["data"].stack
    expected = {
        **{t.env: physical_name(STAGE, t.name) for t in RESOURCES.tables},
        **{b.env: physical_name(STAGE, b.name) for b in RESOURCES.buckets},
        **{k.env: key_alias(STAGE, k.name) for k in RESOURCES.keys},
        **{p.env: parameter_path(STAGE, p.name) for p in RESOURCES.parameters},
        **{e.address_env: SENDER for e in RESOURCES.email_identities},
    }

    assert {name: stack.resolve(value) for name, value in environment.items()} == expected
    # The buckets live in the records stack: the names the API gets are the ones that stack deploys.
    for bucket in RESOURCES.buckets:
        synthesised["records"].template.has_resource_properties(
            "AWS::S3::Bucket", {"BucketName": environment[bucket.env]}
        )


def test_the_stack_is_in_the_default_region_and_protected_from_termination_in_prod_only(
    synthesised: Synthesised, synthesised_dev: Synthesised
) -> None:
    prod = synthesised["data"].stack
    dev = synthesised_dev["data"].stack

    assert prod.region == dev.region == REGION
    assert prod.stack_name == physical_name(STAGE, "data")
    assert prod.termination_protection is True
    assert dev.termination_protection is False


def test_prod_will_not_synthesise_without_a_real_sender_address() -> None:
    app = cdk.App(context={**cdk_json_context(), "stage": "prod"})

    with pytest.raises(ValueError, match="sender_email"):
        build(app)


def test_a_stage_that_cannot_be_part_of_a_bucket_name_is_refused() -> None:
    app = cdk.App(context={"stage": "Prod_Council"})

    with pytest.raises(ValueError, match="stage"):
        build(app)
