"""The keys stack: every KMS key of ``infra.resources.RESOURCES`` with its alias (retained: records need them)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, CrossStackReferences, ReferenceStrength, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.resources import KmsKey, key_alias
from infra.stacks.naming import pascal
from infra.stacks.stage_stack import StageStack


class KeysStack(StageStack):
    """``keys``: name → key, for the other stacks' encryption settings and least-privilege grants."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.keys: dict[str, kms.Key] = {k.name: self._key(k) for k in self.resources.keys}
        self._let_services_encrypt_with(self.keys["data"])

    def _let_services_encrypt_with(self, key: kms.Key) -> None:
        """The data key also encrypts the functions' and nodes' log groups and the alarm topic (checkov CKV_AWS_158,
        CKV_AWS_26): CloudWatch Logs and CloudWatch alarms use it as services, for this account's resources only."""
        account = self.account
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="LogGroups",
                principals=[iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{self.partition}:logs:{self.region}:{account}:*"
                    }
                },
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmNotifications",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            )
        )

    def _key(self, key: KmsKey) -> kms.Key:
        symmetric = key.spec == "SYMMETRIC_DEFAULT"
        alias = key_alias(self.config.name, key.name)
        created = kms.Key(
            self,
            f"{pascal(key.name)}Key",
            alias=alias,
            description=key.purpose,
            key_spec=kms.KeySpec(key.spec),
            key_usage=kms.KeyUsage(key.usage),
            # Automatic rotation exists for symmetric encryption keys only: KMS keeps every backing key and picks the
            # right one to decrypt. An asymmetric key's public key is handed out and must keep verifying what it
            # signed, so KMS cannot swap it underneath (EnableKeyRotation is refused for asymmetric and HMAC keys);
            # the token-signing key is rotated by creating a new key and moving the alias (see infra/README.md).
            enable_key_rotation=symmetric,  # yearly, KMS's default period
            removal_policy=RemovalPolicy.RETAIN,
        )
        # Strong references (Export + Fn::ImportValue) whatever the app's default: CloudFormation then refuses to
        # remove a key from this stack while a table, bucket or policy of another stack still uses it. They also
        # deploy where Fn::GetStackOutput is unknown (moto, LocalStack: see infra/tests/test_moto_deploy.py).
        CrossStackReferences.of(created).produce(ReferenceStrength.STRONG)
        CfnOutput(self, f"{pascal(key.name)}KeyArn", value=created.key_arn, description=f"KMS key ARN: {key.purpose}")
        CfnOutput(self, f"{pascal(key.name)}KeyAlias", value=alias, description=f"KMS key alias: {key.purpose}")
        return created
