"""The data stack: every table, bucket, key, parameter and sender identity in ``infra.resources.RESOURCES``.

Nothing here names a particular resource: the stack iterates over the description, so a resource added to
``infra/resources.py`` reaches production and the local stack (``dev/provision.py``) at the same time. All stateful
resources are retained when the stack is deleted: they hold the council's records.
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.resources import (
    Bucket,
    EmailIdentity,
    Index,
    Key,
    KmsKey,
    Parameter,
    Resources,
    Table,
    key_alias,
    parameter_path,
    physical_name,
)

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}

# Stages whose sender address must be given explicitly: a made-up address would bounce, or worse, belong to someone.
_STAGES_NEEDING_REAL_SENDER = frozenset({"prod"})


class DataStack(Stack):
    """Tables, buckets, KMS keys, SSM parameters and SES identities, built from the shared description.

    Later stacks grant least-privilege access through the attributes (``tables``, ``buckets``, ``keys``, …) and
    hand ``api_environment`` to the API so its variables name exactly what was deployed.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        resources: Resources,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.stage = stage
        self.keys: dict[str, kms.Key] = {k.name: self._key(k) for k in resources.keys}
        self.tables: dict[str, dynamodb.Table] = {t.name: self._table(t) for t in resources.tables}
        self.buckets: dict[str, s3.Bucket] = {b.name: self._bucket(b) for b in resources.buckets}
        self.parameters: dict[str, ssm.StringParameter] = {
            p.name: self._string_parameter(p) for p in resources.parameters if not p.secure
        }
        # SecureStrings cannot be created by CloudFormation, and their values must not sit in a template:
        # operators put them (see infra/README.md); the stack only says where.
        self.secure_parameter_names: dict[str, str] = {
            p.name: self._secure_parameter_name(p) for p in resources.parameters if p.secure
        }
        # Sender addresses and their SES identity ARNs by environment variable name (for ses:SendEmail grants).
        self.sender_identity_arns: dict[str, str] = {}
        self.sender_addresses: dict[str, str] = {
            e.address_env: self._sender_identity(e) for e in resources.email_identities
        }
        self.api_environment: dict[str, str] = self._api_environment(resources)

    def _key(self, key: KmsKey) -> kms.Key:
        symmetric = key.spec == "SYMMETRIC_DEFAULT"
        created = kms.Key(
            self,
            f"{_pascal(key.name)}Key",
            alias=key_alias(self.stage, key.name),
            description=key.purpose,
            key_spec=kms.KeySpec(key.spec),
            key_usage=kms.KeyUsage(key.usage),
            # KMS rotates symmetric keys only; a signing key keeps its public key for as long as signatures are checked.
            enable_key_rotation=symmetric,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._output(f"{_pascal(key.name)}KeyArn", created.key_arn, f"KMS key ARN: {key.purpose}")
        return created

    def _table(self, table: Table) -> dynamodb.Table:
        created = dynamodb.Table(
            self,
            f"{_pascal(table.name)}Table",
            table_name=physical_name(self.stage, table.name),
            partition_key=_attribute(table.partition),
            sort_key=_attribute(table.sort) if table.sort else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.keys[table.kms_key],
            time_to_live_attribute=table.ttl_attribute,
            stream=dynamodb.StreamViewType.NEW_IMAGE if table.stream else None,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in table.indexes:
            created.add_global_secondary_index(**_index_props(index))
        self._output(f"{_pascal(table.name)}TableName", created.table_name, f"DynamoDB table: {table.purpose}")
        if table.stream and (stream_arn := created.table_stream_arn) is not None:
            self._output(f"{_pascal(table.name)}TableStreamArn", stream_arn, f"Stream of {table.name}")
        return created

    def _bucket(self, bucket: Bucket) -> s3.Bucket:
        retention = _retention(bucket)
        created = s3.Bucket(
            self,
            f"{_pascal(bucket.name)}Bucket",
            bucket_name=physical_name(self.stage, bucket.name),
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
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._output(f"{_pascal(bucket.name)}BucketName", created.bucket_name, f"S3 bucket: {bucket.purpose}")
        return created

    def _string_parameter(self, parameter: Parameter) -> ssm.StringParameter:
        # Context key = the parameter's name (``-c council-name=...``); the dev value is the fallback.
        value = self.node.try_get_context(parameter.name) or parameter.dev_value
        created = ssm.StringParameter(
            self,
            f"{_pascal(parameter.name)}Parameter",
            parameter_name=parameter_path(self.stage, parameter.name),
            string_value=str(value),
            description=parameter.purpose,
        )
        self._output(
            f"{_pascal(parameter.name)}ParameterName", created.parameter_name, f"SSM parameter: {parameter.purpose}"
        )
        return created

    def _secure_parameter_name(self, parameter: Parameter) -> str:
        name = parameter_path(self.stage, parameter.name)
        self._output(
            f"{_pascal(parameter.name)}SecureParameterName",
            name,
            f"SecureString operators must put (aws ssm put-parameter --type SecureString): {parameter.purpose}",
        )
        return name

    def _sender_identity(self, identity: EmailIdentity) -> str:
        """Creates the SES identity of a sender address and returns the address.

        CloudFormation has no ``AWS::SES::EmailIdentity`` in eu-south-2 (SES itself runs there), so the identity is
        created through the SES API by a custom resource; SES then mails the address a link to verify it.
        """
        context_key = identity.address_env.lower()
        address = self.node.try_get_context(context_key)
        if not address:
            if self.stage in _STAGES_NEEDING_REAL_SENDER:
                raise ValueError(
                    f"stage {self.stage!r} needs the sender address: pass -c {context_key}=<address> "
                    f"({identity.purpose})"
                )
            address = identity.dev_address
        address = str(address)
        identity_arn = self.format_arn(service="ses", resource="identity", resource_name=address)
        create = cr.AwsSdkCall(
            service="SESV2",
            action="CreateEmailIdentity",
            parameters={"EmailIdentity": address},
            physical_resource_id=cr.PhysicalResourceId.of(address),
            # Redeploying over an identity made by hand (or by a retained earlier stack) is not an error.
            ignore_error_codes_matching="AlreadyExistsException",
        )
        cr.AwsCustomResource(
            self,
            f"{_pascal(identity.address_env)}Identity",
            on_create=create,
            on_update=create,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["ses:CreateEmailIdentity"], resources=[identity_arn])]
            ),
            install_latest_aws_sdk=False,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.sender_identity_arns[identity.address_env] = identity_arn
        self._output(f"{_pascal(identity.address_env)}Address", address, f"SES identity: {identity.purpose}")
        return address

    def _api_environment(self, resources: Resources) -> dict[str, str]:
        """The API's environment variables, named as in ``infra.resources`` and ``.chalice/config.json``."""
        environment: dict[str, str] = {}
        for table in resources.tables:
            environment[table.env] = self.tables[table.name].table_name
        for bucket in resources.buckets:
            environment[bucket.env] = self.buckets[bucket.name].bucket_name
        for key in resources.keys:
            environment[key.env] = key_alias(self.stage, key.name)
        for parameter in resources.parameters:
            environment[parameter.env] = parameter_path(self.stage, parameter.name)
        for identity in resources.email_identities:
            environment[identity.address_env] = self.sender_addresses[identity.address_env]
        return environment

    def _output(self, output_id: str, value: str, description: str) -> None:
        CfnOutput(self, output_id, value=value, description=description)


def _pascal(name: str) -> str:
    """A construct/output id from a resource name: ``tax-ledger`` → ``TaxLedger``, ``eid/client-secret`` → …"""
    return "".join(part.capitalize() for part in re.split(r"[^0-9A-Za-z]+", name) if part)


def _attribute(key: Key) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


def _index_props(index: Index) -> dict[str, Any]:
    return {
        "index_name": index.name,
        "partition_key": _attribute(index.partition),
        "sort_key": _attribute(index.sort) if index.sort else None,
        "projection_type": dynamodb.ProjectionType.ALL,
    }


def _retention(bucket: Bucket) -> s3.ObjectLockRetention | None:
    if bucket.object_lock_mode is None:
        return None
    days = Duration.days(bucket.object_lock_days)
    if bucket.object_lock_mode == "COMPLIANCE":
        return s3.ObjectLockRetention.compliance(days)
    return s3.ObjectLockRetention.governance(days)


def _lifecycle_rules(bucket: Bucket) -> list[s3.LifecycleRule]:
    rules = [s3.LifecycleRule(id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(7))]
    if bucket.versioned and bucket.object_lock_days > 0:
        # A version becomes noncurrent when it is deleted or overwritten; S3 keeps it while its lock holds anyway.
        rules.append(
            s3.LifecycleRule(
                id="expire-noncurrent-after-retention",
                noncurrent_version_expiration=Duration.days(bucket.object_lock_days),
                expired_object_delete_marker=True,
            )
        )
    return rules
