"""What the media stack's Fargate services share: their log driver, their stop timeout, the retention of their log
groups, and how a public service is deployed without cutting calls."""

from __future__ import annotations

from aws_cdk import Duration, Size
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from constructs import Construct

# ECS (Fargate) allows at most 120 s between SIGTERM and SIGKILL; the node's drain + uploads fit inside it.
STOP_TIMEOUT = Duration.seconds(120)

# CloudWatch Logs' allowed retention periods (days) and CDK's names for them.
_RETENTION = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
    60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
    365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1096: "THREE_YEARS",
    1827: "FIVE_YEARS", 2192: "SIX_YEARS", 2557: "SEVEN_YEARS", 2922: "EIGHT_YEARS", 3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}  # fmt: skip


def retention(days: int) -> logs.RetentionDays:
    if days not in _RETENTION:
        raise ValueError(f"log_retention_days must be one CloudWatch Logs allows ({sorted(_RETENTION)}), got {days}")
    return logs.RetentionDays[_RETENTION[days]]


def log_driver(log_group: logs.ILogGroup, prefix: str) -> ecs.LogDriver:
    # Non-blocking: a slow log pipeline must never stall the event loop that carries every call's media.
    return ecs.LogDrivers.aws_logs(
        stream_prefix=prefix,
        log_group=log_group,
        mode=ecs.AwsLogDriverMode.NON_BLOCKING,
        max_buffer_size=Size.mebibytes(25),
    )


def public_service(
    scope: Construct,
    construct_id: str,
    *,
    service_name: str,
    cluster: ecs.ICluster,
    task_definition: ecs.TaskDefinition,
    security_group: ec2.ISecurityGroup,
    desired_count: int | None = None,
    enable_ecs_managed_tags: bool | None = None,
) -> ecs.FargateService:
    """A service of tasks with public IPs in the public subnets (WebRTC and TURN need them, no NAT), on demand
    capacity (Spot would end calls at two minutes' notice), replaced only by starting new tasks first."""
    return ecs.FargateService(
        scope,
        construct_id,
        service_name=service_name,
        cluster=cluster,
        task_definition=task_definition,
        desired_count=desired_count,
        assign_public_ip=True,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
        security_groups=[security_group],
        capacity_provider_strategies=[ecs.CapacityProviderStrategy(capacity_provider="FARGATE", weight=1)],
        min_healthy_percent=100,
        max_healthy_percent=200,
        circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
        availability_zone_rebalancing=ecs.AvailabilityZoneRebalancing.DISABLED,
        propagate_tags=ecs.PropagatedTagSource.SERVICE,
        enable_ecs_managed_tags=enable_ecs_managed_tags,
    )
