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
from typing import Any

# The council's time zone, unless the stage's COUNCIL_TIMEZONE names another: its calendar days (the records' days,
# the trail's partitions) and the times printed on its documents. An office's own hours are in the office's zone.
DEFAULT_TIMEZONE = "Europe/Madrid"


def council_timezone(environ: Mapping[str, str]) -> str:
    return environ.get("COUNCIL_TIMEZONE", DEFAULT_TIMEZONE)


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete or wrong: a deployment bug, never the caller's fault."""


@dataclass(frozen=True)
class EidSettings:
    """The OAuth 2.0 identity provider (Catalonia's gateway in production, the fake one locally)."""

    authorize_url: str
    token_url: str
    userinfo_url: str
    client_id: str
    client_secret_parameter: str


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    timezone: str
    table_catalogue: str
    table_audit: str
    table_auth: str = ""
    table_staff: str = ""
    table_padron: str = ""
    table_notifications: str = ""
    table_appointments: str = ""
    table_booking: str = ""
    table_idempotency: str = ""
    table_calls: str = ""
    table_tax_ledger: str = ""
    table_procedures: str = ""
    table_documents: str = ""
    bucket_documents: str = ""
    data_key: str = ""
    # The council's electronic seal key (documents); the token-signing key when no separate one is configured.
    seal_key: str = ""
    council_name_parameter: str = ""
    # How long an issued document can be fetched and verified by its CSV (then only through the records office).
    document_available_days: int = 365
    table_media_nodes: str = ""
    # Nobody can hoard slots: active appointments one citizen may hold at once.
    max_active_appointments: int = 3
    # How many people waiting are offered a freed slot at once (the first to accept gets it).
    waitlist_batch_size: int = 3
    signing_key: str = ""
    # Keys whose tokens still verify after a rotation (until those tokens expire); the signing key is always one.
    verify_keys: tuple[str, ...] = ()
    otp_pepper_parameter: str = ""
    sender_email: str = ""
    public_base_url: str = ""
    eid: EidSettings | None = None
    aws_endpoint_url: str | None = None
    catalogue_cache_seconds: int = 60
    issuer: str = "videoatencion"
    citizen_token_minutes: int = 30
    staff_token_hours: int = 8
    staff_idle_minutes: int = 30
    # Asking for a code takes at least this long, whoever asks (no enumeration by timing).
    auth_min_response_ms: int = 400
    media_webhook_secret_parameter: str = ""
    turn_secret_parameter: str = ""
    # ICE servers handed to call participants: STUN URLs, and TURN URLs with short-lived credentials.
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_credential_minutes: int = 60
    # Records (issue 7): the trail's tables, buckets and keys, and its timing.
    table_trail: str = ""
    table_records: str = ""
    bucket_audit: str = ""
    bucket_recordings: str = ""
    trail_key: str = ""
    pseudonym_key_parameter: str = ""
    # Events reach a log file this long after they happen at the latest (plus the delivery schedule's period): the
    # longest a request can take between stamping an event and writing it, so no late write is ever skipped.
    trail_settle_seconds: int = 30
    # A signed digest per period, even an empty one (CloudTrail: hourly).
    digest_period_seconds: int = 3600
    # Object Lock (COMPLIANCE) retention of log and digest files.
    trail_retention_days: int = 2190
    # The Secrets Manager secret whose value CloudFront sends in ``X-Origin-Verify``: set, the API refuses every
    # request that did not come through CloudFront (API Gateway is reachable directly and the WAF sits on
    # CloudFront) and counts requests by the viewer address CloudFront wrote. Every stage but dev must set it.
    origin_secret_id: str = ""

    @property
    def is_dev(self) -> bool:
        return self.stage == "dev"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        required = {
            "stage": "STAGE",
            "table_catalogue": "TABLE_CATALOGUE",
            "table_audit": "TABLE_AUDIT",
            "table_auth": "TABLE_AUTH",
            "table_staff": "TABLE_STAFF",
            "table_padron": "TABLE_PADRON",
            "table_notifications": "TABLE_NOTIFICATIONS",
            "table_appointments": "TABLE_APPOINTMENTS",
            "table_booking": "TABLE_BOOKING",
            "table_idempotency": "TABLE_IDEMPOTENCY",
            "signing_key": "KMS_SIGNING_KEY",
            "otp_pepper_parameter": "PARAM_OTP_PEPPER",
            "sender_email": "SENDER_EMAIL",
            "public_base_url": "PUBLIC_BASE_URL",
        }
        problems = []
        missing = [var for var in required.values() if not environ.get(var)]
        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
        if not region:
            missing.append("AWS_REGION")
        if missing:
            problems.append(f"missing environment variables: {', '.join(sorted(missing))}")
        numbers = {}
        for field, var, default in (
            ("catalogue_cache_seconds", "CATALOGUE_CACHE_SECONDS", "60"),
            ("citizen_token_minutes", "CITIZEN_TOKEN_MINUTES", "30"),
            ("staff_token_hours", "STAFF_TOKEN_HOURS", "8"),
            ("staff_idle_minutes", "STAFF_IDLE_MINUTES", "30"),
            ("auth_min_response_ms", "AUTH_MIN_RESPONSE_MS", "400"),
            ("max_active_appointments", "MAX_ACTIVE_APPOINTMENTS", "3"),
            ("waitlist_batch_size", "WAITLIST_BATCH_SIZE", "3"),
            ("turn_credential_minutes", "TURN_CREDENTIAL_MINUTES", "60"),
            ("document_available_days", "DOCUMENT_AVAILABLE_DAYS", "365"),
            ("trail_settle_seconds", "TRAIL_SETTLE_SECONDS", "30"),
            ("digest_period_seconds", "DIGEST_PERIOD_SECONDS", "3600"),
            ("trail_retention_days", "TRAIL_RETENTION_DAYS", "2190"),
        ):
            raw = environ.get(var, default)
            if not (raw.isascii() and raw.isdigit()):
                problems.append(f"{var} must be a whole number")
            else:
                numbers[field] = int(raw)
        eid_vars = ("EID_AUTHORIZE_URL", "EID_TOKEN_URL", "EID_USERINFO_URL", "EID_CLIENT_ID")
        eid = None
        if all(environ.get(v) for v in eid_vars) and environ.get("PARAM_EID_CLIENT_SECRET"):
            eid = EidSettings(
                authorize_url=environ["EID_AUTHORIZE_URL"],
                token_url=environ["EID_TOKEN_URL"],
                userinfo_url=environ["EID_USERINFO_URL"],
                client_id=environ["EID_CLIENT_ID"],
                client_secret_parameter=environ["PARAM_EID_CLIENT_SECRET"],
            )
        if environ.get("STAGE", "dev") != "dev" and not environ.get("ORIGIN_SECRET_ID"):
            problems.append("ORIGIN_SECRET_ID is required outside dev (only CloudFront may reach the API)")
        if problems:
            raise ConfigurationError("; ".join(problems))
        signing = environ["KMS_SIGNING_KEY"]
        listed = (k.strip() for k in environ.get("KMS_VERIFY_KEYS", "").split(","))
        previous = tuple(k for k in listed if k and k != signing)
        values: dict[str, Any] = {field: environ[var] for field, var in required.items()}
        values.update(numbers)
        return cls(
            table_calls=environ.get("TABLE_CALLS", ""),
            table_tax_ledger=environ.get("TABLE_TAX_LEDGER", ""),
            table_procedures=environ.get("TABLE_PROCEDURES", ""),
            table_documents=environ.get("TABLE_DOCUMENTS", ""),
            bucket_documents=environ.get("BUCKET_DOCUMENTS", ""),
            data_key=environ.get("KMS_DATA_KEY", ""),
            seal_key=environ.get("KMS_SEAL_KEY", ""),
            council_name_parameter=environ.get("PARAM_COUNCIL_NAME", ""),
            table_media_nodes=environ.get("TABLE_MEDIA_NODES", ""),
            table_trail=environ.get("TABLE_TRAIL", ""),
            table_records=environ.get("TABLE_RECORDS", ""),
            bucket_audit=environ.get("BUCKET_AUDIT", ""),
            bucket_recordings=environ.get("BUCKET_RECORDINGS", ""),
            trail_key=environ.get("KMS_TRAIL_KEY", ""),
            pseudonym_key_parameter=environ.get("PARAM_PSEUDONYM_KEY", ""),
            origin_secret_id=environ.get("ORIGIN_SECRET_ID", ""),
            media_webhook_secret_parameter=environ.get("PARAM_MEDIA_WEBHOOK_SECRET", ""),
            turn_secret_parameter=environ.get("PARAM_TURN_SECRET", ""),
            stun_urls=_urls(environ.get("MEDIA_STUN_URLS", "")),
            turn_urls=_urls(environ.get("MEDIA_TURN_URLS", "")),
            region=str(region),
            timezone=council_timezone(environ),
            aws_endpoint_url=environ.get("AWS_ENDPOINT_URL") or None,
            verify_keys=(signing, *previous),
            eid=eid,
            **values,
        )


def _urls(raw: str) -> tuple[str, ...]:
    return tuple(u.strip() for u in raw.split(",") if u.strip())


@functools.cache
def get_settings() -> Settings:
    return Settings.from_environ(os.environ)
