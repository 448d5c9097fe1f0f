"""The TLS sidecar of each media node task: Caddy terminates TLS with the operator's wildcard certificate
``*.{media_domain}`` on ``TLS_PORT + i`` and proxies to worker ``i`` on 127.0.0.1 (plain HTTP never leaves the task).
The certificate comes from the operator's Secrets Manager secret ``{"certificate", "private_key"}`` at run time."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager

from infra.stacks.media.tasks import log_driver

# TLS port of worker 0 on the task's public IP (worker i: +i).
TLS_PORT = 8443
# A public image pulled at deploy time (ECR Public's copy of the Docker official image).
TLS_PROXY_IMAGE = "public.ecr.aws/docker/library/caddy:2.8-alpine"

# Writes the certificate from its (secret) variables to files only root can read, then runs the program.
TLS_FILES = """\
set -eu
umask 077
mkdir -p /tmp/tls
printf '%s\\n' "$TLS_CERTIFICATE" > /tmp/tls/cert.pem
printf '%s\\n' "$TLS_PRIVATE_KEY" > /tmp/tls/key.pem
unset TLS_CERTIFICATE TLS_PRIVATE_KEY
"""


def tls_secrets(certificate: secretsmanager.ISecret) -> dict[str, ecs.Secret]:
    """The variables ``TLS_FILES`` writes to files: the operator's certificate and key, read by ECS at start."""
    return {
        "TLS_CERTIFICATE": ecs.Secret.from_secrets_manager(certificate, "certificate"),
        "TLS_PRIVATE_KEY": ecs.Secret.from_secrets_manager(certificate, "private_key"),
    }


class TlsProxy:
    """Adds the ``tls`` container to the node's task; ``container``."""

    def __init__(
        self,
        *,
        task_definition: ecs.TaskDefinition,
        node: ecs.ContainerDefinition,
        node_port: int,
        workers: int,
        certificate: secretsmanager.ISecret,
        image: str | None,
        log_group: logs.ILogGroup,
    ) -> None:
        sites = "".join(
            f":{TLS_PORT + i} {{\n\ttls /tmp/tls/cert.pem /tmp/tls/key.pem\n"
            f"\treverse_proxy 127.0.0.1:{node_port + i}\n}}\n"
            for i in range(workers)
        )
        caddyfile = "{\n\tadmin off\n\tpersist_config off\n\tauto_https disable_redirects\n}\n" + sites
        self.container = task_definition.add_container(
            "tls",
            image=ecs.ContainerImage.from_registry(image or TLS_PROXY_IMAGE),
            essential=True,
            entry_point=["sh", "-c"],
            command=[
                TLS_FILES
                + "printf '%s' \"$CADDY_CONFIG\" > /tmp/Caddyfile\n"
                + "exec caddy run --config /tmp/Caddyfile --adapter caddyfile"
            ],
            environment={"CADDY_CONFIG": caddyfile},
            secrets=tls_secrets(certificate),
            port_mappings=[
                ecs.PortMapping(container_port=TLS_PORT + i, protocol=ecs.Protocol.TCP, name=f"https-{i}")
                for i in range(workers)
            ],
            memory_reservation_mib=64,
            stop_timeout=Duration.seconds(10),
            logging=log_driver(log_group, "tls"),
        )
        # ECS stops containers in reverse dependency order: the node drains (up to 120 s) before its proxy stops, so
        # the events WebSockets of calls in progress stay up during the drain.
        node.add_container_dependencies(
            ecs.ContainerDependency(container=self.container, condition=ecs.ContainerDependencyCondition.START)
        )
