"""What differs between stages, in one place: every figure an operator may change to scale or harden a deployment.

``dev`` and ``prod`` are AWS deployments (the local stack is ``make run``, not a CDK stage). Every field can be
overridden at synthesis with ``-c <field>=<value>`` (e.g. ``-c media_max_nodes=40`` for tax season); the README's
scaling note says what each limit means.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, fields
from typing import Any

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
    # Rooms (calls) per node the autoscaling aims at: the media benchmark holds 4 calls at 30 fps on 2 cores.
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
    media_cpu_units=2048,
    media_memory_mb=4096,
    media_target_cpu_percent=60,
    media_target_rooms_per_node=3,
    media_max_rooms_per_node=4,
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
    media_cpu_units=2048,
    media_memory_mb=4096,
    media_target_cpu_percent=60,
    media_target_rooms_per_node=3,
    media_max_rooms_per_node=4,
    turn_enabled=True,
    waf_sign_in_per_5min=100,
    waf_booking_per_5min=300,
)
