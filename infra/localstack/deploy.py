"""Synthesis of the keys and records stacks, their deployment to LocalStack's CloudFormation the way ``cdk deploy``
would after ``cdk bootstrap``, and the bucket properties LocalStack's CloudFormation leaves out, put through S3."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from infra.localstack.checks import Report, current
from infra.resources import physical_name

REGION = "eu-south-2"
STACKS = ("keys", "records")
# What `cdk bootstrap` leaves in SSM; the templates' rule checks it (CDK's default qualifier).
BOOTSTRAP_VERSION = "30"
DEPLOY_TIMEOUT_S = 180.0


# --- Synthesis and deployment -----------------------------------------------------------------------------------


def synthesise(stage: str, outdir: Path, extra_context: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The app's templates of the keys and records stacks, by short name, and their stack names."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    import aws_cdk as cdk

    from infra.app import build, cdk_json_context

    for name in ("CDK_DEPLOY_REGION", "CDK_DEPLOY_ACCOUNT", "CDK_DEFAULT_ACCOUNT"):
        os.environ.pop(name, None)
    # The sender address only matters to the data stack, which is not deployed here.
    context = {**cdk_json_context(), "stage": stage, "sender_email": "no-reply@localstack.invalid", **extra_context}
    app = cdk.App(outdir=str(outdir), context=context)
    deployment = build(app)
    app.synth()
    return {short: _read_template(outdir, getattr(deployment, short).stack_name) for short in STACKS}


def read_assembly(assembly: Path, stage: str) -> dict[str, dict[str, Any]]:
    return {short: _read_template(assembly, physical_name(stage, short)) for short in STACKS}


def _read_template(outdir: Path, stack_name: str) -> dict[str, Any]:
    template: dict[str, Any] = json.loads((outdir / f"{stack_name}.template.json").read_text(encoding="utf-8"))
    return {"name": stack_name, "template": template}


@dataclass
class Clients:
    endpoint: str
    _made: dict[str, Any] = field(default_factory=dict)

    def __call__(self, service: str) -> Any:
        if service not in self._made:
            import boto3
            from botocore.config import Config

            self._made[service] = boto3.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.endpoint,
                region_name=REGION,
                aws_access_key_id="test",
                aws_secret_access_key="test",  # noqa: S106 (LocalStack's default account, not a secret)
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
            )
        return self._made[service]


def bootstrap(clients: Clients, templates: dict[str, dict[str, Any]]) -> None:
    """What ``cdk bootstrap`` leaves that these templates read: the bootstrap version in SSM."""
    names = {
        p["Default"]
        for t in templates.values()
        for p in t["template"].get("Parameters", {}).values()
        if p.get("Type") == "AWS::SSM::Parameter::Value<String>"
    }
    for name in names:
        clients("ssm").put_parameter(Name=name, Value=BOOTSTRAP_VERSION, Type="String", Overwrite=True)


def deploy(clients: Clients, name: str, template: dict[str, Any]) -> dict[str, str]:
    """Creates the stack, waits for it, and returns its outputs (raises with the failed events otherwise)."""
    cloudformation = clients("cloudformation")
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    deadline = time.monotonic() + DEPLOY_TIMEOUT_S
    while True:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        status = stack["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name}: still {status} after {DEPLOY_TIMEOUT_S:.0f} s")
        time.sleep(0.5)
    if status != "CREATE_COMPLETE":
        events = cloudformation.describe_stack_events(StackName=name)["StackEvents"]
        reasons = [
            f"  {e['LogicalResourceId']} {e['ResourceStatus']}: {e.get('ResourceStatusReason', '')}"
            for e in events
            if "FAILED" in e["ResourceStatus"]
        ]
        raise RuntimeError(f"{name}: {status}\n" + "\n".join(reasons))
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


# --- What LocalStack's CloudFormation leaves out ------------------------------------------------------------------


def _resolver(clients: Clients, stack_name: str) -> Callable[[Any], Any]:
    """Resolves the Ref and Fn::ImportValue of a deployed stack's template (all these templates use)."""
    cloudformation = clients("cloudformation")
    exports = {e["Name"]: e["Value"] for e in cloudformation.list_exports()["Exports"]}
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    }

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"Ref"}:
                return physical[node["Ref"]]
            if set(node) == {"Fn::ImportValue"}:
                return exports[node["Fn::ImportValue"]]
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule as PutBucketLifecycleConfiguration takes it."""
    converted: dict[str, Any] = {
        "ID": rule["Id"],
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if "AbortIncompleteMultipartUpload" in rule:
        converted["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    if "NoncurrentVersionExpiration" in rule:
        converted["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
        }
    expiration: dict[str, Any] = {}
    if "ExpirationInDays" in rule:
        expiration["Days"] = rule["ExpirationInDays"]
    if "ExpiredObjectDeleteMarker" in rule:
        expiration["ExpiredObjectDeleteMarker"] = rule["ExpiredObjectDeleteMarker"]
    if expiration:
        converted["Expiration"] = expiration
    return converted


def _bucket_settings(props: dict[str, Any]) -> dict[str, Any]:
    """The template's bucket properties LocalStack's CloudFormation leaves out, in the S3 API's shapes."""
    settings: dict[str, Any] = {}
    if "BucketEncryption" in props:
        settings["BucketEncryption"] = [
            {
                "ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"],
                "BucketKeyEnabled": r.get("BucketKeyEnabled", False),
            }
            for r in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
    if "LifecycleConfiguration" in props:
        settings["LifecycleConfiguration"] = [_lifecycle_rule(r) for r in props["LifecycleConfiguration"]["Rules"]]
    if "LoggingConfiguration" in props:
        settings["LoggingConfiguration"] = {
            "TargetBucket": props["LoggingConfiguration"]["DestinationBucketName"],
            "TargetPrefix": props["LoggingConfiguration"]["LogFilePrefix"],
        }
    for prop in ("PublicAccessBlockConfiguration", "OwnershipControls"):
        if prop in props:
            settings[prop] = props[prop]
    return settings


_Getter = Callable[[Any, str], Any]
_Putter = Callable[[Any, str, Any], Any]
_SETTINGS_API: dict[str, tuple[_Getter, _Putter]] = {
    "BucketEncryption": (
        lambda s3, n: s3.get_bucket_encryption(Bucket=n)["ServerSideEncryptionConfiguration"]["Rules"],
        lambda s3, n, v: s3.put_bucket_encryption(Bucket=n, ServerSideEncryptionConfiguration={"Rules": v}),
    ),
    "LifecycleConfiguration": (
        lambda s3, n: s3.get_bucket_lifecycle_configuration(Bucket=n)["Rules"],
        lambda s3, n, v: s3.put_bucket_lifecycle_configuration(Bucket=n, LifecycleConfiguration={"Rules": v}),
    ),
    "LoggingConfiguration": (
        lambda s3, n: s3.get_bucket_logging(Bucket=n).get("LoggingEnabled"),
        lambda s3, n, v: s3.put_bucket_logging(Bucket=n, BucketLoggingStatus={"LoggingEnabled": v}),
    ),
    "PublicAccessBlockConfiguration": (
        lambda s3, n: s3.get_public_access_block(Bucket=n)["PublicAccessBlockConfiguration"],
        lambda s3, n, v: s3.put_public_access_block(Bucket=n, PublicAccessBlockConfiguration=v),
    ),
    "OwnershipControls": (
        lambda s3, n: s3.get_bucket_ownership_controls(Bucket=n)["OwnershipControls"],
        lambda s3, n, v: s3.put_bucket_ownership_controls(Bucket=n, OwnershipControls=v),
    ),
}


def complete_what_localstack_drops(
    report: Report, clients: Clients, stack_name: str, template: dict[str, Any]
) -> dict[str, list[str]]:
    """Applies through the S3 API the bucket properties LocalStack's CloudFormation did not apply; returns them.

    LocalStack's AWS::S3::Bucket provider applies versioning, Object Lock and tags (and AWS::S3::BucketPolicy the
    policies), but not default encryption, lifecycle rules, access logging, public access block nor ownership
    controls. Each of those is compared with the template; where it differs, the template's value is put through
    the S3 API — S3 must accept it (a FAIL otherwise), and the checks below then see its effect.
    """
    s3 = clients("s3")
    resolve = _resolver(clients, stack_name)
    dropped: dict[str, list[str]] = {}
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::S3::Bucket":
            continue
        props = resolve(resource["Properties"])
        name = props["BucketName"]
        for prop, value in _bucket_settings(props).items():
            get, put = _SETTINGS_API[prop]
            if current(partial(get, s3, name)) == value:
                continue
            dropped.setdefault(prop, []).append(name)
            try:
                put(s3, name, value)
            except Exception as error:
                report.check(f"{name}: S3 accepts the template's {prop}", False, f"{type(error).__name__}: {error}")
    return dropped
