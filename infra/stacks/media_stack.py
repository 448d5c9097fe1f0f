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

**Parts** (``infra/stacks/media/``): the TLS sidecar (``tls_proxy.py``), TURN (``turn.py``, ``turn_enabled``) and
the DNS updater (``dns_updater.py``); what their services share is in ``tasks.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Annotations, CfnOutput, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.resources import physical_name
from infra.stacks.api_stack import ApiStack
from infra.stacks.checkov import skip_deployment_helper
from infra.stacks.data_stack import DataStack
from infra.stacks.keys_stack import KeysStack
from infra.stacks.media.dns_updater import DnsUpdater
from infra.stacks.media.tasks import STOP_TIMEOUT, log_driver, public_service, retention
from infra.stacks.media.tls_proxy import TLS_PORT, TlsProxy
from infra.stacks.media.turn import Turn
from infra.stacks.naming import DEFAULT_STUN_URLS
from infra.stacks.records_stack import RecordsStack
from infra.stacks.stage_stack import StageStack

REPO_ROOT = Path(__file__).resolve().parents[2]
MEDIA_NODE_DIR = REPO_ROOT / "media-node"

METRIC_NAMESPACE = "Videoatencion/Media"
ROOMS_METRIC = "Rooms"
# The node's first worker; worker i listens on +i (plain HTTP inside the task only, when TLS is terminated there).
NODE_PORT = 8081
# UDP for ICE/DTLS-SRTP: the task's ephemeral range, pinned. One socket per peer connection (bundle, rtcp-mux), plus
# the task's outgoing TCP connections share it: 1000 ports are far more than 4 rooms x 4 participants need.
MEDIA_UDP_PORTS = (40000, 40999)
DRAIN_SECONDS = 90
UPLOAD_DRAIN_SECONDS = 20
# A node with calls renews its task's scale-in protection at half of this; it lapses this long after its last call.
SCALE_IN_PROTECTION_MINUTES = 10
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


class MediaStack(StageStack):
    """``service`` (the media nodes), ``cluster``, ``metric_namespace``; ``turn_service`` when TURN is on."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        keys: KeysStack,
        data: DataStack,
        records: RecordsStack,
        api: ApiStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config = self.config
        context = self.context
        self.metric_namespace = METRIC_NAMESPACE
        self.service_name = physical_name(self.stage, "media")
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
            retention=retention(config.log_retention_days),
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
            logging=log_driver(self.log_group, "node"),
        )
        if self.tls_secret is not None:
            TlsProxy(
                task_definition=self.task_definition,
                node=self.node_container,
                node_port=NODE_PORT,
                workers=self.workers,
                certificate=self.tls_secret,
                image=context.media_tls_proxy_image,
                log_group=self.log_group,
            )

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

        # No desired count: autoscaling owns it (it starts at media_min_nodes); a template value would reset the
        # service to it on every deployment, in the middle of a campaign.
        self.service = public_service(
            self,
            "NodeService",
            service_name=self.service_name,
            cluster=self.cluster,
            task_definition=self.task_definition,
            security_group=self.security_group,
            enable_ecs_managed_tags=True,
        )
        self.cluster.enable_fargate_capacity_providers()
        self._autoscaling()

        self.turn: Turn | None = None
        if config.turn_enabled:
            self.turn = Turn(
                self,
                stage=self.stage,
                cluster=self.cluster,
                vpc=self.vpc,
                log_group=self.log_group,
                secret_parameter_name=data.secure_parameter_names["media/turn-secret"],
                data_key=data_key,
                domain=self.domain,
                certificate=self.tls_secret,
                image=context.turn_image,
            )
        self.turn_service = self.turn.service if self.turn else None
        self.turn_urls = self.turn.urls if self.turn else []
        if self.domain is not None:
            groups = {f"service:{self.service_name}": "node"}
            if self.turn is not None:
                groups[f"service:{self.turn.service_name}"] = "turn"
            DnsUpdater(
                self,
                stage=self.stage,
                domain=self.domain,
                hosted_zone_id=self.hosted_zone_id,
                cluster=self.cluster,
                groups=groups,
                log_retention_days=config.log_retention_days,
                data_key=data_key,
            )

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
