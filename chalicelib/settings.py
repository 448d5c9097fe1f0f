"""Environment → one frozen ``Settings``, read on first use.

Not at import: Chalice's test client only patches ``os.environ`` while a request runs, and a Lambda cold start
should not pay for configuration the first request does not need. Bad or missing configuration fails on first use
with every problem named at once.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass

LANGUAGES = ("ca", "es", "en")


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete or wrong: a deployment bug, never the caller's fault."""


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    timezone: str
    table_catalogue: str
    table_audit: str
    aws_endpoint_url: str | None = None
    catalogue_cache_seconds: int = 60

    @property
    def is_dev(self) -> bool:
        return self.stage == "dev"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        required = {
            "stage": "STAGE",
            "table_catalogue": "TABLE_CATALOGUE",
            "table_audit": "TABLE_AUDIT",
        }
        problems = []
        missing = [var for var in required.values() if not environ.get(var)]
        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
        if not region:
            missing.append("AWS_REGION")
        if missing:
            problems.append(f"missing environment variables: {', '.join(sorted(missing))}")
        cache = environ.get("CATALOGUE_CACHE_SECONDS", "60")
        if not (cache.isascii() and cache.isdigit()):
            problems.append("CATALOGUE_CACHE_SECONDS must be a whole number of seconds")
        if problems:
            raise ConfigurationError("; ".join(problems))
        return cls(
            stage=environ["STAGE"],
            region=str(region),
            timezone=environ.get("COUNCIL_TIMEZONE", "Europe/Madrid"),
            table_catalogue=environ["TABLE_CATALOGUE"],
            table_audit=environ["TABLE_AUDIT"],
            aws_endpoint_url=environ.get("AWS_ENDPOINT_URL") or None,
            catalogue_cache_seconds=int(cache),
        )


@functools.cache
def get_settings() -> Settings:
    return Settings.from_environ(os.environ)
