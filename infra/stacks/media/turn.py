"""TURN (``turn_enabled``): coturn on Fargate with ``use-auth-secret`` (secret from the SSM SecureString
``media/turn-secret``), TLS on 443 with the media nodes' certificate, its own security group, ``turn.{media_domain}``
as a multivalue DNS name (the DNS updater keeps it); its URLs are the output ``TurnUrls`` (the API's
``MEDIA_TURN_URLS``)."""

from __future__ import annotations

import ipaddress

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm

from infra.resources import physical_name
from infra.stacks.media.tasks import STOP_TIMEOUT, log_driver, public_service
from infra.stacks.media.tls_proxy import TLS_FILES, tls_secrets
from infra.stacks.naming import TURN_PORT, TURN_TLS_PORT, turn_urls

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
# coturn's own image on Docker Hub, pulled at deploy time.
TURN_IMAGE = "docker.io/coturn/coturn:4.6.3"
TURN_RELAY_PORTS = (49152, 50151)
TURN_TASKS = 2
TURN_CPU_UNITS = 1024
TURN_MEMORY_MB = 2048


class Turn:
    """Adds the TURN service to the media stack: ``service``, ``service_name``, ``security_group``, ``urls``."""

    def __init__(
        self,
        stack: Stack,
        *,
        stage: str,
        cluster: ecs.ICluster,
        vpc: ec2.IVpc,
        log_group: logs.ILogGroup,
        secret_parameter_name: str,
        data_key: kms.IKey,
        domain: str | None,
        certificate: secretsmanager.ISecret | None,
        image: str | None,
    ) -> None:
        self.service_name = physical_name(stage, "turn")
        turn_secret = ssm.StringParameter.from_secure_string_parameter_attributes(
            stack, "TurnSecret", parameter_name=secret_parameter_name, encryption_key=data_key
        )
        task_definition = ecs.FargateTaskDefinition(
            stack, "TurnTask", family=self.service_name, cpu=TURN_CPU_UNITS, memory_limit_mib=TURN_MEMORY_MB
        )
        tls = domain is not None and certificate is not None
        secrets = {"TURN_SECRET": ecs.Secret.from_ssm_parameter(turn_secret)}
        if certificate is not None and tls:
            secrets.update(tls_secrets(certificate))
        task_definition.add_container(
            "coturn",
            image=ecs.ContainerImage.from_registry(image or TURN_IMAGE),
            essential=True,
            # Root only to bind 443; coturn drops to nobody (proc-user) once its sockets are open.
            user="0",
            entry_point=["sh", "-c"],
            command=[_start_script(domain or f"{stage}.videoatencion.invalid", tls)],
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
            logging=log_driver(log_group, "turn"),
        )
        group = ec2.SecurityGroup(
            stack,
            "TurnSecurityGroup",
            vpc=vpc,
            description="TURN: STUN/TURN on 3478 UDP/TCP, TURN over TLS on 443, relayed media (UDP)",
            allow_all_outbound=True,
        )
        group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.udp(TURN_PORT), "STUN/TURN over UDP")
        group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(TURN_PORT), "TURN over TCP")
        if tls:
            group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(TURN_TLS_PORT), "TURN over TLS")
        group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.udp_range(*TURN_RELAY_PORTS), "Relayed media")
        self.security_group = group
        self.service = public_service(
            stack,
            "TurnService",
            service_name=self.service_name,
            cluster=cluster,
            task_definition=task_definition,
            security_group=group,
            desired_count=TURN_TASKS,
        )
        self.urls = turn_urls(domain if tls else None)
        CfnOutput(
            stack,
            "TurnUrls",
            value=",".join(self.urls),
            description="TURN URLs for the API's MEDIA_TURN_URLS (credentials: HMAC of media/turn-secret)",
        )


def _start_script(realm: str, tls: bool) -> str:
    """coturn's configuration, written at start so the secret never appears on a command line ($TURN_SECRET and
    $EXTERNAL_IP expand then). It relays only to public addresses: never to the VPC, loopback or the metadata
    endpoints (TURN as SSRF)."""
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
        *(f"denied-peer-ip={_address_range(block)}" for block in TURN_DENIED_PEERS),
    ]
    if tls:
        lines += [f"tls-listening-port={TURN_TLS_PORT}", "cert=/tmp/tls/cert.pem", "pkey=/tmp/tls/key.pem"]
    else:
        lines.append("no-tls")
    return (
        (TLS_FILES if tls else "set -eu\numask 077\n")
        + "EXTERNAL_IP=$(detect-external-ip)\n"
        + "cat > /tmp/turnserver.conf <<EOF\n"
        + "\n".join(lines)
        + "\nEOF\nunset TURN_SECRET\nexec turnserver -c /tmp/turnserver.conf\n"
    )


def _address_range(block: str) -> str:
    """A CIDR block as coturn's ``first-last`` range (its denied-peer-ip takes ranges, not prefixes)."""
    network = ipaddress.ip_network(block)
    return f"{network[0]}-{network[-1]}"
