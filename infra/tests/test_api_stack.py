"""The synthesised API stack: the Chalice app's functions, schedules, least-privilege roles, environment and limits.

The template is a SAM template (``chalice package`` output included by ``CfnInclude``): functions are
``AWS::Serverless::Function``, the API ``AWS::Serverless::Api`` with the app's OpenAPI body.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cfnlint.api import ManualArgs, lint_file

from infra.app import cdk_json_context, operator_context
from infra.resources import RESOURCES, physical_name
from infra.stacks.api_stack import ACCESS, LOG_GROUP_LOGICAL_IDS, LOGICAL_IDS, ROLE_LOGICAL_IDS, TIMEOUTS, ApiStack
from infra.stacks.data_stack import DataStack
from infra.stacks.keys_stack import KeysStack
from infra.stacks.records_stack import RecordsStack
from infra.stages import PROD
from infra.tests.synthesis import PROD_CONTEXT, REGION, SENDER, STAGE, StackTemplate, Synthesised

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEDULES = {"reminders": "rate(5 minutes)", "trail": "rate(1 minute)", "retention": "rate(1 day)"}
HANDLERS = {
    "api_handler": "app.app",
    "reminders": "app.send_reminders",
    "trail": "app.deliver_trail",
    "retention": "app.sweep_retention",
}
DATA_SERVICES = ("dynamodb:", "s3:", "kms:")
SWEEP_ONLY = {"s3:BypassGovernanceRetention", "s3:DeleteObjectVersion", "s3:DeleteObject"}


@pytest.fixture(scope="module")
def api(synthesised: Synthesised) -> StackTemplate:
    return synthesised["api"]


def _resources(api: StackTemplate) -> dict[str, Any]:
    resources: dict[str, Any] = api.template_json["Resources"]
    return resources


def _function(api: StackTemplate, name: str) -> dict[str, Any]:
    resource: dict[str, Any] = _resources(api)[LOGICAL_IDS[name]]
    assert resource["Type"] == "AWS::Serverless::Function"
    return resource


def _statements(api: StackTemplate, role: str) -> list[dict[str, Any]]:
    policies = _resources(api)[role]["Properties"]["Policies"]
    return [s for policy in policies for s in policy["PolicyDocument"]["Statement"]]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _all_statements(api: StackTemplate) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in _resources(api).items():
        if resource["Type"] == "AWS::IAM::Role":
            for statement in _statements(api, logical_id):
                yield logical_id, statement
        elif resource["Type"] == "AWS::IAM::Policy":
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                yield logical_id, statement


def _table_of(synthesised: Synthesised, arn: Any) -> str:
    """The physical name of the table an ARN in the API's template refers to (through the data stack's exports)."""
    if isinstance(arn, dict) and "Fn::Join" in arn:  # ARN + "/index/*"
        parts = arn["Fn::Join"][1]
        assert parts[1:] == ["/index/*"], arn
        arn = parts[0]
    export = arn["Fn::ImportValue"]
    data = synthesised["data"].template_json
    (output,) = [o for o in data["Outputs"].values() if o.get("Export", {}).get("Name") == export]
    logical_id = output["Value"]["Fn::GetAtt"][0]
    name: str = data["Resources"][logical_id]["Properties"]["TableName"]
    return name


def test_every_route_is_served_by_the_api_function(api: StackTemplate) -> None:
    # The app's routes as `chalice package` sees them (a child process: importing app.py fixes its routes).
    listing = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, app; print(json.dumps({p: sorted(r) for p, r in app.app.routes.items()}))",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "STAGE": STAGE},
        check=True,
        capture_output=True,
        text=True,
    )
    routes: dict[str, list[str]] = json.loads(listing.stdout)
    paths = _resources(api)["RestAPI"]["Properties"]["DefinitionBody"]["paths"]

    assert len(routes) > 20
    assert set(paths) == set(routes)
    for path, methods in routes.items():
        for method in methods:
            integration = paths[path][method.lower()]["x-amazon-apigateway-integration"]
            assert "APIHandler" in json.dumps(integration["uri"]), (path, method)
    assert _function(api, "api_handler")["Properties"]["Handler"] == HANDLERS["api_handler"]
    assert "/dev/outbox" not in json.dumps(sorted(paths))  # the development outbox exists in dev only


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_scheduled_functions_run_at_their_rates(api: StackTemplate, name: str) -> None:
    properties = _function(api, name)["Properties"]

    assert properties["Handler"] == HANDLERS[name]
    assert [event["Properties"]["Schedule"] for event in properties["Events"].values()] == [SCHEDULES[name]]
    assert all(event["Type"] == "Schedule" for event in properties["Events"].values())


@pytest.mark.parametrize("name", sorted(LOGICAL_IDS))
def test_every_function_is_named_sized_and_logs_with_the_stage_retention(api: StackTemplate, name: str) -> None:
    function = _function(api, name)
    function_name = f"videoatencion-{STAGE}-{name}"
    log_group = _resources(api)[LOG_GROUP_LOGICAL_IDS[name]]

    assert function["Properties"]["FunctionName"] == function_name
    assert function["Properties"]["MemorySize"] == PROD.api_memory_mb
    assert function["Properties"]["Timeout"] == TIMEOUTS[name]
    assert function["Properties"]["Tracing"] == "PassThrough"  # X-Ray off unless configured
    assert function["Properties"]["Role"] == {"Fn::GetAtt": [ROLE_LOGICAL_IDS[name], "Arn"]}
    assert log_group["Properties"]["LogGroupName"] == f"/aws/lambda/{function_name}"
    assert log_group["Properties"]["RetentionInDays"] == 400
    assert PROD.log_retention_days == 400
    # The group exists before the function can log (Lambda would create one without retention).
    assert LOG_GROUP_LOGICAL_IDS[name] in function["DependsOn"]
    assert function["Properties"]["Tags"]["stage"] == STAGE


def test_each_function_has_a_role_of_its_own(api: StackTemplate) -> None:
    roles = [_function(api, name)["Properties"]["Role"]["Fn::GetAtt"][0] for name in LOGICAL_IDS]

    assert len(set(roles)) == len(LOGICAL_IDS)
    # Besides them, API Gateway's role for writing the access log (the account's CloudWatch role).
    other = [r for r, res in _resources(api).items() if res["Type"] == "AWS::IAM::Role" and r not in roles]
    assert sorted(r for r, res in _resources(api).items() if res["Type"] == "AWS::IAM::Role") == sorted(roles + other)
    assert len(other) == 1
    assert other[0].startswith("ApiGatewayLogsRole")


def test_no_wildcard_action_nor_resource_on_data_services(api: StackTemplate) -> None:
    checked = 0
    for role, statement in _all_statements(api):
        actions = _as_list(statement.get("Action", []))
        assert "*" not in actions, role
        data_actions = [a for a in actions if a.startswith(DATA_SERVICES)]
        assert [a for a in data_actions if "*" in a] == [], (role, statement)
        if data_actions:
            checked += 1
            assert "NotResource" not in statement
            assert "NotAction" not in statement
            assert "*" not in _as_list(statement["Resource"]), (role, statement)
            assert all(not (isinstance(r, str) and r.endswith(":*")) for r in _as_list(statement["Resource"]))
    assert checked >= 20


def test_the_tables_granted_are_exactly_the_described_ones_per_function(
    synthesised: Synthesised, api: StackTemplate
) -> None:
    everywhere: set[str] = set()
    for name, access in ACCESS.items():
        granted = {
            _table_of(synthesised, arn)
            for statement in _statements(api, ROLE_LOGICAL_IDS[name])
            if any(a.startswith("dynamodb:") for a in _as_list(statement["Action"]))
            for arn in _as_list(statement["Resource"])
        }
        assert granted == {physical_name(STAGE, table) for table in access.tables}, name
        everywhere |= granted

    assert everywhere == {physical_name(STAGE, t.name) for t in RESOURCES.tables}


def test_the_audit_table_is_append_only_for_every_function(synthesised: Synthesised, api: StackTemplate) -> None:
    for role in ROLE_LOGICAL_IDS.values():
        for statement in _statements(api, role):
            actions = _as_list(statement["Action"])
            tables = {
                _table_of(synthesised, arn)
                for arn in _as_list(statement["Resource"])
                if any(a.startswith("dynamodb:") for a in actions)
            }
            if physical_name(STAGE, "audit") in tables:
                assert not {"dynamodb:UpdateItem", "dynamodb:DeleteItem"} & set(actions), role


def test_only_the_retention_sweep_may_bypass_governance_retention_and_delete(api: StackTemplate) -> None:
    holders = {
        role
        for role, statement in _all_statements(api)
        if statement["Effect"] == "Allow" and SWEEP_ONLY & set(_as_list(statement["Action"]))
    }
    sweep = [s for s in _statements(api, ROLE_LOGICAL_IDS["retention"]) if set(_as_list(s["Action"])) >= SWEEP_ONLY]

    assert holders == {ROLE_LOGICAL_IDS["retention"]}
    assert {s["Sid"] for s in sweep} == {"ObjectsRecordings", "ObjectsDocuments"}
    versions = [s for s in _statements(api, ROLE_LOGICAL_IDS["retention"]) if s["Action"] == "s3:ListBucketVersions"]
    assert len(versions) == 2


@pytest.mark.parametrize("name", sorted(LOGICAL_IDS))
def test_keys_are_granted_per_operation(api: StackTemplate, name: str) -> None:
    kms = {
        statement["Sid"]: set(_as_list(statement["Action"]))
        for statement in _statements(api, ROLE_LOGICAL_IDS[name])
        if any(a.startswith("kms:") for a in _as_list(statement["Action"]))
    }

    assert kms == {f"Key{key.capitalize()}": set(actions) for key, actions in ACCESS[name].keys.items()}
    for sid, actions in kms.items():
        if sid != "KeyData":
            assert actions <= {"kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"}
        else:
            assert actions <= {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"}


def test_the_api_reserves_the_configured_concurrency(api: StackTemplate) -> None:
    properties = _function(api, "api_handler")["Properties"]

    assert properties["ReservedConcurrentExecutions"] == PROD.api_reserved_concurrency
    for name in SCHEDULES:
        assert "ReservedConcurrentExecutions" not in _function(api, name)["Properties"]


def test_an_override_in_context_changes_the_reserved_concurrency_and_memory(tmp_path: Path) -> None:
    # Also: without -c public_base_url= the origin becomes a parameter asked at deploy time.
    # Only the stacks the API needs: another full synthesis would double the suite's time.
    app = cdk.App(
        outdir=str(tmp_path),
        context={
            **cdk_json_context(),
            "stage": STAGE,
            "sender_email": SENDER,
            # The operator's values but the public origin (its deploy-time parameter is checked below).
            **{key: value for key, value in PROD_CONTEXT.items() if key != "public_base_url"},
            "api_reserved_concurrency": "7",
            "api_memory_mb": "2048",
        },
    )
    context = operator_context(app)
    common: dict[str, Any] = {"env": cdk.Environment(region=REGION), "context": context, "resources": RESOURCES}
    keys = KeysStack(app, "keys", **common)
    data = DataStack(app, "data", keys=keys, **common)
    records = RecordsStack(app, "records", keys=keys, **common)
    api = ApiStack(app, "api", keys=keys, data=data, records=records, **common)

    template = Template.from_stack(api)

    template.has_resource_properties(
        "AWS::Serverless::Function",
        {"FunctionName": f"videoatencion-{STAGE}-api_handler", "ReservedConcurrentExecutions": 7, "MemorySize": 2048},
    )
    template.has_parameter("PublicBaseUrl", {"Type": "String", "AllowedPattern": "https://[^\\s/]+"})
    env = template.to_json()["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["PUBLIC_BASE_URL"] == {"Ref": "PublicBaseUrl"}


@pytest.mark.parametrize("name", sorted(LOGICAL_IDS))
def test_the_environment_names_resources_and_holds_no_secret(
    synthesised: Synthesised, api: StackTemplate, name: str
) -> None:
    variables: Mapping[str, Any] = _function(api, name)["Properties"]["Environment"]["Variables"]
    text = json.dumps(variables)

    assert set(synthesised["data"].stack.api_environment) <= set(variables)  # type: ignore[attr-defined]
    assert {"STAGE", "PUBLIC_BASE_URL", "TRAIL_SETTLE_SECONDS", "DIGEST_PERIOD_SECONDS"} <= set(variables)
    assert variables["STAGE"] == STAGE
    assert (variables["TRAIL_SETTLE_SECONDS"], variables["DIGEST_PERIOD_SECONDS"]) == ("30", "3600")
    for parameter in RESOURCES.parameters:
        assert variables[parameter.env] == f"/videoatencion/{STAGE}/{parameter.name}"
        if parameter.secure:
            assert parameter.dev_value not in text
    assert variables["PUBLIC_BASE_URL"] == PROD_CONTEXT["public_base_url"]


def test_browsers_get_the_turn_service_the_media_stack_runs(synthesised: Synthesised, api: StackTemplate) -> None:
    variables: Mapping[str, Any] = _function(api, "api_handler")["Properties"]["Environment"]["Variables"]
    outputs = synthesised["media"].template_json["Outputs"]
    served = next(o["Value"] for key, o in outputs.items() if key.startswith("TurnUrls"))

    assert variables["MEDIA_TURN_URLS"] == served
    assert variables["MEDIA_TURN_URLS"].startswith(f"turn:turn.{PROD_CONTEXT['media_domain']}:3478")
    assert variables["MEDIA_STUN_URLS"].startswith("stun:")


def test_only_the_api_function_reads_the_origin_secret_whose_value_is_generated(api: StackTemplate) -> None:
    (secret_id, secret), *others = api.template.find_resources("AWS::SecretsManager::Secret").items()
    variables: Mapping[str, Any] = _function(api, "api_handler")["Properties"]["Environment"]["Variables"]
    readers = [
        role
        for role, statement in _all_statements(api)
        if "secretsmanager:GetSecretValue" in _as_list(statement["Action"])
    ]

    assert others == []
    assert secret["Properties"]["Name"] == f"videoatencion/{STAGE}/origin-verify"
    assert "SecretString" not in secret["Properties"]  # generated by Secrets Manager, never in the template
    assert variables["ORIGIN_SECRET_ID"] == secret["Properties"]["Name"]
    assert readers == [ROLE_LOGICAL_IDS["api_handler"]]
    assert {"Ref": secret_id} in [
        r for _, st in _all_statements(api) for r in _as_list(st.get("Resource")) if isinstance(r, dict)
    ]


def test_no_secret_reaches_the_template_nor_the_packaged_template(api: StackTemplate) -> None:
    text = api.template_path.read_text(encoding="utf-8")

    for parameter in RESOURCES.parameters:
        if parameter.secure:
            assert parameter.dev_value not in text


def test_the_stack_exposes_the_api_for_the_web_and_observability_stacks(api: StackTemplate) -> None:
    stack = api.stack
    assert isinstance(stack, ApiStack)
    resolved = stack.resolve(stack.api_url)

    assert set(stack.functions) == set(LOGICAL_IDS)
    assert stack.api_handler is stack.functions["api_handler"]
    assert stack.resolve(stack.rest_api_id) == {"Ref": "RestAPI"}
    assert {"Ref": "RestAPI"} in resolved["Fn::Join"][1]
    assert resolved["Fn::Join"][1][-1].endswith("/api/")
    assert f":function:videoatencion-{STAGE}-api_handler" in json.dumps(stack.resolve(stack.api_handler.function_arn))
    assert stack.function_names["api_handler"] == f"videoatencion-{STAGE}-api_handler"  # literal, for dashboards


def test_cfn_lint_finds_no_errors(api: StackTemplate) -> None:
    matches = lint_file(api.template_path, config=ManualArgs(regions=[REGION]))

    assert [str(m) for m in matches if m.rule.severity == "error"] == []


@pytest.mark.timeout(900)
def test_chalice_package_builds_the_prod_cloudformation_package(tmp_path: Path) -> None:
    # A build check: a fresh checkout downloads every Linux wheel through pip (~1 min); later runs reuse
    # .chalice/deployments/ (~1 s).
    chalice = Path(sys.executable).parent / "chalice"
    env = {**os.environ, "AWS_DEFAULT_REGION": REGION}
    subprocess.run(
        [str(chalice), "package", "--pkg-format", "cloudformation", "--stage", "prod", str(tmp_path / "out")],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=900,
    )

    template = json.loads((tmp_path / "out" / "sam.json").read_text(encoding="utf-8"))
    functions = {k for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert functions == set(LOGICAL_IDS.values())
    assert (tmp_path / "out" / "deployment.zip").stat().st_size > 0
