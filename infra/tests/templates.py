"""Helpers of the stack tests: finding resources in a synthesised template and how stacks refer to each other."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk.assertions import Match

from infra.app import DATA_CLASSIFICATION
from infra.resources import PROJECT, Key, key_alias
from infra.tests.synthesis import StackTemplate, Synthesised

BLOCK_ALL_PUBLIC_ACCESS = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}


def ids(resource: Any) -> str:
    return str(resource.name)


def tags(stage: str) -> Any:
    """The app's tags, as CloudFormation lists them on a resource."""
    expected = {"project": PROJECT, "stage": stage, "data-classification": DATA_CLASSIFICATION}
    return Match.array_with([{"Key": k, "Value": v} for k, v in sorted(expected.items())])


def find_one(stack: StackTemplate, resource_type: str, properties: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    found = stack.template.find_resources(resource_type, {"Properties": properties})
    assert len(found) == 1, f"expected one {resource_type} with {properties}, found {sorted(found)}"
    return next(iter(found.items()))


def key_logical_id(synthesised: Synthesised, key_name: str) -> str:
    """The logical id of the key with this name's alias in the keys stack."""
    stage = synthesised.deployment.context.config.name
    _, alias = find_one(synthesised["keys"], "AWS::KMS::Alias", {"AliasName": key_alias(stage, key_name)})
    logical_id: str = alias["Properties"]["TargetKeyId"]["Fn::GetAtt"][0]
    return logical_id


def key_arn_import(synthesised: Synthesised, key_name: str) -> dict[str, str]:
    """How another stack refers to the key's ARN: ``Fn::ImportValue`` of the keys stack's export of it."""
    logical_id = key_logical_id(synthesised, key_name)
    exports = [
        output["Export"]["Name"]
        for output in synthesised["keys"].template_json["Outputs"].values()
        if output.get("Value") == {"Fn::GetAtt": [logical_id, "Arn"]} and "Export" in output
    ]
    assert len(exports) == 1, f"the keys stack exports the ARN of {key_name} once, found {exports}"
    return {"Fn::ImportValue": exports[0]}


def key_schema(partition: Key, sort: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def assert_retained(resource: Mapping[str, Any]) -> None:
    assert resource.get("DeletionPolicy") == "Retain"
    assert resource.get("UpdateReplacePolicy") == "Retain"


def tls_only_policy(bucket_logical_id: str) -> dict[str, Any]:
    """A bucket policy denying every request without TLS, and with TLS older than 1.2."""
    return {
        "Bucket": {"Ref": bucket_logical_id},
        "PolicyDocument": {
            "Statement": Match.array_with(
                [
                    Match.object_like(
                        {
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "s3:*",
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ),
                    Match.object_like(
                        {
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "s3:*",
                            "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}},
                        }
                    ),
                ]
            )
        },
    }
