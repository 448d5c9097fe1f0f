"""The one description of Videoatención's AWS data resources.

Both the CDK app (``infra/stacks``) and the local provisioner (``dev/provision.py``, which builds the same
resources on moto's server) read this module, so local and production cannot drift. It is plain data: no
AWS library is imported here.

Physical names follow ``videoatencion-{stage}-{name}``; the API reads them from the environment variables
named in ``env`` (see ``.chalice/config.json``; a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PROJECT = "videoatencion"

KeyType = Literal["S", "N", "B"]


@dataclass(frozen=True)
class Key:
    name: str
    type: KeyType = "S"


@dataclass(frozen=True)
class Index:
    """A global secondary index (projection ALL: our indexes serve whole-item reads)."""

    name: str
    partition: Key
    sort: Key | None = None


@dataclass(frozen=True)
class Table:
    name: str
    env: str
    purpose: str
    partition: Key
    sort: Key | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    stream: bool = False
    kms_key: str = "data"


@dataclass(frozen=True)
class Bucket:
    name: str
    env: str
    purpose: str
    versioned: bool = True
    # Object Lock must be enabled when the bucket is created; mode + default retention apply to new versions.
    object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] | None = None
    object_lock_days: int = 0
    kms_key: str = "data"


@dataclass(frozen=True)
class KmsKey:
    name: str
    env: str
    purpose: str
    spec: Literal["SYMMETRIC_DEFAULT", "ECC_NIST_P256", "RSA_2048"] = "SYMMETRIC_DEFAULT"
    usage: Literal["ENCRYPT_DECRYPT", "SIGN_VERIFY"] = "ENCRYPT_DECRYPT"


@dataclass(frozen=True)
class Parameter:
    """An SSM parameter under ``/videoatencion/{stage}/``.

    ``secure`` parameters are SecureStrings: production values are put by operators (never in a template);
    the local stack fills them with the ``dev_value`` given here, which is never a real secret.
    """

    name: str
    env: str
    purpose: str
    dev_value: str
    secure: bool = False


@dataclass(frozen=True)
class EmailIdentity:
    address_env: str
    purpose: str
    dev_address: str


@dataclass(frozen=True)
class Resources:
    tables: tuple[Table, ...]
    buckets: tuple[Bucket, ...]
    keys: tuple[KmsKey, ...]
    parameters: tuple[Parameter, ...]
    email_identities: tuple[EmailIdentity, ...] = field(default_factory=tuple)

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


def physical_name(stage: str, name: str) -> str:
    return f"{PROJECT}-{stage}-{name}"


def parameter_path(stage: str, name: str) -> str:
    return f"/{PROJECT}/{stage}/{name}"


def origin_secret_name(stage: str) -> str:
    """The Secrets Manager secret CloudFront sends to the API in ``X-Origin-Verify`` (no such secret in dev)."""
    return f"{PROJECT}/{stage}/origin-verify"


def key_alias(stage: str, name: str) -> str:
    return f"alias/{PROJECT}-{stage}-{name}"


RESOURCES = Resources(
    tables=(
        Table(
            name="catalogue",
            env="TABLE_CATALOGUE",
            purpose="Offices (opening hours, holidays) and services: pk = kind (OFFICE | SERVICE | CALENDAR), sk = id",
            partition=Key("kind"),
            sort=Key("id"),
        ),
        Table(
            name="staff",
            env="TABLE_STAFF",
            purpose="Staff accounts: roles, office, weekly schedules with exceptions, credentials",
            partition=Key("username"),
            indexes=(Index("by_office", Key("office"), Key("username")),),
        ),
        Table(
            name="appointments",
            env="TABLE_APPOINTMENTS",
            purpose="Appointments: who, which service, when (UTC instants), status, reminders sent, outcome",
            partition=Key("id"),
            indexes=(
                Index("by_citizen", Key("citizen"), Key("start")),
                Index("by_office_day", Key("office_day"), Key("start")),
            ),
            stream=True,
        ),
        Table(
            name="booking",
            env="TABLE_BOOKING",
            purpose="Capacity taken per office and 5-minute unit (CAP#office#month / unit), citizens' active bookings, "
            "the waitlist (WL#service, its entries' owners and offers: TTL)",
            partition=Key("pk"),
            sort=Key("sk"),
            ttl_attribute="expires_at",
        ),
        Table(
            name="padron",
            env="TABLE_PADRON",
            purpose="The municipal register of inhabitants (padrón): people and their households",
            partition=Key("person_id"),
            indexes=(
                Index("by_id_number", Key("id_number")),
                Index("by_household", Key("household_id"), Key("person_id")),
            ),
        ),
        Table(
            name="tax-ledger",
            env="TABLE_TAX_LEDGER",
            purpose="Tax ledger per taxpayer: tax objects, receipts, debts, domiciliations (sk: OBJ#, RCPT#, DEBT#)",
            partition=Key("taxpayer_id"),
            sort=Key("item_id"),
        ),
        Table(
            name="audit",
            env="TABLE_AUDIT",
            purpose="Audit events, append-only: pk = day (Europe/Madrid), sk = time#event id",
            partition=Key("day"),
            sort=Key("sk"),
            indexes=(
                Index("by_actor", Key("actor"), Key("at")),
                Index("by_subject", Key("subject"), Key("at")),
                Index("by_data_subject", Key("data_subject"), Key("at")),
            ),
            stream=True,
        ),
        Table(
            name="trail",
            env="TABLE_TRAIL",
            purpose="Delivery state of the audit trail: the delivery cursor, each delivered log file (hash, events) "
            "and the head of the signed digest chain; conditional writes keep one writer and one chain",
            partition=Key("pk"),
            sort=Key("sk"),
        ),
        Table(
            name="records",
            env="TABLE_RECORDS",
            purpose="Retention register of recordings and documents: objects, procedure types, retain-until, legal "
            "hold, deletion (sparse index `live` = records the retention sweep still has to look at)",
            partition=Key("id"),
            indexes=(
                Index("by_appointment", Key("appointment_id"), Key("created_at")),
                Index("by_day", Key("day"), Key("start")),
                Index("live", Key("live"), Key("retain_until")),
            ),
        ),
        Table(
            name="auth",
            env="TABLE_AUTH",
            purpose="Sign-in state: one-time code challenges, rate-limit counters, sessions (jti), eID state",
            partition=Key("pk"),
            sort=Key("sk"),
            ttl_attribute="expires_at",
        ),
        Table(
            name="notifications",
            env="TABLE_NOTIFICATIONS",
            purpose="Every email/SMS handed to SES/SNS: message id, channel, template, time (no body: codes)",
            partition=Key("message_id"),
            ttl_attribute="expires_at",
        ),
        Table(
            name="calls",
            env="TABLE_CALLS",
            purpose="Video calls per appointment: room, media node, live state (CALL), node reports seen (EVT#, TTL), "
            "recordings (REC#room: manifest key and hash)",
            partition=Key("appointment_id"),
            sort=Key("sk"),
            ttl_attribute="expires_at",
        ),
        Table(
            name="media-nodes",
            env="TABLE_MEDIA_NODES",
            purpose="Media node registry: each node's URL, load and heartbeat (TTL; readers also skip stale ones)",
            partition=Key("node_id"),
            ttl_attribute="expires_at",
        ),
        Table(
            name="procedures",
            env="TABLE_PROCEDURES",
            purpose="Procedures carried out in appointments: type, validated data, status (awaiting consent, issued), "
            "consent record, documents issued",
            partition=Key("id"),
            indexes=(Index("by_appointment", Key("appointment_id"), Key("created_at")),),
        ),
        Table(
            name="documents",
            env="TABLE_DOCUMENTS",
            purpose="Issued documents: CSV, SHA-256, S3 key, issue time, availability period, holder (for the padrón "
            "check on verification), owner citizen",
            partition=Key("id"),
            indexes=(
                Index("by_csv", Key("csv")),
                Index("by_owner", Key("owner"), Key("issued_at")),
                Index("by_appointment", Key("appointment_id"), Key("issued_at")),
            ),
        ),
        Table(
            name="idempotency",
            env="TABLE_IDEMPOTENCY",
            purpose="Powertools idempotency records for creates (Idempotency-Key)",
            partition=Key("id"),
            ttl_attribute="expiration",
        ),
    ),
    buckets=(
        Bucket(
            name="audit",
            env="BUCKET_AUDIT",
            purpose="Audit log files and signed digest files",
            object_lock_mode="COMPLIANCE",
            object_lock_days=365 * 6,
        ),
        Bucket(
            name="recordings",
            env="BUCKET_RECORDINGS",
            purpose="Call recordings (WebM segments) and their manifests",
            object_lock_mode="GOVERNANCE",
            object_lock_days=30,
        ),
        Bucket(
            name="documents",
            env="BUCKET_DOCUMENTS",
            purpose="Issued documents (sealed PDFs with CSV) and uploaded supporting documents",
            object_lock_mode="GOVERNANCE",
            object_lock_days=365 * 5,
        ),
    ),
    keys=(
        KmsKey(name="data", env="KMS_DATA_KEY", purpose="Encryption at rest of tables and buckets"),
        KmsKey(
            name="signing",
            env="KMS_SIGNING_KEY",
            purpose="Signs access tokens (rotates; old keys verify until their tokens expire)",
            spec="ECC_NIST_P256",
            usage="SIGN_VERIFY",
        ),
        KmsKey(
            name="trail",
            env="KMS_TRAIL_KEY",
            purpose="Signs the audit trail's digest files (CloudTrail-style chain); long-lived, verifiable with its "
            "public key alone",
            spec="ECC_NIST_P256",
            usage="SIGN_VERIFY",
        ),
        KmsKey(
            name="seal",
            env="KMS_SEAL_KEY",
            purpose="The council's electronic seal of issued documents (PAdES); long-lived like its certificate, "
            "unlike the token keys, which rotate",
            spec="ECC_NIST_P256",
            usage="SIGN_VERIFY",
        ),
    ),
    parameters=(
        Parameter(
            name="council-name",
            env="PARAM_COUNCIL_NAME",
            purpose="The council's name as printed on documents and messages",
            dev_value="Ajuntament de Vilademo",
        ),
        Parameter(
            name="auth/otp-pepper",
            env="PARAM_OTP_PEPPER",
            purpose="Secret key of the HMAC under which one-time codes are stored",
            dev_value="dev-only-otp-pepper",
            secure=True,
        ),
        Parameter(
            name="audit/pseudonym-key",
            env="PARAM_PSEUDONYM_KEY",
            purpose="Secret key of the HMAC under which citizens' ID numbers appear in the audit trail",
            dev_value="dev-only-pseudonym-key",
            secure=True,
        ),
        Parameter(
            name="eid/client-secret",
            env="PARAM_EID_CLIENT_SECRET",
            purpose="OAuth2 client secret at the eID provider",
            dev_value="dev-only-not-a-secret",
            secure=True,
        ),
        Parameter(
            name="media/webhook-secret",
            env="PARAM_MEDIA_WEBHOOK_SECRET",
            purpose="Shared secret of the HMAC with which media nodes sign their reports to the API",
            dev_value="dev-only-media-webhook-secret",
            secure=True,
        ),
        Parameter(
            name="media/turn-secret",
            env="PARAM_TURN_SECRET",
            purpose="Shared secret of the TURN server's REST credentials (coturn use-auth-secret)",
            dev_value="dev-only-turn-secret",
            secure=True,
        ),
    ),
    email_identities=(
        EmailIdentity(
            address_env="SENDER_EMAIL",
            purpose="Sender of confirmations, reminders and one-time codes",
            dev_address="no-reply@vilademo.example",
        ),
    ),
)
