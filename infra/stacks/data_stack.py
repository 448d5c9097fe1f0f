"""The data stack: every table, parameter and sender identity in ``infra.resources.RESOURCES`` (keys and buckets
are in their own stacks, ``keys_stack`` and ``records_stack``).

Nothing here names a particular resource: the stack iterates over the description, so a resource added to
``infra/resources.py`` reaches production and the local stack (``dev/provision.py``) at the same time. All stateful
resources are retained when the stack is deleted: they hold the council's records.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, CrossStackReferences, ReferenceStrength, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ssm as ssm
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.resources import (
    EmailIdentity,
    Index,
    Key,
    Parameter,
    Resources,
    Table,
    key_alias,
    parameter_path,
    physical_name,
)
from infra.stacks.checkov import skip_deployment_helper
from infra.stacks.keys_stack import KeysStack
from infra.stacks.naming import pascal
from infra.stacks.stage_stack import StageStack

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


class DataStack(StageStack):
    """Tables, SSM parameters and SES identities, built from the shared description.

    Later stacks grant least-privilege access through the attributes (``tables``, ``parameters``, …) and
    hand ``api_environment`` to the API so its variables name exactly what was deployed.
    """

    def __init__(self, scope: Construct, construct_id: str, *, keys: KeysStack, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.keys: dict[str, kms.Key] = keys.keys
        self.tables: dict[str, dynamodb.Table] = {t.name: self._table(t) for t in self.resources.tables}
        self.parameters: dict[str, ssm.StringParameter] = {
            p.name: self._string_parameter(p) for p in self.resources.parameters if not p.secure
        }
        # SecureStrings cannot be created by CloudFormation, and their values must not sit in a template:
        # operators put them (see infra/README.md); the stack only says where.
        self.secure_parameter_names: dict[str, str] = {
            p.name: self._secure_parameter_name(p) for p in self.resources.parameters if p.secure
        }
        # Sender addresses and their SES identity ARNs by environment variable name (for ses:SendEmail grants).
        self.sender_identity_arns: dict[str, str] = {}
        self.sender_addresses: dict[str, str] = {
            e.address_env: self._sender_identity(e) for e in self.resources.email_identities
        }
        self.api_environment: dict[str, str] = self._api_environment(self.resources)

    def _table(self, table: Table) -> dynamodb.Table:
        created = dynamodb.Table(
            self,
            f"{pascal(table.name)}Table",
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
            deletion_protection=self.config.protect_data,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in table.indexes:
            created.add_global_secondary_index(**_index_props(index))
        # Strong references (Export + Fn::ImportValue), as for the keys: a table in use elsewhere cannot be removed.
        CrossStackReferences.of(created).produce(ReferenceStrength.STRONG)
        self._output(f"{pascal(table.name)}TableName", created.table_name, f"DynamoDB table: {table.purpose}")
        if table.stream and (stream_arn := created.table_stream_arn) is not None:
            self._output(f"{pascal(table.name)}TableStreamArn", stream_arn, f"Stream of {table.name}")
        return created

    def _string_parameter(self, parameter: Parameter) -> ssm.StringParameter:
        # Context key = the parameter's name (``-c council-name=...``); the dev value is the fallback.
        value = self.context.parameters[parameter.name]
        created = ssm.StringParameter(
            self,
            f"{pascal(parameter.name)}Parameter",
            parameter_name=parameter_path(self.stage, parameter.name),
            string_value=str(value),
            description=parameter.purpose,
        )
        self._output(
            f"{pascal(parameter.name)}ParameterName", created.parameter_name, f"SSM parameter: {parameter.purpose}"
        )
        return created

    def _secure_parameter_name(self, parameter: Parameter) -> str:
        name = parameter_path(self.stage, parameter.name)
        self._output(
            f"{pascal(parameter.name)}SecureParameterName",
            name,
            f"SecureString operators must put (aws ssm put-parameter --type SecureString): {parameter.purpose}",
        )
        return name

    def _sender_identity(self, identity: EmailIdentity) -> str:
        """Creates the SES identity of a sender address and returns the address.

        CloudFormation has no ``AWS::SES::EmailIdentity`` in eu-south-2 (SES itself runs there), so the identity is
        created through the SES API by a custom resource; SES then mails the address a link to verify it.
        """
        address = self.context.sender_addresses[identity.address_env]
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
            f"{pascal(identity.address_env)}Identity",
            on_create=create,
            on_update=create,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["ses:CreateEmailIdentity"], resources=[identity_arn])]
            ),
            install_latest_aws_sdk=False,
            removal_policy=RemovalPolicy.RETAIN,
        )
        skip_deployment_helper(
            self.node.find_child("AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", ""))
        )
        self.sender_identity_arns[identity.address_env] = identity_arn
        self._output(f"{pascal(identity.address_env)}Address", address, f"SES identity: {identity.purpose}")
        return address

    def _api_environment(self, resources: Resources) -> dict[str, str]:
        """The API's environment variables, named as in ``infra.resources`` and ``.chalice/config.json``."""
        environment: dict[str, str] = {}
        # Physical names are deterministic: plain strings, no cross-stack reference for the API to import.
        for table in resources.tables:
            environment[table.env] = physical_name(self.stage, table.name)
        for bucket in resources.buckets:
            environment[bucket.env] = physical_name(self.stage, bucket.name)
        for key in resources.keys:
            environment[key.env] = key_alias(self.stage, key.name)
        for parameter in resources.parameters:
            environment[parameter.env] = parameter_path(self.stage, parameter.name)
        for identity in resources.email_identities:
            environment[identity.address_env] = self.sender_addresses[identity.address_env]
        return environment

    def _output(self, output_id: str, value: str, description: str) -> None:
        CfnOutput(self, output_id, value=value, description=description)


def _attribute(key: Key) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


def _index_props(index: Index) -> dict[str, Any]:
    return {
        "index_name": index.name,
        "partition_key": _attribute(index.partition),
        "sort_key": _attribute(index.sort) if index.sort else None,
        "projection_type": dynamodb.ProjectionType.ALL,
    }
