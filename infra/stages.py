"""What differs between stages, in one place: every figure an operator may change to scale or harden a deployment.

``dev`` and ``prod`` are AWS deployments (the local stack is ``make run``, not a CDK stage). Every field can be
overridden at synthesis with ``-c <field>=<value>`` (e.g. ``-c media_max_nodes=40`` for tax season); the README's
scaling note says what each limit means.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from infra.resources import Resources

_STAGE_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,15}")


@dataclass(frozen=True)
class StageConfig:
    name: str
    # Stateful resources: protected from deletion (tables: deletion protection; stacks: termination protection).
    protect_data: bool
    # CloudWatch Logs retention of every function's and the media nodes' logs.
    log_retention_days: int
    # API: reserved concurrency of the API function (the most Lambda instances it may take from the account).
    api_reserved_concurrency: int
    api_memory_mb: int
    # Alarms: 5xx answers per 5 minutes, throttled invocations per 5 minutes, media node CPU %, failed recordings.
    alarm_5xx_per_5min: int
    alarm_throttles_per_5min: int
    alarm_media_cpu_percent: int
    alarm_failed_recordings: int
    # Media nodes (ECS Fargate tasks): bounds of the service's autoscaling and what each node is sized for.
    media_min_nodes: int
    media_max_nodes: int
    media_cpu_units: int  # 1024 = 1 vCPU
    media_memory_mb: int
    media_target_cpu_percent: int
    # Rooms (calls) per node the autoscaling aims at: the media benchmark (RTP path) holds 16 recorded calls at 30 fps
    # in one worker process using a third of a core; a 1-vCPU node aims at 12 and takes at most 16.
    media_target_rooms_per_node: int
    media_max_rooms_per_node: int
    # A TURN server (coturn on Fargate) for citizens behind networks that block UDP.
    turn_enabled: bool
    # WAF: requests per 5 minutes and IP address on the sign-in and booking routes.
    waf_sign_in_per_5min: int
    waf_booking_per_5min: int

    @classmethod
    def for_stage(cls, name: str, overrides: dict[str, Any] | None = None) -> StageConfig:
        if not _STAGE_PATTERN.fullmatch(name):
            # The stage ends up in bucket and table names.
            raise ValueError(f"stage {name!r} must match {_STAGE_PATTERN.pattern}")
        base = PROD if name == "prod" else dataclasses.replace(DEV, name=name)
        values: dict[str, Any] = {}
        for field in fields(cls):
            if field.name == "name" or not overrides or overrides.get(field.name) is None:
                continue
            raw = overrides[field.name]
            if field.type in ("bool", bool):
                values[field.name] = raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes")
            else:
                try:
                    values[field.name] = int(raw)
                except ValueError:
                    raise ValueError(f"-c {field.name}= expects a whole number, got {raw!r}") from None
        config = dataclasses.replace(base, **values)
        config.check()
        return config

    def check(self) -> None:
        if not 0 < self.media_min_nodes <= self.media_max_nodes:
            raise ValueError("media_min_nodes must be at least 1 and at most media_max_nodes")
        if not 0 < self.media_target_rooms_per_node <= self.media_max_rooms_per_node:
            raise ValueError("media_target_rooms_per_node must be between 1 and media_max_rooms_per_node")
        if self.api_reserved_concurrency < 1:
            raise ValueError("api_reserved_concurrency must be at least 1")
        for name in ("waf_sign_in_per_5min", "waf_booking_per_5min"):
            if getattr(self, name) < MIN_RATE_LIMIT:
                raise ValueError(
                    f"{name} (a WAF rate limit) must be at least {MIN_RATE_LIMIT}, got {getattr(self, name)}"
                )


DEV = StageConfig(
    name="dev",
    protect_data=False,
    log_retention_days=14,
    api_reserved_concurrency=10,
    api_memory_mb=1024,
    alarm_5xx_per_5min=20,
    alarm_throttles_per_5min=10,
    alarm_media_cpu_percent=85,
    alarm_failed_recordings=1,
    media_min_nodes=1,
    media_max_nodes=2,
    media_cpu_units=1024,
    media_memory_mb=2048,
    media_target_cpu_percent=60,
    media_target_rooms_per_node=12,
    media_max_rooms_per_node=16,
    turn_enabled=False,
    waf_sign_in_per_5min=100,
    waf_booking_per_5min=200,
)

PROD = StageConfig(
    name="prod",
    protect_data=True,
    log_retention_days=400,
    api_reserved_concurrency=100,
    api_memory_mb=1024,
    alarm_5xx_per_5min=5,
    alarm_throttles_per_5min=1,
    alarm_media_cpu_percent=80,
    alarm_failed_recordings=1,
    media_min_nodes=2,
    media_max_nodes=10,
    media_cpu_units=1024,
    media_memory_mb=2048,
    media_target_cpu_percent=60,
    media_target_rooms_per_node=12,
    media_max_rooms_per_node=16,
    turn_enabled=True,
    waf_sign_in_per_5min=100,
    waf_booking_per_5min=300,
)


# --- the operator's context, parsed once -------------------------------------------------------------------------

DEFAULT_STAGE = "prod"
# Spain: the council's personal data stays in the country unless a deployment says otherwise explicitly.
DEFAULT_REGION = "eu-south-2"
# Stages that must be reachable by citizens: a made-up sender would bounce (or belong to someone), and without the
# media domain and certificate no browser could join a call.
_STAGES_NEEDING_OPERATOR_VALUES = frozenset({"prod"})
# WAF's smallest rate limit.
MIN_RATE_LIMIT = 10
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
# Room for the task id (32 characters and a dot) in front of the media domain.
_MEDIA_DOMAIN_MAX = 200
_ZONE_ID = re.compile(r"Z[A-Z0-9]{1,31}")
_SECRET_ARN = re.compile(r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class MediaDomain:
    """Where the media nodes are reached over TLS: ``{task id}.{name}``, in the operator's zone and certificate."""

    name: str
    hosted_zone_id: str
    tls_secret_arn: str


@dataclass(frozen=True)
class WebDomain:
    """The SPA's own name on CloudFront, with its ACM certificate (in us-east-1)."""

    name: str
    certificate_arn: str


@dataclass(frozen=True)
class OperatorContext:
    """Every ``-c key=value`` the app understands, read and checked here once; the stacks get this object and read
    no context themselves. infra/README.md ("Synthesise") says what each value is for."""

    config: StageConfig
    region: str
    # SES sender addresses by their environment variable (``-c sender_email=``); the dev address where allowed.
    sender_addresses: Mapping[str, str]
    # Values of the plain SSM parameters by name (``-c council-name=``); the dev value where not given.
    parameters: Mapping[str, str]
    public_base_url: str | None
    eid_client_id: str | None
    media_domain: MediaDomain | None
    media_allowed_origins: str
    media_stun_urls: str | None
    media_workers: int
    media_tls_proxy_image: str | None
    turn_image: str | None
    alarm_email: str | None
    web_domain: WebDomain | None
    web_dist: Path | None

    @property
    def stage(self) -> str:
        return self.config.name

    @classmethod
    def parse(
        cls, context: Callable[[str], Any], resources: Resources, environ: Mapping[str, str] | None = None
    ) -> OperatorContext:
        """From the app's context (``app.node.try_get_context``) and, for the region only, the environment.

        CDK_DEFAULT_REGION is deliberately not read: the CLI fills it from the operator's profile, and where the
        council's data lives must not depend on that. CDK_DEPLOY_REGION follows the CDK guide's convention.
        """
        environ = {} if environ is None else environ

        def text(key: str) -> str | None:
            value = context(key)
            return None if value is None or str(value).strip() == "" else str(value).strip()

        stage = text("stage") or DEFAULT_STAGE
        config = StageConfig.for_stage(stage, {f.name: context(f.name) for f in fields(StageConfig)})
        strict = stage in _STAGES_NEEDING_OPERATOR_VALUES

        def required(key: str, what: str) -> str | None:
            value = text(key)
            if value is None and strict:
                raise ValueError(f"stage {stage!r} needs -c {key}=<value>: {what}")
            return value

        senders = {}
        for identity in resources.email_identities:
            key = identity.address_env.lower()
            senders[identity.address_env] = required(key, identity.purpose) or identity.dev_address
        parameters = {p.name: text(p.name) or p.dev_value for p in resources.parameters if not p.secure}
        media_domain = _media_domain(required)
        if config.turn_enabled and media_domain is None:
            raise ValueError(
                "turn_enabled needs media_domain (TURN's DNS name and certificate): pass it, or -c turn_enabled=false"
            )
        alarm_email = text("alarm_email")
        if alarm_email is not None and not _EMAIL.fullmatch(alarm_email):
            raise ValueError(f"-c alarm_email= expects an email address, got {alarm_email!r}")
        web_dist = text("web_dist")
        return cls(
            config=config,
            region=text("region") or environ.get("CDK_DEPLOY_REGION") or DEFAULT_REGION,
            sender_addresses=senders,
            parameters=parameters,
            public_base_url=text("public_base_url"),
            eid_client_id=text("eid_client_id"),
            media_domain=media_domain,
            media_allowed_origins=required(
                "media_allowed_origins", "the SPA's origin(s), e.g. https://cita.example.org"
            )
            or "",
            media_stun_urls=text("media_stun_urls"),
            media_workers=_whole_number("media_workers", text("media_workers"), default=1, low=1, high=16),
            media_tls_proxy_image=text("media_tls_proxy_image"),
            turn_image=text("turn_image"),
            alarm_email=alarm_email,
            web_domain=_web_domain(text("domain_name"), text("certificate_arn")),
            web_dist=Path(web_dist) if web_dist else None,
        )


def _whole_number(key: str, raw: str | None, *, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"-c {key}= expects a whole number from {low} to {high}, got {raw!r}")
    return int(raw)


def _media_domain(required: Callable[[str, str], str | None]) -> MediaDomain | None:
    domain = required("media_domain", "the DNS domain under which each media node gets its name")
    if domain is not None:
        domain = domain.lower().rstrip(".")
        if len(domain) > _MEDIA_DOMAIN_MAX or not _DOMAIN.fullmatch(domain):
            raise ValueError(f"-c media_domain= must be a DNS name such as media.cita.example.org, got {domain!r}")
    zone_id = required("media_hosted_zone_id", "the Route 53 public hosted zone of media_domain")
    secret = required(
        "media_tls_secret_arn",
        'complete ARN of a Secrets Manager secret {"certificate","private_key"} for *.<media_domain>',
    )
    if domain is None and zone_id is None and secret is None:
        return None
    if domain is None or zone_id is None or secret is None:
        raise ValueError("media_domain, media_hosted_zone_id and media_tls_secret_arn go together: give all three")
    if not _ZONE_ID.fullmatch(zone_id):
        raise ValueError(f"-c media_hosted_zone_id= must be a Route 53 zone id (Z…), got {zone_id!r}")
    if not _SECRET_ARN.fullmatch(secret):
        raise ValueError(
            "-c media_tls_secret_arn= must be the complete ARN of the secret (with its 6-character suffix), "
            f"got {secret!r}"
        )
    return MediaDomain(domain, zone_id, secret)


def _web_domain(domain: str | None, certificate_arn: str | None) -> WebDomain | None:
    if domain is None and certificate_arn is None:
        return None
    if domain is None or certificate_arn is None:
        raise ValueError("-c domain_name= and -c certificate_arn= go together (the certificate must cover the name)")
    if not _DOMAIN.fullmatch(domain.lower()):
        raise ValueError(f"-c domain_name= expects a DNS name, got {domain!r}")
    if ":acm:us-east-1:" not in certificate_arn:
        raise ValueError(
            "-c certificate_arn= must be an ACM certificate in us-east-1 (CloudFront only uses those), "
            f"got {certificate_arn!r}"
        )
    return WebDomain(domain.lower(), certificate_arn)


def add_context_option(parser: argparse.ArgumentParser, help: str) -> None:
    """``-c KEY=VALUE``, repeatable, as with the CDK CLI; read with ``context_values``."""
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE", help=help)


def context_values(parser: argparse.ArgumentParser, items: list[str]) -> dict[str, str]:
    """The ``-c`` values by key; a malformed one ends the program with the parser's usage error."""
    values: dict[str, str] = {}
    for item in items:
        key, separator, value = item.partition("=")
        if not separator or not key:
            parser.error(f"-c expects KEY=VALUE, got {item!r}")
        values[key] = value
    return values
