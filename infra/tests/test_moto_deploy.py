"""The keys, records and data templates deploy to moto's CloudFormation (through its server), in dependency order.

This proves CloudFormation accepts the templates and that the cross-stack imports resolve (keys first: the data and
records stacks import the ``data`` key's ARN), and checks the resources exist with what moto keeps. moto silently
drops much of the configuration; each ``# moto drops:`` comment says what, and the assertion tests
(test_*_stack.py) and LocalStack (infra/localstack/run.py: S3 and KMS) check those properties instead.

What cannot be deployed to moto, and is taken out of the data template here (``without_custom_resources``): the SES
sender identity, an ``AwsCustomResource`` whose Lambda (code from a CDK asset) moto cannot run without Docker.
Three moto bugs are worked around in ``for_moto``, each said where it is done; none changes what is deployed.
"""

from __future__ import annotations

import copy
import json
import os
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from infra.resources import RESOURCES, key_alias, parameter_path, physical_name
from infra.stacks.naming import pascal
from infra.stacks.records_stack import ACCESS_LOGS
from infra.tests.synthesis import REGION, STAGE, Synthesised

pytestmark = [
    pytest.mark.integration,
    # moto drops: AWS::S3::BucketPolicy altogether, with this warning.
    pytest.mark.filterwarnings("ignore:Tried to parse AWS..S3..BucketPolicy:UserWarning"),
]

# Dependency order: both data and records import from keys.
DEPLOYED = ("keys", "records", "data")
DEPLOY_TIMEOUT_S = 60.0
_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def without_custom_resources(template: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The template less its custom resources, the functions behind them and whatever refers to those."""
    template = copy.deepcopy(template)
    resources: dict[str, Any] = template["Resources"]
    removed = {name for name, r in resources.items() if r["Type"].startswith("Custom::")}
    removed |= {
        resources[name]["Properties"]["ServiceToken"]["Fn::GetAtt"][0]
        for name in list(removed)
        if isinstance(resources[name]["Properties"].get("ServiceToken"), dict)
    }
    while True:
        referring = {
            name
            for name, resource in resources.items()
            if name not in removed and any(_refers_to(resource, gone) for gone in removed)
        }
        if not referring:
            break
        removed |= referring
    for name in removed:
        del resources[name]
    for resource in resources.values():
        if isinstance(resource.get("DependsOn"), list):
            resource["DependsOn"] = [d for d in resource["DependsOn"] if d not in removed]
    template["Outputs"] = {
        name: output
        for name, output in template.get("Outputs", {}).items()
        if not any(_refers_to(output, gone) for gone in removed)
    }
    return template, removed


def _refers_to(node: Any, logical_id: str) -> bool:
    text = json.dumps(node)
    return (
        json.dumps({"Ref": logical_id}) in text
        or f'["{logical_id}", ' in text
        or f'"DependsOn": "{logical_id}"' in text
    )


def for_moto(template: dict[str, Any]) -> dict[str, Any]:
    """moto bugs worked around (the template means the same to CloudFormation)."""
    template = copy.deepcopy(template)
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::KMS::Key":
            # moto bug: it stores a KeyPolicy object as is and then fails every DescribeKey (json.loads of a dict);
            # CloudFormation takes the policy as an object or as its JSON text.
            properties["KeyPolicy"] = json.dumps(properties["KeyPolicy"])
            # moto bug: its KMS tagging wants TagKey/TagValue, CloudFormation gives Key/Value.
            properties["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties.get("Tags", [])]
        if resource["Type"] == "AWS::SSM::Parameter" and isinstance(properties.get("Tags"), dict):
            # moto bug: AWS::SSM::Parameter's Tags are a map in CloudFormation; moto wants a list.
            properties["Tags"] = [{"Key": k, "Value": v} for k, v in properties["Tags"].items()]
    return template


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:
        for name, value in _ENV.items():
            env.setenv(name, value)
        env.delenv("AWS_ENDPOINT_URL", raising=False)
        env.delenv("AWS_PROFILE", raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            # moto's state is per process: start from nothing, leave nothing to other tests.
            _reset(endpoint)
            yield endpoint
            _reset(endpoint)
        finally:
            server.stop()


def _reset(endpoint: str) -> None:
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")) as response:  # noqa: S310
        assert response.status == 200


@pytest.fixture(scope="module")
def client(moto_endpoint: str) -> Any:
    def make(service: str) -> Any:
        return boto3.client(service, endpoint_url=moto_endpoint, region_name=REGION)  # type: ignore[call-overload]

    return make


@pytest.fixture(scope="module")
def deployed(synthesised: Synthesised, client: Any) -> dict[str, dict[str, Any]]:
    """Each stack's description after CREATE_COMPLETE, by short name."""
    cloudformation = client("cloudformation")
    # What `cdk bootstrap` leaves: the templates' BootstrapVersion parameter reads it from SSM.
    bootstrap = synthesised["keys"].template_json["Parameters"]["BootstrapVersion"]["Default"]
    client("ssm").put_parameter(Name=bootstrap, Value="30", Type="String")
    stacks: dict[str, dict[str, Any]] = {}
    for short in DEPLOYED:
        template, _ = without_custom_resources(synthesised[short].template_json)
        name = synthesised[short].stack.stack_name
        cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(for_moto(template)))
        deadline = time.monotonic() + DEPLOY_TIMEOUT_S
        while (stack := cloudformation.describe_stacks(StackName=name)["Stacks"][0])["StackStatus"].endswith(
            "_IN_PROGRESS"
        ) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stack["StackStatus"] == "CREATE_COMPLETE", (name, stack.get("StackStatusReason"))
        stacks[short] = stack
    return stacks


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def test_only_the_sender_identity_is_left_out_of_the_data_stack(synthesised: Synthesised) -> None:
    _, removed = without_custom_resources(synthesised["data"].template_json)
    types = {synthesised["data"].template_json["Resources"][name]["Type"] for name in removed}

    # The custom resource, its Lambda and that Lambda's log group; tables and parameters all deploy.
    assert types == {"Custom::AWS", "AWS::Lambda::Function", "AWS::Logs::LogGroup"}
    for short in ("keys", "records"):
        assert without_custom_resources(synthesised[short].template_json)[1] == set(), short


def test_the_stacks_deploy_in_order_and_the_key_import_resolves(
    deployed: dict[str, dict[str, Any]], client: Any
) -> None:
    exports = {e["Name"]: e["Value"] for e in client("cloudformation").list_exports()["Exports"]}
    data_key_arn = client("kms").describe_key(KeyId=key_alias(STAGE, "data"))["KeyMetadata"]["Arn"]

    assert [s["StackStatus"] for s in deployed.values()] == ["CREATE_COMPLETE"] * len(DEPLOYED)
    assert data_key_arn in exports.values()
    # The records buckets got the imported ARN (moto keeps a bucket's default encryption).
    for bucket in RESOURCES.buckets:
        rule = client("s3").get_bucket_encryption(Bucket=physical_name(STAGE, bucket.name))[
            "ServerSideEncryptionConfiguration"
        ]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
        assert rule == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": data_key_arn}


def test_every_key_exists_behind_its_alias(deployed: dict[str, dict[str, Any]], client: Any) -> None:
    kms = client("kms")
    outputs = _outputs(deployed["keys"])

    for key in RESOURCES.keys:
        metadata = kms.describe_key(KeyId=key_alias(STAGE, key.name))["KeyMetadata"]
        assert metadata["Description"] == key.purpose
        assert outputs[f"{pascal(key.name)}KeyAlias"] == key_alias(STAGE, key.name)
        assert outputs[f"{pascal(key.name)}KeyArn"] == metadata["Arn"]
        # moto drops: KeySpec and KeyUsage (every key comes out SYMMETRIC_DEFAULT / ENCRYPT_DECRYPT).
        assert kms.get_key_rotation_status(KeyId=metadata["KeyId"])["KeyRotationEnabled"] is (
            key.spec == "SYMMETRIC_DEFAULT"
        )
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=metadata["KeyId"])["Tags"]}
        assert tags["stage"] == STAGE


def test_every_table_exists_with_its_keys_indexes_billing_and_stream(
    deployed: dict[str, dict[str, Any]], client: Any
) -> None:
    dynamodb = client("dynamodb")

    assert set(dynamodb.list_tables()["TableNames"]) == {physical_name(STAGE, t.name) for t in RESOURCES.tables}
    for table in RESOURCES.tables:
        described = dynamodb.describe_table(TableName=physical_name(STAGE, table.name))["Table"]
        schema = [{"AttributeName": table.partition.name, "KeyType": "HASH"}]
        if table.sort:
            schema.append({"AttributeName": table.sort.name, "KeyType": "RANGE"})
        assert described["KeySchema"] == schema
        assert {
            i["IndexName"]: (
                [k["AttributeName"] for k in i["KeySchema"]],
                i["Projection"]["ProjectionType"],
            )
            for i in described.get("GlobalSecondaryIndexes", [])
        } == {i.name: ([k.name for k in (i.partition, i.sort) if k], "ALL") for i in table.indexes}
        assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert described["DeletionProtectionEnabled"] is True
        assert described.get("StreamSpecification", {}).get("StreamViewType") == ("NEW_IMAGE" if table.stream else None)
        # moto drops: SSESpecification (no SSEDescription: the customer key is not applied), point-in-time
        # recovery (DescribeContinuousBackups says DISABLED) and TTL (DescribeTimeToLive says DISABLED).


def test_every_bucket_exists_tagged_and_encrypted(deployed: dict[str, dict[str, Any]], client: Any) -> None:
    s3 = client("s3")
    names = {physical_name(STAGE, b.name) for b in RESOURCES.buckets} | {physical_name(STAGE, ACCESS_LOGS)}

    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} == names
    bucket_outputs = {k: v for k, v in _outputs(deployed["records"]).items() if k.endswith("BucketName")}
    assert set(bucket_outputs.values()) == names
    for name in names:
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}
        assert tags["stage"] == STAGE
        # moto drops: versioning, Object Lock, public access block, ownership controls, lifecycle rules, server
        # access logging, and the bucket policies altogether ("No Moto CloudFormation support for
        # AWS::S3::BucketPolicy"). LocalStack applies them: python -m infra.localstack.run checks each.
    logs = s3.get_bucket_encryption(Bucket=physical_name(STAGE, ACCESS_LOGS))["ServerSideEncryptionConfiguration"]
    assert logs["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_plain_parameters_exist_and_secure_ones_are_left_to_operators(
    deployed: dict[str, dict[str, Any]], client: Any
) -> None:
    found = client("ssm").get_parameters_by_path(Path=f"/videoatencion/{STAGE}", Recursive=True)["Parameters"]

    assert {p["Name"]: p["Type"] for p in found} == {
        parameter_path(STAGE, p.name): "String" for p in RESOURCES.parameters if not p.secure
    }
    outputs = _outputs(deployed["data"])
    for parameter in (p for p in RESOURCES.parameters if p.secure):
        assert parameter_path(STAGE, parameter.name) in outputs.values()
