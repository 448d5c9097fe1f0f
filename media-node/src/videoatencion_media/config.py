"""Media node configuration: the environment parsed once into one frozen dataclass.

Bad values fail at start with every problem listed at once, so an operator fixes a task definition in one go.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import re
import socket
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8081
DEFAULT_ALLOWED_ORIGINS = ("http://127.0.0.1:8080", "http://localhost:8080")
DEFAULT_MAX_ROOMS = 20
DEFAULT_SEGMENT_SECONDS = 30.0
DEFAULT_FORWARDING = "rtp"
FORWARDING_PATHS = ("rtp", "packets")
DEFAULT_TOKEN_ISSUER = "videoatencion"  # noqa: S105 - the JWT iss claim, not a secret
DEFAULT_GRACE_SECONDS = 60.0
# ECS lets a task run at most 120 s after SIGTERM (stopTimeout); the drain leaves room for uploads after it.
DEFAULT_DRAIN_SECONDS = 90.0
DEFAULT_UPLOAD_DRAIN_SECONDS = 20.0
# How often the node asks the API which participants' sessions were revoked: the longest a signed-out person stays.
DEFAULT_SESSION_CHECK_SECONDS = 5.0
# Long enough that guessing it over HTTP is hopeless (e.g. ``secrets.token_urlsafe(24)`` gives 32 characters).
MIN_METRICS_TOKEN_LENGTH = 24

_NODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")

# RFC 1123 host name; the node binds to it, so anything looser is a typo.
_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")


class ConfigError(ValueError):
    """The environment does not describe a valid media node configuration."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid media node configuration: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class MediaConfig:
    host: str
    port: int
    recordings_dir: Path
    api_url: str | None
    allowed_origins: tuple[str, ...]
    max_rooms: int = DEFAULT_MAX_ROOMS
    # The URL clients and the API reach this node at; None = http://{host}:{port}. For worker i of several, the port in
    # it is shifted by i (or "{port}" / "{worker}" in it are filled in), see for_worker().
    public_url: str | None = None
    node_id: str = "media-node"
    registry_table: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    recordings_bucket: str | None = None
    recordings_kms_key: str | None = None
    segment_seconds: float = DEFAULT_SEGMENT_SECONDS
    # "rtp": RTP packets forwarded below aiortc (forwarding.py); "packets": the previous path, kept for one release.
    forwarding: str = DEFAULT_FORWARDING
    token_issuer: str = DEFAULT_TOKEN_ISSUER
    workers: int = 1
    grace_seconds: float = DEFAULT_GRACE_SECONDS
    drain_seconds: float = DEFAULT_DRAIN_SECONDS
    upload_drain_seconds: float = DEFAULT_UPLOAD_DRAIN_SECONDS
    worker_index: int = 0
    # STUN servers the node asks for its public address: behind 1:1 NAT (a Fargate task's public IP) its host
    # candidates are private addresses, so without a server-reflexive candidate clients could not reach it.
    stun_urls: tuple[str, ...] = ()
    # A TLS proxy in front of the node on loopback (the production task's sidecar) reports clients' addresses.
    trust_loopback_proxy: bool = False
    # The bearer secret /metrics asks for; None = no /metrics at all. Loopback is no proof of an operator here: the
    # production sidecar proxies every client from 127.0.0.1.
    metrics_token: str | None = field(default=None, repr=False)
    # Drop the offer's ICE candidates that are not public addresses (production: the node would otherwise send
    # connectivity checks into its VPC or to the metadata endpoint on a client's say-so). Off for local development,
    # where browsers and tests offer loopback and LAN addresses.
    public_peers_only: bool = False
    session_check_seconds: float = DEFAULT_SESSION_CHECK_SECONDS

    @property
    def base_url(self) -> str:
        """This worker's public base URL, as registered in the node registry."""
        if self.public_url is not None:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def jwks_url(self) -> str | None:
        return None if self.api_url is None else f"{self.api_url}/.well-known/jwks.json"

    @property
    def webhook_url(self) -> str | None:
        return None if self.api_url is None else f"{self.api_url}/media/events"

    @property
    def sessions_url(self) -> str | None:
        return None if self.api_url is None else f"{self.api_url}/media/sessions"

    def for_worker(self, index: int) -> MediaConfig:
        """The configuration of worker ``index``: port + index, its own node id, public URL and recordings folder.

        Each worker is a node of its own in the registry; its recordings folder is its own too, so a restarted worker
        recovers only what it left, never a sibling's recording in progress.
        """
        if self.workers == 1:
            return self
        port = self.port + index
        public_url = None if self.public_url is None else _worker_url(self.public_url, index, port, self.port)
        return dataclasses.replace(
            self,
            port=port,
            public_url=public_url,
            node_id=f"{self.node_id}-{index}",
            recordings_dir=self.recordings_dir / f"worker-{index}",
            worker_index=index,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MediaConfig:
        """Read ``MEDIA_*`` variables; an empty value counts as unset, except for the origins list."""
        env = os.environ if environ is None else environ
        problems: list[str] = []

        host = _host(_value(env, "MEDIA_HOST") or DEFAULT_HOST, problems)
        port = _port(_value(env, "MEDIA_PORT"), problems)
        recordings_dir = _recordings_dir(_value(env, "MEDIA_RECORDINGS_DIR"))
        api_url = _api_url(_value(env, "MEDIA_API_URL"), problems)
        raw_origins = env.get("MEDIA_ALLOWED_ORIGINS")
        origins = DEFAULT_ALLOWED_ORIGINS if raw_origins is None else _origins(raw_origins, problems)
        max_rooms = _integer(env, "MEDIA_MAX_ROOMS", DEFAULT_MAX_ROOMS, 1, 10_000, problems)
        workers = _integer(env, "MEDIA_WORKERS", os.cpu_count() or 1, 1, 256, problems)
        public_url = _public_url(_value(env, "MEDIA_PUBLIC_URL"), workers, problems)
        node_id = _node_id(_value(env, "MEDIA_NODE_ID") or _default_node_id(port), problems)
        segment_seconds = _number(env, "MEDIA_SEGMENT_SECONDS", DEFAULT_SEGMENT_SECONDS, 1.0, 600.0, problems)
        forwarding = _value(env, "MEDIA_FORWARDING") or DEFAULT_FORWARDING
        if forwarding not in FORWARDING_PATHS:
            problems.append(f"MEDIA_FORWARDING must be one of {', '.join(FORWARDING_PATHS)}, got {forwarding!r}")
        grace_seconds = _number(env, "MEDIA_GRACE_SECONDS", DEFAULT_GRACE_SECONDS, 1.0, 3600.0, problems)
        drain_seconds = _number(env, "MEDIA_DRAIN_SECONDS", DEFAULT_DRAIN_SECONDS, 0.0, 86_400.0, problems)
        upload_drain_seconds = _number(
            env, "MEDIA_UPLOAD_DRAIN_SECONDS", DEFAULT_UPLOAD_DRAIN_SECONDS, 0.0, 3600.0, problems
        )
        stun_urls = _stun_urls(_value(env, "MEDIA_STUN_URLS"), problems)
        session_check_seconds = _number(
            env, "MEDIA_SESSION_CHECK_SECONDS", DEFAULT_SESSION_CHECK_SECONDS, 1.0, 60.0, problems
        )
        metrics_token = _value(env, "MEDIA_METRICS_TOKEN") or None
        if metrics_token is not None and len(metrics_token) < MIN_METRICS_TOKEN_LENGTH:
            problems.append(f"MEDIA_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} characters")
        if port + workers - 1 > 65535:
            problems.append(f"MEDIA_PORT + MEDIA_WORKERS - 1 must not exceed 65535, got {port + workers - 1}")

        if problems:
            raise ConfigError(problems)
        return cls(
            host=host,
            port=port,
            recordings_dir=recordings_dir,
            api_url=api_url,
            allowed_origins=origins,
            max_rooms=max_rooms,
            public_url=public_url,
            node_id=node_id,
            registry_table=_value(env, "MEDIA_REGISTRY_TABLE") or None,
            webhook_secret=_value(env, "MEDIA_WEBHOOK_SECRET") or None,
            recordings_bucket=_value(env, "MEDIA_RECORDINGS_BUCKET") or None,
            recordings_kms_key=_value(env, "MEDIA_RECORDINGS_KMS_KEY") or None,
            segment_seconds=segment_seconds,
            forwarding=forwarding,
            token_issuer=_value(env, "MEDIA_TOKEN_ISSUER") or DEFAULT_TOKEN_ISSUER,
            workers=workers,
            grace_seconds=grace_seconds,
            drain_seconds=drain_seconds,
            upload_drain_seconds=upload_drain_seconds,
            stun_urls=stun_urls,
            trust_loopback_proxy=_value(env, "MEDIA_TRUST_LOOPBACK_PROXY").lower() in ("1", "true", "yes"),
            metrics_token=metrics_token,
            public_peers_only=_value(env, "MEDIA_PUBLIC_PEERS_ONLY").lower() in ("1", "true", "yes"),
            session_check_seconds=session_check_seconds,
        )


def _stun_urls(raw: str, problems: list[str]) -> tuple[str, ...]:
    urls = tuple(u.strip() for u in raw.split(",") if u.strip())
    for url in urls:
        if not re.fullmatch(r"stuns?:[A-Za-z0-9.\-\[\]:]+", url):
            problems.append(f"MEDIA_STUN_URLS entries must look like stun:host[:port], got {url!r}")
    return urls


def _value(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _host(raw: str, problems: list[str]) -> str:
    try:
        ipaddress.ip_address(raw)
    except ValueError:
        if not _HOSTNAME.match(raw):
            problems.append(f"MEDIA_HOST must be an IP address or host name, got {raw!r}")
    return raw


def _port(raw: str, problems: list[str]) -> int:
    if not raw:
        return DEFAULT_PORT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 65535:
        problems.append(f"MEDIA_PORT must be an integer from 1 to 65535, got {raw!r}")
        return DEFAULT_PORT
    return int(raw)


def _recordings_dir(raw: str) -> Path:
    # The default stays out of the working tree, so running the node from a checkout never writes call recordings
    # into the repository; containers set their own volume path.
    if not raw:
        return Path(tempfile.gettempdir()) / "videoatencion-media" / "recordings"
    return Path(raw).absolute()


def _api_url(raw: str, problems: list[str]) -> str | None:
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        problems.append(f"MEDIA_API_URL must be an http(s) URL without query or fragment, got {raw!r}")
        return None
    return raw.rstrip("/")


def _origins(raw: str, problems: list[str]) -> tuple[str, ...]:
    origins: list[str] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        parts = urlsplit(item)
        # Browsers send the Origin header as scheme://host[:port] and CORS compares it verbatim.
        if parts.scheme not in ("http", "https") or not parts.netloc or item != f"{parts.scheme}://{parts.netloc}":
            problems.append(
                f"MEDIA_ALLOWED_ORIGINS entries must look like https://host[:port] (no path or slash), got {item!r}"
            )
            continue
        origins.append(item)
    return tuple(origins)


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int, problems: list[str]) -> int:
    raw = _value(env, name)
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        problems.append(f"{name} must be an integer from {low} to {high}, got {raw!r}")
        return default
    return int(raw)


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float, problems: list[str]) -> float:
    raw = _value(env, name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not raw.isascii() or not math.isfinite(value) or not low <= value <= high:
        problems.append(f"{name} must be a number of seconds from {low:g} to {high:g}, got {raw!r}")
        return default
    return value


def _public_url(raw: str, workers: int, problems: list[str]) -> str | None:
    if not raw:
        return None
    parts = urlsplit(raw.replace("{port}", "1").replace("{worker}", "0"))
    try:
        explicit_port = parts.port
    except ValueError:
        explicit_port = None
        problems.append(f"MEDIA_PUBLIC_URL has an invalid port, got {raw!r}")
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        problems.append(f"MEDIA_PUBLIC_URL must be an http(s) URL without query or fragment, got {raw!r}")
        return None
    if workers > 1 and explicit_port is None and "{port}" not in raw and "{worker}" not in raw:
        problems.append(
            "MEDIA_PUBLIC_URL must name a port, or contain {port} or {worker}, when MEDIA_WORKERS > 1 "
            f"(each worker is a node of its own), got {raw!r}"
        )
    return raw.rstrip("/")


def _worker_url(template: str, index: int, port: int, base_port: int) -> str:
    if "{port}" in template or "{worker}" in template:
        return template.replace("{port}", str(port)).replace("{worker}", str(index))
    parts = urlsplit(template)
    public_port = (parts.port or base_port) + index
    netloc = parts.netloc.rsplit(":", 1)[0] if parts.port is not None else parts.netloc
    return urlunsplit((parts.scheme, f"{netloc}:{public_port}", parts.path, "", ""))


def _default_node_id(port: int) -> str:
    # A container's host name is its task's; outside one, the port tells two local nodes apart.
    hostname = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:80] or "media-node"
    return f"{hostname}-{port}"


def _node_id(raw: str, problems: list[str]) -> str:
    if not _NODE_ID.match(raw):
        problems.append(f"MEDIA_NODE_ID must be 1-100 letters, digits and . _ : -, got {raw!r}")
    return raw
