"""The observability stack: alarms with the stage's thresholds to an SNS topic, and the operators' dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.resources import physical_name
from infra.stacks.observability_stack import ObservabilityStack
from infra.stages import PROD
from infra.tests.standalone import FUNCTIONS, observability_template
from infra.tests.synthesis import STAGE, Synthesised


@pytest.fixture(scope="module")
def observability(synthesised: Synthesised) -> Template:
    return synthesised["observability"].template


@pytest.fixture(scope="module")
def overridden() -> tuple[ObservabilityStack, Template]:
    return observability_template("dev", alarm_5xx_per_5min="17", alarm_email="ops@vilademo.example")


def _flat(alarm: dict[str, Any]) -> dict[str, Any]:
    """An alarm's properties with its metric's fields at the top, as for an alarm on one unlabelled metric."""
    if "Metrics" not in alarm:
        return alarm
    (query,) = alarm["Metrics"]
    stat = query["MetricStat"]
    return {**alarm, **stat["Metric"], "Period": stat["Period"], "Statistic": stat["Stat"]}


def _alarms(template: Template, metric: str) -> list[dict[str, Any]]:
    alarms = [_flat(a["Properties"]) for a in template.find_resources("AWS::CloudWatch::Alarm").values()]
    return [a for a in alarms if a.get("MetricName") == metric]


def _alarm(template: Template, metric: str) -> dict[str, Any]:
    found = _alarms(template, metric)
    assert len(found) == 1, f"expected one alarm on {metric}, found {len(found)}"
    return found[0]


def _notifies_the_topic(template: Template, alarm: dict[str, Any]) -> bool:
    topic_id = next(iter(template.find_resources("AWS::SNS::Topic")))
    return bool(alarm["AlarmActions"] == [{"Ref": topic_id}] and alarm["OKActions"] == [{"Ref": topic_id}])


def test_the_api_5xx_alarm_has_the_stage_threshold(observability: Template) -> None:
    alarm = _alarm(observability, "5XXError")

    assert alarm["Namespace"] == "AWS/ApiGateway"
    assert alarm["Threshold"] == PROD.alarm_5xx_per_5min
    assert alarm["Period"] == 300
    assert alarm["Statistic"] == "Sum"
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert {d["Name"] for d in alarm["Dimensions"]} == {"ApiName", "Stage"}
    assert _notifies_the_topic(observability, alarm)


def test_every_function_of_the_api_stack_has_a_throttle_alarm(
    synthesised: Synthesised, observability: Template
) -> None:
    alarms = _alarms(observability, "Throttles")
    functions = synthesised.deployment.api.functions

    assert len(alarms) == len(functions)
    for alarm in alarms:
        assert alarm["Namespace"] == "AWS/Lambda"
        assert alarm["Threshold"] == PROD.alarm_throttles_per_5min
        assert alarm["Period"] == 300
        assert _notifies_the_topic(observability, alarm)


def test_the_media_cpu_alarm_watches_the_media_service(observability: Template) -> None:
    alarm = _alarm(observability, "CPUUtilization")

    assert alarm["Namespace"] == "AWS/ECS"
    assert alarm["Threshold"] == PROD.alarm_media_cpu_percent
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["EvaluationPeriods"] == 2
    assert {d["Name"] for d in alarm["Dimensions"]} == {"ClusterName", "ServiceName"}
    assert _notifies_the_topic(observability, alarm)


def test_the_failed_recordings_alarm_reads_the_apis_powertools_metric(observability: Template) -> None:
    alarm = _alarm(observability, "RecordingFailed")

    assert alarm["Namespace"] == "Videoatencion"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "videoatencion-api"}]
    assert alarm["Threshold"] == PROD.alarm_failed_recordings
    assert alarm["TreatMissingData"] == "notBreaching"


def test_the_alarm_topic_is_named_for_the_stage_and_takes_tls_only(observability: Template) -> None:
    observability.has_resource_properties("AWS::SNS::Topic", {"TopicName": physical_name(STAGE, "alarms")})
    observability.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )
    observability.resource_count_is("AWS::SNS::Subscription", 0)


def test_operator_overrides_change_thresholds_and_add_the_email_subscription(
    overridden: tuple[ObservabilityStack, Template],
) -> None:
    _, template = overridden

    assert _alarm(template, "5XXError")["Threshold"] == 17
    assert len(_alarms(template, "Throttles")) == len(FUNCTIONS)
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@vilademo.example"}
    )


def test_a_wrong_alarm_email_is_refused() -> None:
    with pytest.raises(ValueError, match="alarm_email"):
        observability_template("dev", alarm_email="not-an-address")


def test_the_dashboard_shows_the_api_the_media_nodes_and_the_trail(
    overridden: tuple[ObservabilityStack, Template], observability: Template
) -> None:
    for template in (observability, overridden[1]):
        dashboard = next(iter(template.find_resources("AWS::CloudWatch::Dashboard").values()))["Properties"]
        body = json.dumps(dashboard["DashboardBody"])
        for expected in (
            "Latency",
            "5XXError",
            "Throttles",
            "RunningTaskCount",
            "CPUUtilization",
            "Rooms on the media nodes",
            "Audit trail delivery",
            "RecordingFailed",
        ):
            assert expected in body, expected
    observability.has_resource_properties(
        "AWS::CloudWatch::Dashboard", {"DashboardName": physical_name(STAGE, "operations")}
    )
