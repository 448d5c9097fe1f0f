"""The media stack: media nodes on ECS Fargate with public IPs, autoscaled on CPU and rooms per node, and TURN.

**Network.** WebRTC media is UDP straight between the browser and a node's public IP, so tasks run in public subnets
with ``assignPublicIp``: no NAT gateway (its hourly and per-GB cost would buy nothing, a task with a public IP reaches
the API, DynamoDB, S3, the STUN server and CloudWatch through the internet gateway) and no NLB in the media path (an NLB
cannot forward a port *range*, and every UDP flow must reach the node that holds its peer connection). DynamoDB and S3
are reached through free gateway endpoints. The nodes learn their public address with STUN (1:1 NAT). aioice binds
ephemeral ports; ``net.ipv4.ip_local_port_range`` of the task's network namespace is pinned to ``MEDIA_UDP_PORTS``
(a namespaced sysctl, set through ``systemControls``), so the security group opens that range only, not 32768-60999.

**Reaching one particular node over TLS.** The API places a room on a node by the URL the node registered, so every
task needs a name and a certificate: ``https://{task id}.{media_domain}:8443``. A function fed by ECS's task state
events keeps an A record per task in the operator's Route 53 zone (``media_dns/index.py``); a TLS sidecar (Caddy) in
each task terminates TLS with the operator's wildcard certificate ``*.{media_domain}`` and proxies to the node on
127.0.0.1 (plain HTTP never leaves the task). The node's start command reads its task id from the ECS metadata endpoint
and sets ``MEDIA_NODE_ID`` and ``MEDIA_PUBLIC_URL`` from it. Operators provide (context, required in prod):

- ``media_domain``: e.g. ``media.cita.example.org``; nodes become ``{task}.media.cita.example.org``;
- ``media_hosted_zone_id``: the public Route 53 hosted zone holding that domain;
- ``media_tls_secret_arn``: complete ARN of a Secrets Manager secret ``{"certificate": full chain PEM,
  "private_key": PEM}`` valid for ``*.{media_domain}`` (renewals: put the new value, then force a new deployment);
- ``media_allowed_origins``: the SPA's origin(s), for the nodes' CORS.

**Scaling.** Target tracking on CPU and on the nodes' own ``Rooms`` metric (EMF, ``videoatencion_media.scaling``),
between ``media_min_nodes`` and ``media_max_nodes``. Scale-in never cuts a call: a node with calls keeps its task
scale-in protected (ECS agent endpoint, renewed while calls go on), and a task that is stopped anyway drains on SIGTERM
(``MEDIA_DRAIN_SECONDS`` + uploads within the 120 s ``stopTimeout``). Deployments start new tasks before stopping old
ones (minimum healthy 100 %) and wait for protected tasks; AZ rebalancing is off (it would stop tasks to move them).

**TURN** (``turn_enabled``): coturn on Fargate with ``use-auth-secret`` (secret from the SSM SecureString
``media/turn-secret``), TLS on 443 with the same certificate, its own security group, ``turn.{media_domain}`` as a
multivalue DNS name; its URLs are the output ``TurnUrls`` (the API's ``MEDIA_TURN_URLS``).
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, CfnOutput, Duration, RemovalPolicy, Size, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.resources import Resources, physical_name
from infra.stacks.api_stack import ApiStack
from infra.stacks.checkov import OUTSIDE_VPC, PLAIN_ENVIRONMENT, RETRIED_BY_CALLER, skip, skip_deployment_helper
from infra.stacks.data_stack import DataStack
from infra.stacks.keys_stack import KeysStack
from infra.stacks.naming import DEFAULT_STUN_URLS, TURN_PORT, TURN_TLS_PORT, turn_urls
from infra.stacks.records_stack import RecordsStack
from infra.stages import OperatorContext

REPO_ROOT = Path(__file__).resolve().parents[2]
MEDIA_NODE_DIR = REPO_ROOT / "media-node"
DNS_FUNCTION_DIR = Path(__file__).resolve().parent / "media_dns"

METRIC_NAMESPACE = "Videoatencion/Media"
ROOMS_METRIC = "Rooms"
# The node's first worker; worker i listens on +i (plain HTTP inside the task only, when TLS is terminated there).
NODE_PORT = 8081
# TLS port of worker 0 on the task's public IP (worker i: +i).
TLS_PORT = 8443
# UDP for ICE/DTLS-SRTP: the task's ephemeral range, pinned. One socket per peer connection (bundle, rtcp-mux), plus
# the task's outgoing TCP connections share it: 1000 ports are far more than 4 rooms x 4 participants need.
MEDIA_UDP_PORTS = (40000, 40999)
# ECS (Fargate) allows at most 120 s between SIGTERM and SIGKILL; the node's drain + uploads fit inside it.
STOP_TIMEOUT = Duration.seconds(120)

# Peers TURN never relays to: every special-purpose block of the IANA registries (RFC 6890 and its updates) that is not
# an ordinary public host, in both families. A relay to one of them would let a caller with TURN credentials reach the
# VPC, the task's own loopback, the metadata endpoints (169.254.169.254, fd00:ec2::254 in fc00::/7) or a router.
TURN_DENIED_PEERS = (
    "0.0.0.0/8",  # "this network"
    "10.0.0.0/8",  # private (the VPC)
    "100.64.0.0/10",  # shared address space (carrier-grade NAT)
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local, metadata endpoints
    "172.16.0.0/12",  # private
    "192.0.0.0/24",  # IETF protocol assignments
    "192.0.2.0/24",  # documentation (TEST-NET-1)
    "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
    "192.168.0.0/16",  # private
    "198.18.0.0/15",  # benchmarking
    "198.51.100.0/24",  # documentation (TEST-NET-2)
    "203.0.113.0/24",  # documentation (TEST-NET-3)
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, and the limited broadcast 255.255.255.255
    "::/96",  # unspecified, loopback (::1) and the deprecated IPv4-compatible addresses
    "::ffff:0:0/96",  # IPv4-mapped: ::ffff:10.0.0.1 is 10.0.0.1
    "64:ff9b::/96",  # NAT64 well-known prefix: reaches IPv4 addresses through a translator
    "64:ff9b:1::/48",  # NAT64 local-use prefix
    "100::/64",  # discard-only
    "2001::/23",  # IETF protocol assignments, including Teredo (2001::/32) and benchmarking (2001:2::/48)
    "2001:db8::/32",  # documentation
    "2002::/16",  # 6to4: embeds an IPv4 address
    "3fff::/20",  # documentation
    "5f00::/16",  # segment routing (SRv6) identifiers
    "fc00::/7",  # unique local (the VPC's private IPv6, the metadata endpoint fd00:ec2::254)
    "fe80::/10",  # link-local
    "fec0::/10",  # site-local (deprecated)
    "ff00::/8",  # multicast
)
DRAIN_SECONDS = 90
UPLOAD_DRAIN_SECONDS = 20
# A node with calls renews its task's scale-in protection at half of this; it lapses this long after its last call.
SCALE_IN_PROTECTION_MINUTES = 10
# Public images pulled at deploy time (ECR Public's copy of the Docker official image; coturn's own on Docker Hub).
TLS_PROXY_IMAGE = "public.ecr.aws/docker/library/caddy:2.8-alpine"
TURN_IMAGE = "docker.io/coturn/coturn:4.6.3"
TURN_RELAY_PORTS = (49152, 50151)
TURN_TASKS = 2
TURN_CPU_UNITS = 1024
TURN_MEMORY_MB = 2048

# CloudWatch Logs' allowed retention periods (days) and CDK's names for them.
_RETENTION = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
    60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
    365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1096: "THREE_YEARS",
    1827: "FIVE_YEARS", 2192: "SIX_YEARS", 2557: "SEVEN_YEARS", 2922: "EIGHT_YEARS", 3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}  # fmt: skip

# Starts the node with MEDIA_NODE_ID = the task id and MEDIA_PUBLIC_URL = the template with {task} filled in.
_NODE_START = """\
import json, os, time, urllib.request
for attempt in range(10):
    try:
        with urllib.request.urlopen(os.environ["ECS_CONTAINER_METADATA_URI_V4"] + "/task", timeout=3) as answer:
            task = json.load(answer)["TaskARN"].rsplit("/", 1)[-1]
        break
    except OSError:
        time.sleep(1)
else:
    raise SystemExit("no ECS task metadata: cannot name this node")
os.environ["MEDIA_NODE_ID"] = task
template = os.environ.pop("MEDIA_PUBLIC_URL_TEMPLATE", "")
if template:
    os.environ["MEDIA_PUBLIC_URL"] = template.replace("{task}", task)
os.execvp("videoatencion-media", ["videoatencion-media"])
"""

# Writes the certificate from its (secret) variables to files only root can read, then runs the program.
_TLS_FILES = """\
set -eu
umask 077
mkdir -p /tmp/tls
printf '%s\\n' "$TLS_CERTIFICATE" > /tmp/tls/cert.pem
printf '%s\\n' "$TLS_PRIVATE_KEY" > /tmp/tls/key.pem
unset TLS_CERTIFICATE TLS_PRIVATE_KEY
"""


class MediaStack(Stack):
    """``service`` (the media nodes), ``cluster``, ``metric_namespace``; ``turn_service`` when TURN is on."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        context: OperatorContext,
        resources: Resources,
        keys: KeysStack,
        data: DataStack,
        records: RecordsStack,
        api: ApiStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config = context.config
        self.context = context
        self.config = config
        self.stage = config.name
        self.metric_namespace = METRIC_NAMESPACE
        self.service_name = physical_name(self.stage, "media")
        self.turn_service_name = physical_name(self.stage, "turn")
        self.workers = context.media_workers
        media_domain = context.media_domain
        if media_domain is None:
            Annotations.of(self).add_warning_v2(
                "videoatencion:media-no-domain",
                "No media_domain: nodes have no TLS name, so browsers cannot join calls on this stage.",
            )
        self.domain = media_domain.name if media_domain else None
        self.hosted_zone_id = media_domain.hosted_zone_id if media_domain else ""
        self.tls_secret_arn = media_domain.tls_secret_arn if media_domain else ""
        self.allowed_origins = context.media_allowed_origins
        data_key = keys.keys["data"]
        self.data_key = data_key
        registry = data.tables["media-nodes"]
        recordings = records.buckets["recordings"]

        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.40.0.0/16"),
            max_azs=3,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="media", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=22)
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDB": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.DYNAMODB),
            },
            restrict_default_security_group=True,
        )
        # CDK's provider that empties the default security group (restrict_default_security_group).
        skip_deployment_helper(
            self.node.find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider").node.find_child("Handler")
        )
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            cluster_name=physical_name(self.stage, "media"),
            vpc=self.vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        self.log_group = logs.LogGroup(
            self,
            "NodeLogs",
            log_group_name=f"/videoatencion/{self.stage}/media",
            retention=_retention(config.log_retention_days),
            encryption_key=data_key,
            removal_policy=RemovalPolicy.RETAIN if config.protect_data else RemovalPolicy.DESTROY,
        )
        self.tls_secret = self._tls_secret()

        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "NodeTask",
            family=physical_name(self.stage, "media-node"),
            cpu=config.media_cpu_units,
            memory_limit_mib=config.media_memory_mb,
            runtime_platform=ecs.RuntimePlatform(
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
                cpu_architecture=ecs.CpuArchitecture.X86_64,
            ),
        )
        self._grant_node(self.task_definition.task_role, registry.table_arn, recordings.bucket_arn, data_key.key_arn)
        webhook_secret = ssm.StringParameter.from_secure_string_parameter_attributes(
            self,
            "WebhookSecret",
            parameter_name=data.secure_parameter_names["media/webhook-secret"],
            encryption_key=data_key,
        )
        self.node_container = self.task_definition.add_container(
            "node",
            image=ecs.ContainerImage.from_asset(
                str(MEDIA_NODE_DIR), exclude=["tests", "build", "**/__pycache__", "**/*.egg-info", ".*"]
            ),
            essential=True,
            command=["python", "-c", _NODE_START],
            environment=self._node_environment(registry.table_name, recordings.bucket_name, data_key.key_arn, api),
            secrets={"MEDIA_WEBHOOK_SECRET": ecs.Secret.from_ssm_parameter(webhook_secret)},
            port_mappings=[
                *(
                    ecs.PortMapping(container_port=NODE_PORT + i, protocol=ecs.Protocol.TCP, name=f"http-{i}")
                    for i in range(self.workers)
                ),
                ecs.PortMapping(
                    container_port=ecs.ContainerDefinition.CONTAINER_PORT_USE_RANGE,
                    container_port_range=f"{MEDIA_UDP_PORTS[0]}-{MEDIA_UDP_PORTS[1]}",
                    protocol=ecs.Protocol.UDP,
                ),
            ],
            # Applies to the task's network namespace (all its containers): aioice's sockets land in this range.
            system_controls=[
                ecs.SystemControl(
                    namespace="net.ipv4.ip_local_port_range", value=f"{MEDIA_UDP_PORTS[0]} {MEDIA_UDP_PORTS[1]}"
                )
            ],
            health_check=ecs.HealthCheck(
                command=[
                    "CMD",
                    "python",
                    "-c",
                    f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{NODE_PORT}/health', timeout=3)",
                ],
                interval=Duration.seconds(15),
                timeout=Duration.seconds(5),
                retries=3,
                start_period=Duration.seconds(30),
            ),
            stop_timeout=STOP_TIMEOUT,
            logging=self._log_driver("node"),
        )
        if self.domain is not None:
            self._add_tls_proxy()

        self.security_group = ec2.SecurityGroup(
            self,
            "NodeSecurityGroup",
            vpc=self.vpc,
            description="Media nodes: signalling (TLS) and WebRTC media (UDP) from anywhere, nothing else",
            allow_all_outbound=True,
        )
        signalling_port = TLS_PORT if self.domain is not None else NODE_PORT
        self.security_group.add_ingress_rule(
            ec2.Peer.any_ipv4(),
            ec2.Port.tcp_range(signalling_port, signalling_port + self.workers - 1)
            if self.workers > 1
            else ec2.Port.tcp(signalling_port),
            "Signalling: offers and the events WebSocket",
        )
        self.security_group.add_ingress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.udp_range(*MEDIA_UDP_PORTS), "WebRTC media (ICE, DTLS-SRTP)"
        )

        self.service = ecs.FargateService(
            self,
            "NodeService",
            service_name=self.service_name,
            cluster=self.cluster,
            task_definition=self.task_definition,
            # No desired count: autoscaling owns it (it starts at media_min_nodes); a template value would reset the
            # service to it on every deployment, in the middle of a campaign.
            assign_public_ip=True,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            security_groups=[self.security_group],
            # Spot would end calls at two minutes' notice.
            capacity_provider_strategies=[ecs.CapacityProviderStrategy(capacity_provider="FARGATE", weight=1)],
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            availability_zone_rebalancing=ecs.AvailabilityZoneRebalancing.DISABLED,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            enable_ecs_managed_tags=True,
        )
        self.cluster.enable_fargate_capacity_providers()
        self._autoscaling()

        self.turn_service: ecs.FargateService | None = None
        self.turn_urls: list[str] = []
        if config.turn_enabled:
            self._turn(data)
        if self.domain is not None:
            self._dns_updater()

        CfnOutput(self, "ClusterName", value=self.cluster.cluster_name, description="ECS cluster of the media nodes")
        CfnOutput(self, "ServiceName", value=self.service.service_name, description="ECS service of the media nodes")
        CfnOutput(
            self,
            "RoomsMetric",
            value=f"{METRIC_NAMESPACE} {ROOMS_METRIC} ServiceName={self.service_name}",
            description="Rooms per node (EMF, average over nodes), the custom scaling metric",
        )

    # --- operator parameters ---------------------------------------------------------------------------------

    def _tls_secret(self) -> secretsmanager.ISecret | None:
        if self.domain is None:
            return None
        return secretsmanager.Secret.from_secret_complete_arn(self, "TlsCertificate", self.tls_secret_arn)

    # --- the media node ------------------------------------------------------------------------------------------

    def _node_environment(self, table: str, bucket: str, key_arn: str, api: ApiStack) -> dict[str, str]:
        config = self.config
        environment = {
            "MEDIA_PORT": str(NODE_PORT),
            "MEDIA_WORKERS": str(self.workers),
            # Per worker process: the node's benchmarked capacity split between its workers.
            "MEDIA_MAX_ROOMS": str(max(1, config.media_max_rooms_per_node // self.workers)),
            "MEDIA_API_URL": api.api_url,
            "MEDIA_REGISTRY_TABLE": table,
            "MEDIA_RECORDINGS_BUCKET": bucket,
            "MEDIA_RECORDINGS_KMS_KEY": key_arn,
            "MEDIA_STUN_URLS": self.context.media_stun_urls or DEFAULT_STUN_URLS,
            "MEDIA_ALLOWED_ORIGINS": self.allowed_origins,
            "MEDIA_DRAIN_SECONDS": str(DRAIN_SECONDS),
            "MEDIA_UPLOAD_DRAIN_SECONDS": str(UPLOAD_DRAIN_SECONDS),
            "MEDIA_METRICS_NAMESPACE": METRIC_NAMESPACE,
            "MEDIA_METRICS_SERVICE": self.service_name,
            "MEDIA_SCALE_IN_PROTECTION_MINUTES": str(SCALE_IN_PROTECTION_MINUTES),
            "AWS_REGION": self.region,
            # Clients reach the node from the internet: it checks connectivity only to the public addresses they offer
            # (never into the VPC or to the metadata endpoint), like TURN's deny list.
            "MEDIA_PUBLIC_PEERS_ONLY": "true",
            # No MEDIA_METRICS_TOKEN: the node's port is public, so /metrics stays off (404); the rooms metric
            # reaches CloudWatch through the heartbeat's log lines instead.
        }
        if self.domain is not None:
            environment["MEDIA_PUBLIC_URL_TEMPLATE"] = f"https://{{task}}.{self.domain}:{TLS_PORT}"
            # Clients reach the node through the TLS sidecar on loopback: its X-Forwarded-For names them, so the
            # node's per-address flood limits count each client rather than one shared 127.0.0.1.
            environment["MEDIA_TRUST_LOOPBACK_PROXY"] = "true"
        return environment

    def _grant_node(self, role: iam.IRole, table_arn: str, bucket_arn: str, key_arn: str) -> None:
        cluster_tasks = self.format_arn(
            service="ecs", resource="task", resource_name=f"{physical_name(self.stage, 'media')}/*"
        )
        statements = [
            iam.PolicyStatement(
                sid="NodeRegistry", actions=["dynamodb:PutItem", "dynamodb:DeleteItem"], resources=[table_arn]
            ),
            iam.PolicyStatement(
                sid="UploadRecordings",
                actions=["s3:PutObject", "s3:GetObject"],
                resources=[f"{bucket_arn}/recordings/*"],
            ),
            # Without ListBucket, HEAD of a key not uploaded yet answers 403 instead of 404 and the uploader could not
            # tell "not there" from "refused".
            iam.PolicyStatement(
                sid="RecordingsNotFound",
                actions=["s3:ListBucket"],
                resources=[bucket_arn],
                conditions={"StringLike": {"s3:prefix": ["recordings/*"]}},
            ),
            iam.PolicyStatement(
                sid="EncryptRecordings",
                actions=["kms:GenerateDataKey", "kms:Encrypt"],
                resources=[key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{self.region}.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                sid="RegistryTableKey",
                actions=["kms:Decrypt", "kms:DescribeKey"],
                resources=[key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{self.region}.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                sid="ScaleInProtection",
                actions=["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"],
                resources=[cluster_tasks],
            ),
        ]
        for statement in statements:
            role.add_to_principal_policy(statement)

    def _log_driver(self, prefix: str) -> ecs.LogDriver:
        # Non-blocking: a slow log pipeline must never stall the event loop that carries every call's media.
        return ecs.LogDrivers.aws_logs(
            stream_prefix=prefix,
            log_group=self.log_group,
            mode=ecs.AwsLogDriverMode.NON_BLOCKING,
            max_buffer_size=Size.mebibytes(25),
        )

    def _add_tls_proxy(self) -> None:
        assert self.tls_secret is not None  # noqa: S101 - with a domain there is a certificate
        sites = "".join(
            f":{TLS_PORT + i} {{\n\ttls /tmp/tls/cert.pem /tmp/tls/key.pem\n"
            f"\treverse_proxy 127.0.0.1:{NODE_PORT + i}\n}}\n"
            for i in range(self.workers)
        )
        caddyfile = "{\n\tadmin off\n\tpersist_config off\n\tauto_https disable_redirects\n}\n" + sites
        proxy = self.task_definition.add_container(
            "tls",
            image=ecs.ContainerImage.from_registry(self.context.media_tls_proxy_image or TLS_PROXY_IMAGE),
            essential=True,
            entry_point=["sh", "-c"],
            command=[
                _TLS_FILES
                + "printf '%s' \"$CADDY_CONFIG\" > /tmp/Caddyfile\n"
                + "exec caddy run --config /tmp/Caddyfile --adapter caddyfile"
            ],
            environment={"CADDY_CONFIG": caddyfile},
            secrets=self._tls_secrets(),
            port_mappings=[
                ecs.PortMapping(container_port=TLS_PORT + i, protocol=ecs.Protocol.TCP, name=f"https-{i}")
                for i in range(self.workers)
            ],
            memory_reservation_mib=64,
            stop_timeout=Duration.seconds(10),
            logging=self._log_driver("tls"),
        )
        # ECS stops containers in reverse dependency order: the node drains (up to 120 s) before its proxy stops, so
        # the events WebSockets of calls in progress stay up during the drain.
        self.node_container.add_container_dependencies(
            ecs.ContainerDependency(container=proxy, condition=ecs.ContainerDependencyCondition.START)
        )

    def _tls_secrets(self) -> dict[str, ecs.Secret]:
        assert self.tls_secret is not None  # noqa: S101 - with a domain there is a certificate
        return {
            "TLS_CERTIFICATE": ecs.Secret.from_secrets_manager(self.tls_secret, "certificate"),
            "TLS_PRIVATE_KEY": ecs.Secret.from_secrets_manager(self.tls_secret, "private_key"),
        }

    def _autoscaling(self) -> None:
        config = self.config
        self.scaling = self.service.auto_scale_task_count(
            min_capacity=config.media_min_nodes, max_capacity=config.media_max_nodes
        )
        # Calls last tens of minutes: scale out fast, in slowly (and protected tasks are skipped anyway).
        self.scaling.scale_on_cpu_utilization(
            "Cpu",
            policy_name=physical_name(self.stage, "media-cpu"),
            target_utilization_percent=config.media_target_cpu_percent,
            scale_out_cooldown=Duration.seconds(60),
            scale_in_cooldown=Duration.minutes(10),
        )
        self.rooms_metric = cloudwatch.Metric(
            namespace=METRIC_NAMESPACE,
            metric_name=ROOMS_METRIC,
            dimensions_map={"ServiceName": self.service_name},
            statistic="Average",
            period=Duration.minutes(1),
        )
        # Each worker process publishes its own rooms, so the average is per worker: aim at the node's share.
        self.scaling.scale_to_track_custom_metric(
            "Rooms",
            policy_name=physical_name(self.stage, "media-rooms"),
            metric=self.rooms_metric,
            target_value=config.media_target_rooms_per_node / self.workers,
            scale_out_cooldown=Duration.seconds(60),
            scale_in_cooldown=Duration.minutes(10),
        )

    # --- TURN ----------------------------------------------------------------------------------------------------

    def _turn(self, data: DataStack) -> None:
        turn_secret = ssm.StringParameter.from_secure_string_parameter_attributes(
            self,
            "TurnSecret",
            parameter_name=data.secure_parameter_names["media/turn-secret"],
            encryption_key=data.keys["data"],
        )
        task_definition = ecs.FargateTaskDefinition(
            self,
            "TurnTask",
            family=physical_name(self.stage, "turn"),
            cpu=TURN_CPU_UNITS,
            memory_limit_mib=TURN_MEMORY_MB,
        )
        realm = self.domain or f"{self.stage}.videoatencion.invalid"
        tls = self.domain is not None
        # Relays only to public addresses: never to the VPC, loopback or the metadata endpoints (TURN as SSRF).
        denied = [_address_range(block) for block in TURN_DENIED_PEERS]
        lines = [
            "use-auth-secret",
            "static-auth-secret=$TURN_SECRET",
            f"realm={realm}",
            f"listening-port={TURN_PORT}",
            f"min-port={TURN_RELAY_PORTS[0]}",
            f"max-port={TURN_RELAY_PORTS[1]}",
            "external-ip=$EXTERNAL_IP",
            "fingerprint",
            "no-cli",
            "no-multicast-peers",
            "no-tlsv1",
            "no-tlsv1_1",
            "log-file=stdout",
            "simple-log",
            "proc-user=nobody",
            "proc-group=nogroup",
            *(f"denied-peer-ip={r}" for r in denied),
        ]
        if tls:
            lines += [f"tls-listening-port={TURN_TLS_PORT}", "cert=/tmp/tls/cert.pem", "pkey=/tmp/tls/key.pem"]
        else:
            lines.append("no-tls")
        # Written at start so the secret never appears on a command line; $TURN_SECRET and $EXTERNAL_IP expand then.
        script = (
            (_TLS_FILES if tls else "set -eu\numask 077\n")
            + "EXTERNAL_IP=$(detect-external-ip)\n"
            + "cat > /tmp/turnserver.conf <<EOF\n"
            + "\n".join(lines)
            + "\nEOF\nunset TURN_SECRET\nexec turnserver -c /tmp/turnserver.conf\n"
        )
        secrets = {"TURN_SECRET": ecs.Secret.from_ssm_parameter(turn_secret)}
        if tls:
            secrets.update(self._tls_secrets())
        task_definition.add_container(
            "coturn",
            image=ecs.ContainerImage.from_registry(self.context.turn_image or TURN_IMAGE),
            essential=True,
            # Root only to bind 443; coturn drops to nobody (proc-user) once its sockets are open.
            user="0",
            entry_point=["sh", "-c"],
            command=[script],
            secrets=secrets,
            port_mappings=[
                ecs.PortMapping(container_port=TURN_PORT, protocol=ecs.Protocol.UDP, name="turn-udp"),
                ecs.PortMapping(container_port=TURN_PORT, protocol=ecs.Protocol.TCP, name="turn-tcp"),
                *(
                    [ecs.PortMapping(container_port=TURN_TLS_PORT, protocol=ecs.Protocol.TCP, name="turns")]
                    if tls
                    else []
                ),
                ecs.PortMapping(
                    container_port=ecs.ContainerDefinition.CONTAINER_PORT_USE_RANGE,
                    container_port_range=f"{TURN_RELAY_PORTS[0]}-{TURN_RELAY_PORTS[1]}",
                    protocol=ecs.Protocol.UDP,
                ),
            ],
            stop_timeout=STOP_TIMEOUT,
            logging=self._log_driver("turn"),
        )
        group = ec2.SecurityGroup(
            self,
            "TurnSecurityGroup",
            vpc=self.vpc,
            description="TURN: STUN/TURN on 3478 UDP/TCP, TURN over TLS on 443, relayed media (UDP)",
            allow_all_outbound=True,
        )
        group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.udp(TURN_PORT), "STUN/TURN over UDP")
        group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(TURN_PORT), "TURN over TCP")
        if tls:
            group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(TURN_TLS_PORT), "TURN over TLS")
        group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.udp_range(*TURN_RELAY_PORTS), "Relayed media")
        self.turn_security_group = group
        self.turn_service = ecs.FargateService(
            self,
            "TurnService",
            service_name=self.turn_service_name,
            cluster=self.cluster,
            task_definition=task_definition,
            desired_count=TURN_TASKS,
            assign_public_ip=True,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            security_groups=[group],
            capacity_provider_strategies=[ecs.CapacityProviderStrategy(capacity_provider="FARGATE", weight=1)],
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            availability_zone_rebalancing=ecs.AvailabilityZoneRebalancing.DISABLED,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
        )
        self.turn_urls = turn_urls(self.domain if tls else None)
        CfnOutput(
            self,
            "TurnUrls",
            value=",".join(self.turn_urls),
            description="TURN URLs for the API's MEDIA_TURN_URLS (credentials: HMAC of media/turn-secret)",
        )

    # --- DNS names of the tasks ----------------------------------------------------------------------------------

    def _dns_updater(self) -> None:
        assert self.domain is not None  # noqa: S101 - only called with a domain
        groups = {f"service:{self.service_name}": "node"}
        if self.turn_service is not None:
            groups[f"service:{self.turn_service_name}"] = "turn"
        log_group = logs.LogGroup(
            self,
            "DnsLogs",
            log_group_name=f"/videoatencion/{self.stage}/media-dns",
            retention=_retention(self.config.log_retention_days),
            encryption_key=self.data_key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        function = lambda_.Function(
            self,
            "DnsFunction",
            function_name=physical_name(self.stage, "media-dns"),
            description="Keeps {task}.media_domain (and turn.media_domain) pointing at the media and TURN tasks",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_asset(str(DNS_FUNCTION_DIR), exclude=["__pycache__"]),
            timeout=Duration.seconds(30),
            memory_size=128,
            log_group=log_group,
            environment={
                "MEDIA_DNS_ZONE_ID": self.hosted_zone_id,
                "MEDIA_DNS_DOMAIN": self.domain,
                "MEDIA_DNS_GROUPS": json.dumps(groups, sort_keys=True, separators=(",", ":")),
            },
        )
        skip(
            function,
            CKV_AWS_115="one event per task state change; EventBridge retries a throttled call (20 attempts)",
            CKV_AWS_116=RETRIED_BY_CALLER,
            CKV_AWS_117=OUTSIDE_VPC,
            CKV_AWS_173=PLAIN_ENVIRONMENT,
        )
        zone_arn = f"arn:{self.partition}:route53:::hostedzone/{self.hosted_zone_id}"
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="TaskRecords",
                actions=["route53:ChangeResourceRecordSets"],
                resources=[zone_arn],
                conditions={
                    "ForAllValues:StringLike": {
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": [f"*.{self.domain}"]
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
            self,
            "TaskStateChanges",
            description="Media and TURN task state changes, for their DNS names",
            event_pattern=events.EventPattern(
                source=["aws.ecs"],
                detail_type=["ECS Task State Change"],
                detail={"clusterArn": [self.cluster.cluster_arn], "group": sorted(groups)},
            ),
            targets=[targets.LambdaFunction(function, retry_attempts=20)],
        )
        CfnOutput(
            self,
            "NodeUrlPattern",
            value=f"https://{{task id}}.{self.domain}:{TLS_PORT}",
            description="How each media node is reached (registered in the node registry)",
        )


def _retention(days: int) -> logs.RetentionDays:
    if days not in _RETENTION:
        raise ValueError(f"log_retention_days must be one CloudWatch Logs allows ({sorted(_RETENTION)}), got {days}")
    return logs.RetentionDays[_RETENTION[days]]


def _address_range(block: str) -> str:
    """A CIDR block as coturn's ``first-last`` range (its denied-peer-ip takes ranges, not prefixes)."""
    network = ipaddress.ip_network(block)
    return f"{network[0]}-{network[-1]}"
