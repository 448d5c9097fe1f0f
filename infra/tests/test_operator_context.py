"""The operator's context is parsed once, with an error that says which ``-c`` to pass (no synthesis needed)."""

from __future__ import annotations

import pytest

from infra.resources import RESOURCES
from infra.stages import DEFAULT_REGION, MediaDomain, OperatorContext
from infra.tests.synthesis import PROD_CONTEXT, SENDER


def _parse(context: dict[str, str], environ: dict[str, str] | None = None) -> OperatorContext:
    return OperatorContext.parse(context.get, RESOURCES, environ)


def test_prod_with_the_operator_values_is_parsed_into_one_object() -> None:
    parsed = _parse({"stage": "prod", "sender_email": SENDER, **PROD_CONTEXT, "council-name": "Ajuntament de Proves"})

    assert parsed.stage == "prod"
    assert parsed.region == DEFAULT_REGION
    assert parsed.sender_addresses == {"SENDER_EMAIL": SENDER}
    assert parsed.parameters == {"council-name": "Ajuntament de Proves"}
    assert parsed.media_domain == MediaDomain(
        PROD_CONTEXT["media_domain"], PROD_CONTEXT["media_hosted_zone_id"], PROD_CONTEXT["media_tls_secret_arn"]
    )
    assert parsed.media_allowed_origins == PROD_CONTEXT["media_allowed_origins"]
    assert parsed.media_workers == 1
    with pytest.raises(AttributeError):
        parsed.media_workers = 2  # type: ignore[misc]


def test_dev_falls_back_to_the_dev_values_and_the_deploy_region() -> None:
    parsed = _parse({"stage": "dev"}, {"CDK_DEPLOY_REGION": "eu-west-3", "CDK_DEFAULT_REGION": "us-east-1"})

    assert parsed.region == "eu-west-3"
    assert parsed.sender_addresses == {"SENDER_EMAIL": RESOURCES.email_identities[0].dev_address}
    assert parsed.parameters == {"council-name": "Ajuntament de Vilademo"}
    assert parsed.media_domain is None
    assert parsed.config.media_max_nodes == 2


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"stage": "prod"}, "-c sender_email="),
        ({"stage": "prod", "sender_email": SENDER}, "-c media_domain="),
        ({"stage": "dev", "media_domain": "media.example.org"}, "go together"),
        ({"stage": "dev", "media_domain": "media.example.org", "turn_enabled": "true"}, "go together"),
        ({"stage": "dev", "turn_enabled": "true"}, "turn_enabled needs media_domain"),
        ({"stage": "dev", **PROD_CONTEXT, "media_hosted_zone_id": "zone"}, "media_hosted_zone_id"),
        ({"stage": "dev", **PROD_CONTEXT, "media_tls_secret_arn": "arn:aws:secretsmanager:x"}, "6-character"),
        ({"stage": "dev", "media_workers": "17"}, "from 1 to 16"),
        ({"stage": "dev", "media_max_nodes": "many"}, "whole number"),
        ({"stage": "dev", "waf_booking_per_5min": "9"}, "waf_booking_per_5min .* at least 10"),
        ({"stage": "dev", "alarm_email": "ops"}, "alarm_email"),
        ({"stage": "dev", "certificate_arn": "arn:aws:acm:us-east-1:1:certificate/x"}, "go together"),
    ],
)
def test_a_wrong_or_missing_value_is_refused_naming_the_key(context: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _parse(context)
