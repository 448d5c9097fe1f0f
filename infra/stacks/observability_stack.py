"""The observability stack: metric alarms to an SNS topic, and the operators' dashboard.

Log retention is set where the logs are made (each stack, ``StageConfig.log_retention_days``). Alarms, each with its
threshold from the stage config (``-c alarm_…=`` overrides), notify the topic ``videoatencion-{stage}-alarms``
(operators subscribe; ``-c alarm_email=ops@…`` adds an email subscription, confirmed from the mail SNS sends):

- API 5xx answers (API Gateway ``5XXError``) per 5 minutes ≥ ``alarm_5xx_per_5min``;
- throttled invocations per 5 minutes ≥ ``alarm_throttles_per_5min``, for every function of the API stack;
- media node CPU (ECS service average) above ``alarm_media_cpu_percent`` for 10 minutes: autoscaling aims lower
  (``media_target_cpu_percent``), so this means it is at ``media_max_nodes`` or cannot start nodes;
- failed recordings (the API's Powertools metric ``RecordingFailed``) per 5 minutes ≥ ``alarm_failed_recordings``.

The topic is not KMS-encrypted: CloudWatch can only publish to an encrypted topic through a customer key whose
policy lets it in, and alarm notifications carry names and figures, never personal data. It only takes TLS.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.resources import physical_name
from infra.stacks.api_stack import ApiStack
from infra.stacks.keys_stack import KeysStack
from infra.stacks.media_stack import MediaStack
from infra.stacks.naming import pascal
from infra.stacks.stage_stack import StageStack

REPO_ROOT = Path(__file__).resolve().parents[2]
PERIOD = Duration.minutes(5)
# The API's Powertools metrics (chalicelib/observability.py): namespace and the service dimension.
API_NAMESPACE = "Videoatencion"
API_SERVICE = "videoatencion-api"
RECORDING_FAILED = "RecordingFailed"
API_STAGE = "api"
# Rooms per node in MediaStack.metric_namespace, unless MediaStack exposes its metric (``rooms_metric``).
ROOMS_METRIC = "Rooms"
TRAIL_FUNCTION = "trail"


class ObservabilityStack(StageStack):
    """``alarm_topic``; ``alarms`` by name; ``dashboard``."""

    def __init__(
        self, scope: Construct, construct_id: str, *, keys: KeysStack, api: ApiStack, media: MediaStack, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config = self.config
        context = self.context
        functions: dict[str, lambda_.IFunction] = _required(api, "functions", dict)
        api_handler: lambda_.IFunction = _required(api, "api_handler", object)
        service: ecs.FargateService = _required(media, "service", object)
        cluster: ecs.ICluster = _required(media, "cluster", object)
        media_namespace: str = _required(media, "metric_namespace", str)
        self.api_name = _api_name(api)

        self.alarm_topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=physical_name(self.stage, "alarms"),
            display_name=f"Videoatencion {self.stage} alarms",
            # The data key, whose policy lets CloudWatch alarms publish (KeysStack).
            master_key=keys.keys["data"],
            enforce_ssl=True,
        )
        if context.alarm_email:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(context.alarm_email))
        CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.topic_arn, description="Subscribe to get the alarms")

        self.alarms: dict[str, cloudwatch.Alarm] = {}
        api_5xx = self._api_metric("5XXError", "Sum", "5xx")
        self._alarm("Api5xx", api_5xx, config.alarm_5xx_per_5min, "API Gateway answered 5xx")
        throttles = {name: fn.metric_throttles(period=PERIOD, statistic="Sum") for name, fn in functions.items()}
        for name, metric in throttles.items():
            self._alarm(
                f"{pascal(name)}Throttles",
                metric,
                config.alarm_throttles_per_5min,
                f"Lambda throttled function {name!r}: raise api_reserved_concurrency or the account's limit",
            )
        media_dimensions = {"ClusterName": cluster.cluster_name, "ServiceName": service.service_name}
        media_cpu = cloudwatch.Metric(
            namespace="AWS/ECS",
            metric_name="CPUUtilization",
            dimensions_map=media_dimensions,
            statistic="Average",
            period=PERIOD,
            label="CPU (average of the nodes)",
        )
        self._alarm(
            "MediaCpu",
            media_cpu,
            config.alarm_media_cpu_percent,
            "Media nodes' CPU stays high: autoscaling is at media_max_nodes or cannot add nodes",
            evaluation_periods=2,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        recording_failed = cloudwatch.Metric(
            namespace=API_NAMESPACE,
            metric_name=RECORDING_FAILED,
            dimensions_map={"service": API_SERVICE},
            statistic="Sum",
            period=PERIOD,
            label="Failed recordings",
        )
        self._alarm("RecordingFailed", recording_failed, config.alarm_failed_recordings, "A call's recording failed")

        running_tasks = cloudwatch.Metric(
            namespace="ECS/ContainerInsights",
            metric_name="RunningTaskCount",
            dimensions_map=media_dimensions,
            statistic="Average",
            period=Duration.minutes(1),
            label="Running media nodes",
        )
        rooms = getattr(media, "rooms_metric", None)
        if not isinstance(rooms, cloudwatch.Metric):
            # MediaStack's own metric (the one its autoscaling tracks) when it exposes it; else by the default name.
            rooms = cloudwatch.Metric(namespace=media_namespace, metric_name=ROOMS_METRIC)
        rooms = rooms.with_(statistic="Average", period=Duration.minutes(1), label="Rooms per worker (average)")
        # Each worker process of a node publishes its own rooms (MediaStack.workers per node).
        self.media_workers = max(1, int(getattr(media, "workers", 1) or 1))
        self.dashboard = self._dashboard(
            api_handler=api_handler,
            throttles=throttles,
            media_cpu=media_cpu,
            running_tasks=running_tasks,
            rooms=rooms,
            recording_failed=recording_failed,
            trail=functions.get(TRAIL_FUNCTION),
        )
        CfnOutput(self, "DashboardName", value=self.dashboard.dashboard_name)

    def _api_metric(self, name: str, statistic: str, label: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name=name,
            dimensions_map={"ApiName": self.api_name, "Stage": API_STAGE},
            statistic=statistic,
            period=PERIOD,
            label=label,
        )

    def _alarm(
        self,
        alarm_id: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        *,
        evaluation_periods: int = 1,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            f"{alarm_id}Alarm",
            alarm_name=f"{physical_name(self.stage, alarm_id)}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=evaluation_periods,
            comparison_operator=comparison,
            # No traffic is not an incident (and a metric that was never emitted is missing, not zero).
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        action = cw_actions.SnsAction(self.alarm_topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms[alarm_id] = alarm
        return alarm

    def _dashboard(
        self,
        *,
        api_handler: lambda_.IFunction,
        throttles: dict[str, cloudwatch.Metric],
        media_cpu: cloudwatch.Metric,
        running_tasks: cloudwatch.Metric,
        rooms: cloudwatch.Metric,
        recording_failed: cloudwatch.Metric,
        trail: lambda_.IFunction | None,
    ) -> cloudwatch.Dashboard:
        config = self.config
        minute = Duration.minutes(1)

        def line(value: float, label: str) -> cloudwatch.HorizontalAnnotation:
            return cloudwatch.HorizontalAnnotation(value=value, label=label)

        dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=physical_name(self.stage, "operations"),
            default_interval=Duration.hours(6),
        )
        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=f"# Videoatención {self.stage}\nAPI, media nodes and the audit trail. Limits: reserved "
                f"concurrency {config.api_reserved_concurrency}, media nodes {config.media_min_nodes} to "
                f"{config.media_max_nodes} (target {config.media_target_rooms_per_node} rooms per node). "
                "See README, *Scaling for a campaign*.",
                width=24,
                height=2,
            )
        )
        latency = [
            cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name="Latency",
                dimensions_map={"ApiName": self.api_name, "Stage": API_STAGE},
                statistic=statistic,
                period=minute,
                label=f"latency {statistic}",
            )
            for statistic in ("p50", "p90", "p99")
        ]
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="API latency (ms)", left=latency, width=8),
            cloudwatch.GraphWidget(
                title="API requests and errors",
                left=[self._api_metric("Count", "Sum", "requests")],
                right=[self._api_metric("4XXError", "Sum", "4xx"), self._api_metric("5XXError", "Sum", "5xx")],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Lambda throttles (per 5 min)",
                left=list(throttles.values()),
                left_annotations=[line(config.alarm_throttles_per_5min, "alarm")],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API function: concurrency",
                left=[api_handler.metric("ConcurrentExecutions", statistic="Maximum", period=minute)],
                left_annotations=[line(config.api_reserved_concurrency, "reserved concurrency")],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="API function: duration and errors",
                left=[api_handler.metric_duration(statistic="p90", period=minute)],
                right=[api_handler.metric_errors(period=minute)],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Failed recordings",
                left=[recording_failed],
                left_annotations=[line(config.alarm_failed_recordings, "alarm")],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Media nodes running",
                left=[running_tasks],
                left_annotations=[line(config.media_min_nodes, "min"), line(config.media_max_nodes, "max")],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Media nodes CPU (%)",
                left=[media_cpu.with_(period=minute)],
                left_annotations=[
                    line(config.media_target_cpu_percent, "autoscaling target"),
                    line(config.alarm_media_cpu_percent, "alarm"),
                ],
                left_y_axis=cloudwatch.YAxisProps(min=0, max=100),
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Rooms on the media nodes",
                left=[rooms, rooms.with_(statistic="Maximum", label="Rooms per worker (busiest)")],
                left_annotations=[
                    line(config.media_target_rooms_per_node / self.media_workers, "autoscaling target per worker"),
                    line(config.media_max_rooms_per_node / self.media_workers, "maximum per worker"),
                ],
                width=8,
            ),
        )
        trail_widgets: list[cloudwatch.IWidget] = [
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.values()), width=12, height=6)
        ]
        if trail is not None:
            trail_widgets.insert(
                0,
                cloudwatch.GraphWidget(
                    title="Audit trail delivery: function errors",
                    left=[trail.metric_errors(period=PERIOD, label="errors")],
                    right=[trail.metric_invocations(period=PERIOD, label="runs")],
                    width=12,
                ),
            )
        dashboard.add_widgets(*trail_widgets)
        return dashboard


def _required(stack: Stack, name: str, kind: type) -> Any:
    value = getattr(stack, name, None)
    if value is None or not isinstance(value, kind) or (kind is dict and not value):
        raise AttributeError(
            f"ObservabilityStack needs {type(stack).__name__}.{name} (see the issue 8 contract) for its alarms and "
            f"dashboard; {type(stack).__name__} does not set it yet"
        )
    return value


def _api_name(api: ApiStack) -> str:
    """The REST API's name: API Gateway's metrics are by name (and stage), not by id.

    ``ApiStack.rest_api_name`` if the stack sets it; else the Chalice app's name, which Chalice gives its API.
    """
    name = getattr(api, "rest_api_name", None)
    if isinstance(name, str) and name:
        return name
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return str(config["app_name"])
