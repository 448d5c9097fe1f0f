"""The origin secret's rotation: CloudFront ends up sending the new value, and at every step the API (which accepts
current, pending and previous values) accepts what CloudFront sends."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.origin import OriginSecret
from infra.origin_rotation import index as rotation

API_HOST = "abc123.execute-api.eu-south-2.amazonaws.com"
HEADER = "X-Origin-Verify"
NAME = "videoatencion/prod/origin-verify"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with mock_aws():
        sm = boto3.client("secretsmanager", region_name="eu-south-2")
        cf = boto3.client("cloudfront", region_name="us-east-1")
        sm.create_secret(Name=NAME, SecretString="first-value")
        origin = {
            "Id": "api",
            "DomainName": API_HOST,
            "CustomHeaders": {"Quantity": 1, "Items": [{"HeaderName": HEADER, "HeaderValue": "first-value"}]},
            "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
        }
        distribution = cf.create_distribution(
            DistributionConfig={
                "CallerReference": "test",
                "Comment": "",
                "Enabled": True,
                "Origins": {"Quantity": 1, "Items": [origin]},
                "DefaultCacheBehavior": {"TargetOriginId": "api", "ViewerProtocolPolicy": "https-only"},
            }
        )["Distribution"]
        monkeypatch.setenv("DISTRIBUTION_ID", distribution["Id"])
        monkeypatch.setenv("ORIGIN_DOMAIN", API_HOST)
        monkeypatch.setenv("HEADER_NAME", HEADER)
        yield {"secretsmanager": sm, "cloudfront": cf}


def _sent(clients: dict[str, Any]) -> str:
    config = clients["cloudfront"].get_distribution_config(Id=os.environ["DISTRIBUTION_ID"])
    items = config["DistributionConfig"]["Origins"]["Items"][0]["CustomHeaders"]["Items"]
    return str(next(h["HeaderValue"] for h in items if h["HeaderName"] == HEADER))


def test_a_rotation_switches_cloudfront_to_a_new_value_the_api_accepts_at_every_step(aws: dict[str, Any]) -> None:
    sm = aws["secretsmanager"]
    arn = sm.describe_secret(SecretId=NAME)["ARN"]
    token = str(uuid.uuid4())
    clock = [0.0]
    api = OriginSecret(sm, NAME, ttl_seconds=300, min_refresh_seconds=10, clock=lambda: clock[0])

    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        rotation.handler({"SecretId": arn, "ClientRequestToken": token, "Step": step}, None, aws)
        clock[0] += 11
        # THEN whatever CloudFront sends at this point (an edge may still send the old value) passes
        assert api.accepts(_sent(aws)), step
        assert api.accepts("first-value"), step

    new = _sent(aws)
    assert new != "first-value"
    assert "AWSCURRENT" in sm.describe_secret(SecretId=NAME)["VersionIdsToStages"][token]
    assert sm.get_secret_value(SecretId=NAME, VersionId=token)["SecretString"] == new
    assert sm.get_secret_value(SecretId=NAME, VersionStage="AWSPREVIOUS")["SecretString"] == "first-value"
