"""Rotation of the CloudFront origin secret (Secrets Manager's four-step protocol), run every 30 days.

CloudFront sends the secret in ``X-Origin-Verify`` to the API, which refuses requests without it (only CloudFront
may reach API Gateway). The API accepts the AWSCURRENT, AWSPENDING and AWSPREVIOUS values, so no request is refused
while the change reaches CloudFront's edges:

1. ``createSecret``: a new random value as AWSPENDING (the API starts accepting it on its next read).
2. ``setSecret``: the distribution's API origin sends the pending value (edges pick it up over minutes).
3. ``testSecret``: the distribution's configuration holds the pending value.
4. ``finishSecret``: the pending value becomes AWSCURRENT; the old one AWSPREVIOUS, still accepted until the next
   rotation, 30 days later, long after every edge has the new one.

Environment: ``DISTRIBUTION_ID``, ``ORIGIN_DOMAIN`` (the API Gateway host the header goes to), ``HEADER_NAME``.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import boto3

PENDING, CURRENT = "AWSPENDING", "AWSCURRENT"


def handler(event: dict[str, str], context: object, clients: dict[str, Any] | None = None) -> None:
    clients = clients or {"secretsmanager": boto3.client("secretsmanager"), "cloudfront": boto3.client("cloudfront")}
    sm, cf = clients["secretsmanager"], clients["cloudfront"]
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    stages = sm.describe_secret(SecretId=arn).get("VersionIdsToStages", {})
    if CURRENT in stages.get(token, []):
        return  # already done (Secrets Manager retries a step that failed late)
    if step != "createSecret" and token not in stages:
        raise ValueError(f"version {token} is not a version of the secret")
    if step == "createSecret":
        try:
            sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage=PENDING)
        except sm.exceptions.ResourceNotFoundException:
            sm.put_secret_value(
                SecretId=arn, ClientRequestToken=token, SecretString=secrets.token_urlsafe(48), VersionStages=[PENDING]
            )
    elif step == "setSecret":
        value = sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage=PENDING)["SecretString"]
        _send_from_cloudfront(cf, value)
    elif step == "testSecret":
        value = sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage=PENDING)["SecretString"]
        if _sent_by_cloudfront(cf) != value:
            raise RuntimeError("the distribution does not send the pending value")
    elif step == "finishSecret":
        current = next(version for version, names in stages.items() if CURRENT in names)
        sm.update_secret_version_stage(
            SecretId=arn, VersionStage=CURRENT, MoveToVersionId=token, RemoveFromVersionId=current
        )
    else:
        raise ValueError(f"unknown rotation step {step}")


def _api_origins(config: dict[str, Any]) -> list[dict[str, Any]]:
    origins = [o for o in config["Origins"]["Items"] if o["DomainName"] == os.environ["ORIGIN_DOMAIN"]]
    if not origins:
        raise RuntimeError("the distribution has no origin for the API")
    return origins


def _send_from_cloudfront(cf: Any, value: str) -> None:
    distribution = os.environ["DISTRIBUTION_ID"]
    found = cf.get_distribution_config(Id=distribution)
    config, etag = found["DistributionConfig"], found["ETag"]
    name = os.environ["HEADER_NAME"]
    for origin in _api_origins(config):
        headers = [h for h in origin.get("CustomHeaders", {}).get("Items", []) if h["HeaderName"] != name]
        headers.append({"HeaderName": name, "HeaderValue": value})
        origin["CustomHeaders"] = {"Quantity": len(headers), "Items": headers}
    cf.update_distribution(Id=distribution, IfMatch=etag, DistributionConfig=config)


def _sent_by_cloudfront(cf: Any) -> str | None:
    config = cf.get_distribution_config(Id=os.environ["DISTRIBUTION_ID"])["DistributionConfig"]
    name = os.environ["HEADER_NAME"]
    values = {
        h["HeaderValue"]
        for origin in _api_origins(config)
        for h in origin.get("CustomHeaders", {}).get("Items", [])
        if h["HeaderName"] == name
    }
    return values.pop() if len(values) == 1 else None
