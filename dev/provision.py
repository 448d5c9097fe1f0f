"""Builds the resources of ``infra/resources.py`` on moto (or any AWS-compatible endpoint), idempotently.

The CDK app builds the same description in production; this is the local half of that promise.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from infra.resources import RESOURCES, Bucket, KmsKey, Table, key_alias, parameter_path, physical_name


def _clients(region: str, endpoint_url: str | None) -> dict[str, Any]:
    return {name: aws.client(name, region, endpoint_url) for name in ("dynamodb", "s3", "kms", "ssm", "ses")}


def _key_id(kms: Any, alias: str) -> str | None:
    try:
        return str(kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NotFoundException":
            return None
        raise


def ensure_key(kms: Any, stage: str, key: KmsKey) -> str:
    alias = key_alias(stage, key.name)
    existing = _key_id(kms, alias)
    if existing:
        return existing
    created = kms.create_key(Description=key.purpose, KeySpec=key.spec, KeyUsage=key.usage)
    key_id = str(created["KeyMetadata"]["KeyId"])
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    if key.spec == "SYMMETRIC_DEFAULT":
        kms.enable_key_rotation(KeyId=key_id)
    return key_id


def ensure_table(dynamodb: Any, stage: str, table: Table, kms_key_id: str) -> None:
    name = physical_name(stage, table.name)
    keys = [table.partition] + ([table.sort] if table.sort else [])
    attributes = {k.name: k.type for k in keys}
    for index in table.indexes:
        attributes[index.partition.name] = index.partition.type
        if index.sort:
            attributes[index.sort.name] = index.sort.type
    spec: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        "KeySchema": [{"AttributeName": table.partition.name, "KeyType": "HASH"}]
        + ([{"AttributeName": table.sort.name, "KeyType": "RANGE"}] if table.sort else []),
        "SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": kms_key_id},
    }
    if table.indexes:
        spec["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [{"AttributeName": index.partition.name, "KeyType": "HASH"}]
                + ([{"AttributeName": index.sort.name, "KeyType": "RANGE"}] if index.sort else []),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in table.indexes
        ]
    if table.stream:
        spec["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    try:
        dynamodb.create_table(**spec)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
        return
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    if table.ttl_attribute:
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute}
        )


def ensure_bucket(s3: Any, stage: str, bucket: Bucket, region: str, kms_key_id: str) -> None:
    name = physical_name(stage, bucket.name)
    create: dict[str, Any] = {"Bucket": name, "CreateBucketConfiguration": {"LocationConstraint": region}}
    if bucket.object_lock_mode:
        create["ObjectLockEnabledForBucket"] = True
    try:
        s3.create_bucket(**create)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
        return
    if bucket.versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if bucket.object_lock_mode:
        s3.put_object_lock_configuration(
            Bucket=name,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": bucket.object_lock_mode, "Days": bucket.object_lock_days}},
            },
        )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key_id},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def provision(stage: str, region: str, endpoint_url: str | None = None) -> dict[str, str]:
    """Create every described resource that is missing; returns the KMS key ids by logical name."""
    if stage == "prod":
        raise ValueError("the local provisioner never builds the prod stage (it fills secrets with dev values)")
    clients = _clients(region, endpoint_url)
    key_ids = {key.name: ensure_key(clients["kms"], stage, key) for key in RESOURCES.keys}
    for table in RESOURCES.tables:
        ensure_table(clients["dynamodb"], stage, table, key_ids[table.kms_key])
    for bucket in RESOURCES.buckets:
        ensure_bucket(clients["s3"], stage, bucket, region, key_ids[bucket.kms_key])
    for parameter in RESOURCES.parameters:
        clients["ssm"].put_parameter(
            Name=parameter_path(stage, parameter.name),
            Value=parameter.dev_value,
            Type="SecureString" if parameter.secure else "String",
            Overwrite=True,
        )
    for identity in RESOURCES.email_identities:
        clients["ses"].verify_email_identity(EmailAddress=identity.dev_address)
    return key_ids
