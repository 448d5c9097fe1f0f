"""The DNS names of the media and TURN tasks: a function fed by ECS's task state events keeps an A record per node
task (``{task id}.{media_domain}``) and the multivalue ``turn.{media_domain}`` in the operator's Route 53 zone
(``infra/stacks/media_dns/index.py``)."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from infra.resources import physical_name
from infra.stacks.checkov import OUTSIDE_VPC, PLAIN_ENVIRONMENT, RETRIED_BY_CALLER, skip
from infra.stacks.media.tasks import retention
from infra.stacks.media.tls_proxy import TLS_PORT

DNS_FUNCTION_DIR = Path(__file__).resolve().parents[1] / "media_dns"


class DnsUpdater:
    """Adds the function, its log group and the rule on the cluster's task state changes; ``function``."""

    def __init__(
        self,
        stack: Stack,
        *,
        stage: str,
        domain: str,
        hosted_zone_id: str,
        cluster: ecs.ICluster,
        groups: dict[str, str],
        log_retention_days: int,
        data_key: kms.IKey,
    ) -> None:
        log_group = logs.LogGroup(
            stack,
            "DnsLogs",
            log_group_name=f"/videoatencion/{stage}/media-dns",
            retention=retention(log_retention_days),
            encryption_key=data_key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        function = lambda_.Function(
            stack,
            "DnsFunction",
            function_name=physical_name(stage, "media-dns"),
            description="Keeps {task}.media_domain (and turn.media_domain) pointing at the media and TURN tasks",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_asset(str(DNS_FUNCTION_DIR), exclude=["__pycache__"]),
            timeout=Duration.seconds(30),
            memory_size=128,
            log_group=log_group,
            environment={
                "MEDIA_DNS_ZONE_ID": hosted_zone_id,
                "MEDIA_DNS_DOMAIN": domain,
                "MEDIA_DNS_GROUPS": json.dumps(groups, sort_keys=True, separators=(",", ":")),
            },
        )
        self.function = function
        skip(
            function,
            CKV_AWS_115="one event per task state change; EventBridge retries a throttled call (20 attempts)",
            CKV_AWS_116=RETRIED_BY_CALLER,
            CKV_AWS_117=OUTSIDE_VPC,
            CKV_AWS_173=PLAIN_ENVIRONMENT,
        )
        zone_arn = f"arn:{stack.partition}:route53:::hostedzone/{hosted_zone_id}"
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="TaskRecords",
                actions=["route53:ChangeResourceRecordSets"],
                resources=[zone_arn],
                conditions={
                    "ForAllValues:StringLike": {
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": [f"*.{domain}"]
                    },
                    "ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["A"]},
                },
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(sid="ReadRecords", actions=["route53:ListResourceRecordSets"], resources=[zone_arn])
        )
        # DescribeNetworkInterfaces has no resource-level permissions.
        function.add_to_role_policy(
            iam.PolicyStatement(sid="TaskAddresses", actions=["ec2:DescribeNetworkInterfaces"], resources=["*"])
        )
        events.Rule(
            stack,
            "TaskStateChanges",
            description="Media and TURN task state changes, for their DNS names",
            event_pattern=events.EventPattern(
                source=["aws.ecs"],
                detail_type=["ECS Task State Change"],
                detail={"clusterArn": [cluster.cluster_arn], "group": sorted(groups)},
            ),
            targets=[targets.LambdaFunction(function, retry_attempts=20)],
        )
        CfnOutput(
            stack,
            "NodeUrlPattern",
            value=f"https://{{task id}}.{domain}:{TLS_PORT}",
            description="How each media node is reached (registered in the node registry)",
        )
