"""The media stack: Fargate media nodes sized and scaled from the stage's config, reachable only on their media ports,
least-privilege, no secret in the template, TURN in prod only; and the function that names each task in DNS.

Two syntheses per module: prod with the operator's media parameters, and dev with ``-c media_max_nodes=40``.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match
from cfnlint.api import ManualArgs, lint_file

from infra.app import build, cdk_json_context
from infra.resources import RESOURCES, parameter_path, physical_name
from infra.stacks import media_stack
from infra.stacks.media import turn
from infra.stacks.media_dns import index as media_dns
from infra.stacks.media_stack import MediaStack
from infra.stages import DEV, PROD
from infra.tests.synthesis import REGION, SENDER, StackTemplate, synthesise

DOMAIN = "media.cita.example.org"
ZONE_ID = "Z0123456789ABCDEFGHIJ"
TLS_SECRET = "arn:aws:secretsmanager:eu-south-2:123456789012:secret:videoatencion/media-tls-AbC123"
ORIGIN = "https://cita.example.org"
MEDIA_CONTEXT = {
    "media_domain": DOMAIN,
    "media_hosted_zone_id": ZONE_ID,
    "media_tls_secret_arn": TLS_SECRET,
    "media_allowed_origins": ORIGIN,
}


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> StackTemplate:
    return synthesise(tmp_path_factory.mktemp("media-prod"), **MEDIA_CONTEXT)["media"]


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> StackTemplate:
    return synthesise(tmp_path_factory.mktemp("media-dev"), stage="dev", media_max_nodes="40")["media"]


def _resources(stack: StackTemplate, kind: str) -> dict[str, Mapping[str, Any]]:
    return {k: r for k, r in stack.template_json["Resources"].items() if r["Type"] == kind}


def _one(stack: StackTemplate, kind: str, **properties: Any) -> Mapping[str, Any]:
    found = stack.template.find_resources(kind, {"Properties": properties} if properties else {})
    assert len(found) == 1, f"expected one {kind} with {properties}, found {sorted(found)}"
    properties_found: Mapping[str, Any] = next(iter(found.values()))["Properties"]
    return properties_found


def _node_container(stack: StackTemplate) -> Mapping[str, Any]:
    stage = cast(MediaStack, stack.stack).stage
    task = _one(stack, "AWS::ECS::TaskDefinition", Family=physical_name(stage, "media-node"))
    [container] = [c for c in task["ContainerDefinitions"] if c["Name"] == "node"]
    found: Mapping[str, Any] = container
    return found


def _environment(container: Mapping[str, Any]) -> dict[str, Any]:
    return {e["Name"]: e["Value"] for e in container.get("Environment", [])}


def _statements(stack: StackTemplate) -> Iterator[Mapping[str, Any]]:
    for policy in _resources(stack, "AWS::IAM::Policy").values():
        yield from policy["Properties"]["PolicyDocument"]["Statement"]
    for role in _resources(stack, "AWS::IAM::Role").values():
        for inline in role["Properties"].get("Policies", []):
            yield from inline["PolicyDocument"]["Statement"]


def _actions(statement: Mapping[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


# --- sizing and scaling ----------------------------------------------------------------------------------------------


def test_the_task_is_sized_from_the_stage_config(prod: StackTemplate, dev: StackTemplate) -> None:
    for stack, config in ((prod, PROD), (dev, DEV)):
        task = _one(stack, "AWS::ECS::TaskDefinition", Family=physical_name(config.name, "media-node"))
        assert (task["Cpu"], task["Memory"]) == (str(config.media_cpu_units), str(config.media_memory_mb))
        assert task["RequiresCompatibilities"] == ["FARGATE"]
        assert task["NetworkMode"] == "awsvpc"


def test_autoscaling_bounds_come_from_config_and_context(prod: StackTemplate, dev: StackTemplate) -> None:
    prod_target = _one(prod, "AWS::ApplicationAutoScaling::ScalableTarget")
    dev_target = _one(dev, "AWS::ApplicationAutoScaling::ScalableTarget")

    assert (prod_target["MinCapacity"], prod_target["MaxCapacity"]) == (PROD.media_min_nodes, PROD.media_max_nodes)
    # -c media_max_nodes=40: the campaign override reaches the scalable target.
    assert (dev_target["MinCapacity"], dev_target["MaxCapacity"]) == (DEV.media_min_nodes, 40)
    # The service starts at the minimum through autoscaling; a DesiredCount in the template would reset a scaled-out
    # service to it on every deployment.
    service = _one(prod, "AWS::ECS::Service", ServiceName=physical_name("prod", "media"))
    assert "DesiredCount" not in service


def test_it_scales_on_cpu_and_on_rooms_per_node(prod: StackTemplate) -> None:
    policies = {
        p["PolicyName"]: p
        for p in (r["Properties"] for r in _resources(prod, "AWS::ApplicationAutoScaling::ScalingPolicy").values())
    }

    assert set(policies) == {"videoatencion-prod-media-cpu", "videoatencion-prod-media-rooms"}
    cpu = policies["videoatencion-prod-media-cpu"]["TargetTrackingScalingPolicyConfiguration"]
    assert cpu["PredefinedMetricSpecification"] == {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}
    assert cpu["TargetValue"] == PROD.media_target_cpu_percent
    rooms = policies["videoatencion-prod-media-rooms"]["TargetTrackingScalingPolicyConfiguration"]
    assert rooms["CustomizedMetricSpecification"] == {
        "Namespace": prod.stack.metric_namespace,  # type: ignore[attr-defined]
        "MetricName": "Rooms",
        "Dimensions": [{"Name": "ServiceName", "Value": physical_name("prod", "media")}],
        "Statistic": "Average",
    }
    assert rooms["TargetValue"] == PROD.media_target_rooms_per_node  # one worker per task by default
    for policy in (cpu, rooms):
        assert policy["ScaleInCooldown"] >= policy["ScaleOutCooldown"]


def test_the_node_publishes_the_metric_the_rooms_policy_tracks(prod: StackTemplate) -> None:
    environment = _environment(_node_container(prod))

    assert environment["MEDIA_METRICS_NAMESPACE"] == media_stack.METRIC_NAMESPACE == prod.stack.metric_namespace  # type: ignore[attr-defined]
    assert environment["MEDIA_METRICS_SERVICE"] == physical_name("prod", "media")
    assert int(environment["MEDIA_SCALE_IN_PROTECTION_MINUTES"]) >= 1


def test_deployments_and_scale_in_keep_calls_up(prod: StackTemplate) -> None:
    service = _one(prod, "AWS::ECS::Service", ServiceName=physical_name("prod", "media"))
    container = _node_container(prod)

    assert service["DeploymentConfiguration"]["MinimumHealthyPercent"] == 100
    assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert service["AvailabilityZoneRebalancing"] == "DISABLED"
    assert service["CapacityProviderStrategy"] == [{"CapacityProvider": "FARGATE", "Weight": 1}]
    # The drain (calls, then uploads) fits in the stop timeout, the most Fargate allows.
    environment = _environment(container)
    assert container["StopTimeout"] == 120
    assert int(environment["MEDIA_DRAIN_SECONDS"]) + int(environment["MEDIA_UPLOAD_DRAIN_SECONDS"]) < 120


# --- network ---------------------------------------------------------------------------------------------------------


def test_tasks_get_public_ips_in_public_subnets_without_a_nat_gateway(prod: StackTemplate) -> None:
    service = _one(prod, "AWS::ECS::Service", ServiceName=physical_name("prod", "media"))

    assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "ENABLED"
    assert _resources(prod, "AWS::EC2::NatGateway") == {}
    endpoints = {json.dumps(r["Properties"]["ServiceName"]) for r in _resources(prod, "AWS::EC2::VPCEndpoint").values()}
    assert any(".s3" in e for e in endpoints)
    assert any(".dynamodb" in e for e in endpoints)


def _open_ingress(stack: StackTemplate) -> dict[str, set[tuple[str, int, int]]]:
    """Per security group description: (protocol, from, to) of every ingress rule open to the internet."""
    rules: dict[str, set[tuple[str, int, int]]] = {}
    for group in _resources(stack, "AWS::EC2::SecurityGroup").values():
        for rule in group["Properties"].get("SecurityGroupIngress", []):
            assert rule.get("CidrIp") == "0.0.0.0/0" or "SourceSecurityGroupId" in rule
            rules.setdefault(group["Properties"]["GroupDescription"], set()).add(
                (rule["IpProtocol"], rule["FromPort"], rule["ToPort"])
            )
    assert _resources(stack, "AWS::EC2::SecurityGroupIngress") == {}
    return rules


def test_only_the_media_ports_are_open(prod: StackTemplate, dev: StackTemplate) -> None:
    low, high = media_stack.MEDIA_UDP_PORTS
    turn_low, turn_high = turn.TURN_RELAY_PORTS

    assert sorted(_open_ingress(prod).values(), key=len) == [
        {("tcp", 8443, 8443), ("udp", low, high)},
        {("udp", 3478, 3478), ("tcp", 3478, 3478), ("tcp", 443, 443), ("udp", turn_low, turn_high)},
    ]
    # dev without a domain: no TLS proxy, the node's own port.
    assert list(_open_ingress(dev).values()) == [{("tcp", 8081, 8081), ("udp", low, high)}]


def test_the_udp_range_opened_is_the_one_the_node_binds(prod: StackTemplate) -> None:
    container = _node_container(prod)
    low, high = media_stack.MEDIA_UDP_PORTS

    assert container["SystemControls"] == [{"Namespace": "net.ipv4.ip_local_port_range", "Value": f"{low} {high}"}]
    assert {"ContainerPortRange": f"{low}-{high}", "Protocol": "udp"} in container["PortMappings"]


# --- the node's container --------------------------------------------------------------------------------------------


def test_the_node_is_configured_from_the_stacks_it_uses(prod: StackTemplate) -> None:
    environment = _environment(_node_container(prod))

    assert environment["MEDIA_WORKERS"] == "1"
    assert environment["MEDIA_MAX_ROOMS"] == str(PROD.media_max_rooms_per_node)
    assert environment["MEDIA_PORT"] == "8081"
    assert environment["MEDIA_ALLOWED_ORIGINS"] == ORIGIN
    assert environment["MEDIA_STUN_URLS"].startswith("stun:")
    assert environment["MEDIA_PUBLIC_URL_TEMPLATE"] == f"https://{{task}}.{DOMAIN}:8443"
    assert environment["MEDIA_TRUST_LOOPBACK_PROXY"] == "true"  # the TLS sidecar reports clients for flood limits
    # Cross-stack references, not names typed twice: the registry table, recordings bucket, data key and API URL.
    for name in ("MEDIA_REGISTRY_TABLE", "MEDIA_RECORDINGS_BUCKET", "MEDIA_RECORDINGS_KMS_KEY", "MEDIA_API_URL"):
        assert isinstance(environment[name], dict), name
    assert "MEDIA_WEBHOOK_SECRET" not in environment


def test_the_webhook_secret_comes_from_ssm_at_run_time(prod: StackTemplate) -> None:
    [secret] = _node_container(prod)["Secrets"]

    assert secret["Name"] == "MEDIA_WEBHOOK_SECRET"
    assert parameter_path("prod", "media/webhook-secret") in json.dumps(secret["ValueFrom"])


def test_the_public_node_serves_no_metrics(prod: StackTemplate) -> None:
    # The node's port is open to the internet; without MEDIA_METRICS_TOKEN its /metrics answers 404 (load and uptime
    # stay with the operators, who read the CloudWatch metric the heartbeat writes).
    container = _node_container(prod)

    assert "MEDIA_METRICS_TOKEN" not in _environment(container)
    assert "MEDIA_METRICS_TOKEN" not in {secret["Name"] for secret in container["Secrets"]}


def test_the_node_checks_connectivity_only_to_public_addresses(prod: StackTemplate, dev: StackTemplate) -> None:
    for stack in (prod, dev):
        assert _environment(_node_container(stack))["MEDIA_PUBLIC_PEERS_ONLY"] == "true"


def test_no_secret_value_is_in_the_template_or_the_assembly(prod: StackTemplate) -> None:
    values = [p.dev_value for p in RESOURCES.parameters if p.secure]
    text = json.dumps(prod.template_json)

    assert [v for v in values if v in text] == []
    assert "BEGIN" not in text  # no PEM
    leaking = [
        path.name
        for path in prod.template_path.parent.rglob("*.json")
        if any(v in path.read_text(encoding="utf-8") for v in values)
    ]
    assert leaking == []


def test_the_container_is_health_checked_and_logs_with_the_stage_retention(
    prod: StackTemplate, dev: StackTemplate
) -> None:
    container = _node_container(prod)

    assert "/health" in " ".join(container["HealthCheck"]["Command"])
    assert container["HealthCheck"]["Retries"] >= 2
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    assert container["LogConfiguration"]["Options"]["mode"] == "non-blocking"
    for stack, config in ((prod, PROD), (dev, DEV)):
        retentions = {g["Properties"]["RetentionInDays"] for g in _resources(stack, "AWS::Logs::LogGroup").values()}
        assert retentions == {config.log_retention_days}


def test_the_image_is_built_from_the_media_node_dockerfile_without_docker_at_synthesis(prod: StackTemplate) -> None:
    assembly = prod.template_path.parent
    manifest = json.loads((assembly / f"{prod.stack.artifact_id}.assets.json").read_text(encoding="utf-8"))
    [image] = manifest["dockerImages"].values()
    staged = assembly / image["source"]["directory"]

    assert (staged / "Dockerfile").read_text() == (media_stack.MEDIA_NODE_DIR / "Dockerfile").read_text()
    assert (staged / "src" / "videoatencion_media" / "scaling.py").exists()
    assert not (staged / "tests").exists()


def test_tls_is_terminated_in_the_task_with_the_operators_certificate(prod: StackTemplate) -> None:
    task = _one(prod, "AWS::ECS::TaskDefinition", Family=physical_name("prod", "media-node"))
    [proxy] = [c for c in task["ContainerDefinitions"] if c["Name"] == "tls"]

    assert {s["Name"]: s["ValueFrom"] for s in proxy["Secrets"]} == {
        "TLS_CERTIFICATE": f"{TLS_SECRET}:certificate::",
        "TLS_PRIVATE_KEY": f"{TLS_SECRET}:private_key::",
    }
    assert "reverse_proxy 127.0.0.1:8081" in _environment(proxy)["CADDY_CONFIG"]
    # The node stops (drains) before its proxy: reverse dependency order at stop.
    assert _node_container(prod)["DependsOn"] == [{"ContainerName": "tls", "Condition": "START"}]


# --- IAM -------------------------------------------------------------------------------------------------------------


def test_no_iam_statement_uses_a_wildcard_action(prod: StackTemplate, dev: StackTemplate) -> None:
    for stack in (prod, dev):
        wildcards = [a for s in _statements(stack) for a in _actions(s) if "*" in a]
        assert wildcards == []


def test_the_task_role_may_do_exactly_what_the_node_does(prod: StackTemplate) -> None:
    [policy] = [
        p["Properties"]
        for p in _resources(prod, "AWS::IAM::Policy").values()
        if any(r["Ref"].startswith("NodeTaskTaskRole") for r in p["Properties"]["Roles"])
    ]
    by_sid = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}

    assert {sid: sorted(_actions(s)) for sid, s in by_sid.items()} == {
        "NodeRegistry": ["dynamodb:DeleteItem", "dynamodb:PutItem"],
        "UploadRecordings": ["s3:GetObject", "s3:PutObject"],
        "RecordingsNotFound": ["s3:ListBucket"],
        "EncryptRecordings": ["kms:Encrypt", "kms:GenerateDataKey"],
        "RegistryTableKey": ["kms:Decrypt", "kms:DescribeKey"],
        "ScaleInProtection": ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"],
    }
    assert "/recordings/*" in json.dumps(by_sid["UploadRecordings"]["Resource"])
    assert by_sid["EncryptRecordings"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    }
    assert ":task/videoatencion-prod-media/*" in json.dumps(by_sid["ScaleInProtection"]["Resource"])


# --- TURN ------------------------------------------------------------------------------------------------------------


def test_turn_runs_in_prod_with_its_secret_from_ssm(prod: StackTemplate) -> None:
    service = _one(prod, "AWS::ECS::Service", ServiceName=physical_name("prod", "turn"))
    task = _one(prod, "AWS::ECS::TaskDefinition", Family=physical_name("prod", "turn"))
    [coturn] = task["ContainerDefinitions"]

    assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "ENABLED"
    assert "coturn" in coturn["Image"]
    secrets = {s["Name"]: json.dumps(s["ValueFrom"]) for s in coturn["Secrets"]}
    assert parameter_path("prod", "media/turn-secret") in secrets["TURN_SECRET"]
    script = coturn["Command"][0]
    assert "use-auth-secret" in script
    assert "static-auth-secret=$TURN_SECRET" in script
    assert "denied-peer-ip=169.254.0.0-169.254.255.255" in script
    turn_urls = prod.template_json["Outputs"]["TurnUrls"]["Value"].split(",")
    assert turn_urls == [
        f"turn:turn.{DOMAIN}:3478?transport=udp",
        f"turn:turn.{DOMAIN}:3478?transport=tcp",
        f"turns:turn.{DOMAIN}:443?transport=tcp",
    ]


# One address in each special-purpose block (RFC 6890 registries) a relay could be turned against, both families.
NOT_RELAYED = [
    "0.0.0.1", "10.0.1.20", "100.64.0.1", "127.0.0.1", "169.254.169.254", "172.31.255.1", "192.0.0.8", "192.0.2.1",
    "192.88.99.1", "192.168.1.1", "198.18.0.1", "198.51.100.7", "203.0.113.9", "224.0.0.251", "239.255.255.250",
    "240.0.0.1", "255.255.255.255",
    "::", "::1", "::10.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "64:ff9b:1::1",
    "100::1", "2001::1", "2001:2::1", "2001:db8::1", "2002:a00:1::1", "3fff::1", "5f00::1", "fc00::1",
    "fd00:ec2::254", "fe80::1", "fec0::1", "ff02::1",
]  # fmt: skip


def _denied_ranges(prod: StackTemplate) -> list[tuple[int, int, int]]:
    """(IP version, first, last) of each denied-peer-ip line of the TURN server's configuration."""
    task = _one(prod, "AWS::ECS::TaskDefinition", Family=physical_name("prod", "turn"))
    script = task["ContainerDefinitions"][0]["Command"][0]
    ranges: list[tuple[int, int, int]] = []
    for line in script.splitlines():
        if line.startswith("denied-peer-ip="):
            first, _, last = line.removeprefix("denied-peer-ip=").partition("-")
            low, high = ipaddress.ip_address(first), ipaddress.ip_address(last or first)
            ranges.append((low.version, int(low), int(high)))
    return ranges


def _denied(prod: StackTemplate, address: str) -> bool:
    peer = ipaddress.ip_address(address)
    return any(v == peer.version and low <= int(peer) <= high for v, low, high in _denied_ranges(prod))


@pytest.mark.parametrize("address", NOT_RELAYED)
def test_turn_never_relays_to_a_special_purpose_address(prod: StackTemplate, address: str) -> None:
    assert _denied(prod, address), f"TURN would relay to {address}"


@pytest.mark.parametrize("address", ["8.8.8.8", "151.101.1.1", "2a00:1450:4003::1", "2600:1f18::1"])
def test_turn_still_relays_to_public_addresses(prod: StackTemplate, address: str) -> None:
    assert not _denied(prod, address)


def test_there_is_no_turn_in_dev(dev: StackTemplate) -> None:
    families = {r["Properties"]["Family"] for r in _resources(dev, "AWS::ECS::TaskDefinition").values()}

    assert families == {physical_name("dev", "media-node")}
    assert len(_resources(dev, "AWS::ECS::Service")) == 1
    assert "TurnUrls" not in dev.template_json.get("Outputs", {})


# --- DNS names -------------------------------------------------------------------------------------------------------


def test_task_state_changes_of_the_cluster_drive_the_dns_function(prod: StackTemplate) -> None:
    rule = _one(prod, "AWS::Events::Rule")
    function = _one(prod, "AWS::Lambda::Function", FunctionName=physical_name("prod", "media-dns"))

    assert rule["EventPattern"]["source"] == ["aws.ecs"]
    assert rule["EventPattern"]["detail-type"] == ["ECS Task State Change"]
    assert sorted(rule["EventPattern"]["detail"]["group"]) == [
        "service:videoatencion-prod-media",
        "service:videoatencion-prod-turn",
    ]
    assert function["Environment"]["Variables"]["MEDIA_DNS_ZONE_ID"] == ZONE_ID
    prod.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "route53:ChangeResourceRecordSets",
                                "Resource": f"arn:aws:route53:::hostedzone/{ZONE_ID}",
                                "Condition": Match.object_like(
                                    {
                                        "ForAllValues:StringLike": {
                                            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [f"*.{DOMAIN}"]
                                        }
                                    }
                                ),
                            }
                        )
                    ]
                )
            }
        },
    )


class FakeRoute53:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str | None], dict[str, Any]] = {}
        self.batches: list[list[dict[str, Any]]] = []

    def change_resource_record_sets(self, HostedZoneId: str, ChangeBatch: dict[str, Any]) -> None:  # noqa: N803
        assert HostedZoneId == ZONE_ID
        self.batches.append(ChangeBatch["Changes"])
        for change in ChangeBatch["Changes"]:
            record = change["ResourceRecordSet"]
            key = (record["Name"].rstrip("."), record.get("SetIdentifier"))
            if change["Action"] == "DELETE":
                # Route 53 deletes only an exact match of what is there (names compare without the final dot).
                assert self.records.pop(key) == {**record, "Name": key[0]}
            else:
                self.records[key] = record

    def list_resource_record_sets(self, **kwargs: Any) -> dict[str, Any]:
        key = (kwargs["StartRecordName"], kwargs.get("StartRecordIdentifier"))
        found = self.records.get(key)
        # Route 53 answers with the first record at or after the start: the test keeps it simple.
        return {"ResourceRecordSets": [{**found, "Name": found["Name"] + "."}] if found else []}


class FakeEc2:
    def describe_network_interfaces(self, NetworkInterfaceIds: list[str]) -> dict[str, Any]:  # noqa: N803
        assert NetworkInterfaceIds == ["eni-1"]
        return {"NetworkInterfaces": [{"Association": {"PublicIp": "203.0.113.7"}}]}


def _event(group: str, status: str) -> dict[str, Any]:
    return {
        "detail": {
            "group": group,
            "lastStatus": status,
            "taskArn": "arn:aws:ecs:eu-south-2:123456789012:task/videoatencion-prod-media/0123abcdef",
            "attachments": [{"type": "eni", "details": [{"name": "networkInterfaceId", "value": "eni-1"}]}],
        }
    }


@pytest.fixture
def dns_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIA_DNS_ZONE_ID", ZONE_ID)
    monkeypatch.setenv("MEDIA_DNS_DOMAIN", DOMAIN)
    monkeypatch.setenv("MEDIA_DNS_GROUPS", json.dumps({"service:m": "node", "service:t": "turn"}))


@pytest.mark.usefixtures("dns_environment")
def test_a_node_task_gets_its_name_while_it_runs_and_loses_it_when_stopped() -> None:
    route53 = FakeRoute53()

    media_dns.handler(_event("service:m", "PENDING"), None, route53, FakeEc2())
    media_dns.handler(_event("service:m", "RUNNING"), None, route53, FakeEc2())
    assert route53.records == {
        (f"0123abcdef.{DOMAIN}", None): {
            "Name": f"0123abcdef.{DOMAIN}",
            "Type": "A",
            "TTL": 60,
            "ResourceRecords": [{"Value": "203.0.113.7"}],
        }
    }

    result = media_dns.handler(_event("service:m", "STOPPED"), None, route53, None)
    assert result == {"action": "delete", "task": "0123abcdef", "changes": 1}
    assert route53.records == {}
    # A second STOPPED event (EventBridge delivers at least once) finds nothing to delete and changes nothing.
    assert media_dns.handler(_event("service:m", "STOPPED"), None, route53, None)["changes"] == 0
    assert len(route53.batches) == 3


@pytest.mark.usefixtures("dns_environment")
def test_turn_tasks_share_one_multivalue_name_and_other_tasks_are_ignored() -> None:
    route53 = FakeRoute53()

    media_dns.handler(_event("service:t", "RUNNING"), None, route53, FakeEc2())
    ignored = media_dns.handler(_event("family:other", "RUNNING"), None, route53, FakeEc2())

    turn = route53.records[(f"turn.{DOMAIN}", "0123abcdef")]
    assert (turn["SetIdentifier"], turn["MultiValueAnswer"]) == ("0123abcdef", True)
    assert len(route53.records) == 2
    assert ignored == {"action": "ignored"}


# --- operator parameters and lint ------------------------------------------------------------------------------------


def test_prod_will_not_synthesise_without_the_media_domain() -> None:
    app = cdk.App(context={**cdk_json_context(), "stage": "prod", "sender_email": SENDER})

    with pytest.raises(ValueError, match="media_domain"):
        build(app)


def test_cfn_lint_finds_no_errors_in_the_media_template(prod: StackTemplate) -> None:
    matches = lint_file(Path(prod.template_path), config=ManualArgs(regions=[REGION]))

    assert [str(m) for m in matches if m.rule.severity == "error"] == []
