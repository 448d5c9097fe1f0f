"""The keys stack: every KMS key of ``infra.resources.RESOURCES`` with its alias (retained: records need them)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, CrossStackReferences, ReferenceStrength, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.resources import KmsKey, Resources, key_alias
from infra.stacks.naming import pascal
from infra.stages import StageConfig


class KeysStack(Stack):
    """``keys``: name → key, for the other stacks' encryption settings and least-privilege grants."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, resources: Resources, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.keys: dict[str, kms.Key] = {k.name: self._key(k) for k in resources.keys}

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
