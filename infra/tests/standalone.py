"""The web and observability stacks on their own, with stand-ins for the API and media stacks' attributes.

For what the session's synthesis of the whole app does not cover (other context: a stage's overrides, a custom
domain, no built SPA) without synthesising every stack again: the stacks read only the contract's attributes of
ApiStack and MediaStack (``rest_api_id``, ``api_url``, ``functions``, ``api_handler``, ``service``, ``cluster``,
``metric_namespace``), which the stand-ins provide.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from infra.app import cdk_json_context, operator_context
from infra.resources import RESOURCES
from infra.stacks.api_stack import ApiStack
from infra.stacks.keys_stack import KeysStack
from infra.stacks.media_stack import MediaStack
from infra.stacks.observability_stack import ObservabilityStack
from infra.stacks.web_stack import WebStack

ENV = cdk.Environment(region="eu-south-2")
FUNCTIONS = ("api", "reminders", "trail", "retention")


def _app(stage: str, context: dict[str, Any]) -> cdk.App:
    return cdk.App(context={**cdk_json_context(), "stage": stage, **context})


def _api_stand_in(app: cdk.App) -> ApiStack:
    stack = cdk.Stack(app, "ApiStandIn", env=ENV)
    cdk.CfnWaitConditionHandle(stack, "Placeholder")  # a stack cannot be empty
    functions = {name: lambda_.Function.from_function_name(stack, name, f"videoatencion-{name}") for name in FUNCTIONS}
    api = SimpleNamespace(
        rest_api_id="abc123defg",
        api_url="https://abc123defg.execute-api.eu-south-2.amazonaws.com/api/",
        functions=functions,
        api_handler=functions["api"],
    )
    return cast(ApiStack, api)


def _keys_stand_in(app: cdk.App) -> KeysStack:
    stack = cdk.Stack(app, "KeysStandIn", env=ENV)
    cdk.CfnWaitConditionHandle(stack, "Placeholder")
    key = kms.Key.from_key_arn(stack, "DataKey", "arn:aws:kms:eu-south-2:123456789012:key/data")
    return cast(KeysStack, SimpleNamespace(keys={"data": key}))


def web_template(stage: str = "dev", **context: Any) -> tuple[WebStack, Template]:
    app = _app(stage, context)
    stack = WebStack(app, "Web", context=operator_context(app), resources=RESOURCES, api=_api_stand_in(app), env=ENV)
    return stack, Template.from_stack(stack)


def observability_template(stage: str = "dev", **context: Any) -> tuple[ObservabilityStack, Template]:
    app = _app(stage, context)
    media = SimpleNamespace(
        service=SimpleNamespace(service_name="videoatencion-media"),
        cluster=SimpleNamespace(cluster_name="videoatencion-media"),
        metric_namespace="Videoatencion/Media",
    )
    stack = ObservabilityStack(
        app,
        "Observability",
        context=operator_context(app),
        resources=RESOURCES,
        keys=_keys_stand_in(app),
        api=_api_stand_in(app),
        media=cast(MediaStack, media),
        env=ENV,
    )
    return stack, Template.from_stack(stack)
