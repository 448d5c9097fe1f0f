"""checkov's findings that are accepted, said next to the resource they concern.

checkov reads ``Metadata.checkov.skip`` of each CloudFormation resource; ``skip`` adds an entry there with the reason,
so a template read on its own still tells why. ``infra/tests/test_checkov.py`` runs checkov over every template of
both stages and pins which checks are skipped: a new finding fails the suite until it is fixed or explained here.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnResource
from constructs import IConstruct

# Functions reach only public AWS endpoints (and the eID provider, the STUN server): a VPC would add NAT gateways or
# interface endpoints, and cold starts, and protect nothing they hold.
OUTSIDE_VPC = "reaches only public AWS endpoints over TLS with IAM; a VPC would add NAT cost and guard nothing"
# Lambda's own encryption at rest (an AWS key) covers the variables: they hold names and non-secret values only
# (infra/tests/test_api_stack.py checks it); secrets are read from SSM SecureStrings and Secrets Manager at run time.
PLAIN_ENVIRONMENT = "variables hold resource names and non-secret settings only; secrets come from SSM at run"
# CloudFormation and EventBridge invoke these: a failed run is retried by its caller (the next deployment, the next
# schedule tick, EventBridge's retries), so a dead-letter queue would hold nothing nobody already retries.
RETRIED_BY_CALLER = "invoked synchronously by CloudFormation or on a schedule: the caller retries, a DLQ adds nothing"
# Helpers CDK writes into the template (custom resource providers): run only during deployments.
CDK_DEPLOYMENT_HELPER = "CDK's deployment-time helper: runs only while CloudFormation deploys the stack"


def skip(construct: IConstruct, **reasons: str) -> None:
    """Marks the construct's CloudFormation resource (or the construct itself, if it is one): check id → reason."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to mark")
    existing: dict[str, Any] = resource.get_metadata("checkov") or {"skip": []}
    known = {entry["id"] for entry in existing["skip"]}
    for check, reason in sorted(reasons.items()):
        if check not in known:
            existing["skip"].append({"id": check, "comment": reason})
    resource.add_metadata("checkov", existing)


def skip_deployment_helper(function: IConstruct) -> None:
    """CDK's singleton function behind a custom resource (SES identity, SPA upload), and its log group if any."""
    skip(function, CKV_AWS_115=CDK_DEPLOYMENT_HELPER, CKV_AWS_116=RETRIED_BY_CALLER, CKV_AWS_117=OUTSIDE_VPC)
    log_group = function.node.try_find_child("LogGroup")
    if log_group is not None:
        skip(log_group, CKV_AWS_158="the helper's deployment steps only: no personal data is logged")
