"""Media node configuration: the environment parsed once into one frozen dataclass.

Bad values fail at start with every problem listed at once, so an operator fixes a task definition in one go.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8081
DEFAULT_ALLOWED_ORIGINS = ("http://127.0.0.1:8080", "http://localhost:8080")

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

        if problems:
            raise ConfigError(problems)
        return cls(
            host=host,
            port=port,
            recordings_dir=recordings_dir,
            api_url=api_url,
            allowed_origins=origins,
        )


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
