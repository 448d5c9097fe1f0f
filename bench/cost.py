"""What it costs the council: the monthly AWS bill of a stage, from its ``StageConfig`` and a volume (issue 17).

Prices: ``bench/prices.toml`` (one dated file; each price names its page and how sure it is). Volume: ``Volume``
below, every figure stated with where it comes from. The stack's own figures are read from the code, never copied:
media node size, minimum nodes and rooms per node from ``infra/stages.py`` (``StageConfig``); KMS keys, buckets and
tables from ``infra/resources.py``; retention periods from ``chalicelib/config/retention.json``; the SMS and emails
an appointment causes from the booking, identity, procedures and waitlist services, and the SMS texts themselves from
``chalicelib/domain/messages.py`` (segments counted by ``chalicelib/domain/sms.py``).

The bill is the one of month ``Volume.month`` of the contract (the 24th, its last, by default): storage that is kept
for years has piled up by then.

Goal (issue 17): at 2,000 recorded appointments a month, at most 10 % of the tender's monthly budget (VAT included).

Run: ``python -m bench.cost [--stage prod] [-c field=value ...]`` (part of ``python -m bench``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain import sms
from chalicelib.domain.messages import appointment_sms, code_sms, consent_message, waitlist_sms
from chalicelib.domain.retention import Period, RetentionRules
from infra.resources import RESOURCES
from infra.stages import StageConfig

PRICES = Path(__file__).with_name("prices.toml")
ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "dev" / "demo" / "catalogue.json"
VOLUMES = (500, 2_000, 10_000)
GOAL_SHARE = 0.10
GOAL_AT = 2_000
HOURS_PER_MONTH = 730.0
# USD per SMS segment to Spain, low and high, for the sensitivity line (bench/prices.toml's note).
SMS_PRICE_RANGE = (0.06, 0.10)
# What the media benchmark holds in one node worker process on the RTP path (bench/media.py, README.md "Scaling"):
# 16 recorded calls at 30 fps with a third of a core (the packets path held 4 at 30 fps on 2 cores). The autoscaling
# aims at StageConfig.media_target_rooms_per_node (12 on a 1-vCPU node): the model sizes nodes with the latter.
MEASURED_CALLS_PER_NODE = 16
# infra/stacks/media/turn.py: TURN_TASKS, TURN_CPU_UNITS, TURN_MEMORY_MB (not imported: that module needs the CDK).
TURN_TASKS, TURN_VCPU, TURN_MEMORY_GB = 2, 1.0, 2.0
# app.py: the scheduled functions and their rates, a month's invocations: reminders every 5 min, trail every minute,
# retention daily.
SCHEDULED_INVOCATIONS = 8_760 + 43_800 + 30
# The audit trail (chalicelib/services/trail.py): a log file a minute at most, a signed digest an hour
# (Settings.digest_period_seconds).
TRAIL_FILES_PER_MONTH = 43_800
DIGESTS_PER_MONTH = 730
# infra/stacks/web_stack.py _web_acl: 3 blocking rules, 2 rate rules for each of sign-in and booking, 2 managed groups.
WAF_RULES = 9
# infra/stacks/observability_stack.py: alarms (5xx, throttles, media CPU, failed recordings, and per scheduled
# function errors) and one dashboard; the nodes' EMF metrics Rooms and Participants.
ALARMS = 7
CUSTOM_METRICS = 2
# Secrets Manager: the CloudFront origin header (api_stack.py), the media TLS secret (the operator's), TURN's.
SECRETS = 3
# The base of every link an SMS carries (its length counts): a council's usual address.
PUBLIC_BASE_URL = "https://cita.vilademo.cat"
LINK_TOKEN_CHARS = 22  # chalicelib/services/links.py TOKEN_BYTES = 16, URL-safe base64
SMS_LINK = f"{PUBLIC_BASE_URL}/l#token={'x' * LINK_TOKEN_CHARS}"
# A Tuesday morning in March, in Madrid: the date's width is the same all year.
SAMPLE_TIME = datetime(2026, 3, 10, 9, 30, tzinfo=ZoneInfo("Europe/Madrid"))


@dataclass(frozen=True)
class Volume:
    """A month's use. Figures without a source in the code are assumptions, stated as such."""

    recorded_appointments: int
    # Booked appointments per recorded one: cancelled or no-show appointments still send their messages (eta bench:
    # 10 % no-show; cancellations assumed as many).
    booked_per_recorded: float = 1.2
    # Minutes of a call: the eta bench's scenario, median 0.8 x the 15-minute slot.
    call_minutes: float = 12.0
    # Contacts citizens give (assumption): email only, phone only, both. SMS goes to everyone with a phone, email to
    # everyone with an email (BookingService._notify sends both when both are given).
    contact_email_only: float = 0.3
    contact_phone_only: float = 0.3
    contact_both: float = 0.4
    # Whether a citizen with both gets the SMS too (today: yes). ``False`` is one of the cuts.
    sms_when_email_too: bool = True
    # Sign-ins by code per booked appointment (some citizens sign in twice: to book, then to join), and, when both
    # contacts are known, the share who ask for the code by SMS (assumption).
    sign_ins_per_booked: float = 1.5
    code_by_sms_when_both: float = 0.5
    # Waitlist offers per recorded appointment (assumption) and the share of booked appointments cancelled (half of
    # the booked-but-not-recorded ones).
    offers_per_recorded: float = 0.1
    # Languages of the citizens (assumption for a Catalan council).
    languages: Mapping[str, float] = field(default_factory=lambda: {"ca": 0.55, "es": 0.4, "en": 0.05})
    # Procedures carried out in the calls (assumption; None = no procedure, e.g. information). Each procedure asks
    # one consent code and issues one document.
    procedures: Mapping[str | None, float] = field(
        default_factory=lambda: {
            "residence_certificate": 0.35,
            "payment_letter": 0.15,
            "direct_debit": 0.08,
            "instalment_plan": 0.07,
            None: 0.35,
        }
    )
    # Recording size: the node records both participants' VP8 640x480 video and Opus audio, ~0.6 Mbit/s each as
    # recorded (assumption: the benchmark's media averages about that), so ~9 MB a minute for the call.
    recording_mb_per_minute: float = 9.0
    recording_objects_per_minute: float = 6.0  # WebM segments of ~10 s plus the manifest (assumption)
    # What browsers receive from the media node: each of the two participants gets the other's stream (~1 Mbit/s as
    # sent, assumption).
    stream_mbit_s: float = 1.0
    # Citizens whose network blocks UDP and who go through TURN (assumption; often quoted as 5-15 %).
    turn_share: float = 0.1
    # Documents: one issued PDF per procedure (~150 KB, sealed); supporting uploads per appointment (~1.5 MB).
    document_kb: float = 150.0
    uploads_per_booked: float = 0.5
    upload_mb: float = 1.5
    # Page views of the SPA per booked appointment (citizen and agent; assumption), what a view costs from
    # CloudFront when the bundle is in the browser's cache, and the requests a view makes.
    page_views_per_booked: float = 30.0
    kb_per_page_view: float = 150.0
    requests_per_page_view: float = 4.0
    # API requests per recorded appointment: booking and sign-in (~40), the waiting room's queue poll every 5 s
    # (web/src/queue.ts, ~5 min: 60), the agent's procedures poll every 5 s during the call (12 min: 144), the
    # agent's agenda and the call's own requests (~60). Assumption built on the polls' real periods.
    api_requests_per_recorded: float = 300.0
    api_ms_per_request: float = 120.0
    api_kb_per_request: float = 3.0
    # DynamoDB on demand: per API request, read units (assumption: 2) and per booked appointment write units (the
    # booking, reminders' claims and marks, links, challenges, queue state: ~60).
    read_units_per_request: float = 2.0
    write_units_per_booked: float = 60.0
    table_gb: float = 2.0
    # KMS: Sign calls per booked appointment (access tokens at sign-in, media join tokens, links: ~6) plus one per
    # issued document (the seal); decrypts/data keys per API request with S3 bucket keys and DynamoDB's cache
    # (assumption: 0.05).
    signs_per_booked: float = 6.0
    symmetric_per_request: float = 0.05
    # CloudWatch Logs: bytes per API request (the structured request log and the app's lines), per media node-hour
    # (heartbeats and EMF every 5 s), per call on the node.
    log_bytes_per_request: float = 1_500.0
    log_bytes_per_node_hour: float = 300_000.0
    # Working pattern: recorded calls happen on working days within opening hours, with a peak hour this many times
    # the mean (assumption).
    working_days: float = 21.0
    opening_hours: float = 8.0
    peak_factor: float = 2.0
    # Audit trail: events per booked appointment and their size in the audit bucket (JSON lines, gzipped).
    audit_events_per_booked: float = 30.0
    audit_bytes_per_event: float = 300.0
    # The month of the contract whose bill this is: what is kept for years has piled up for this many months.
    month: int = 24
    # Cuts (all off: today's code and stack).
    # Recordings kept beyond their default lock moved to S3 Glacier Instant Retrieval after 30 days (a lifecycle
    # transition; today everything stays in S3 Standard).
    cold_recordings: bool = False
    # The message kinds sent by SMS to citizens who also gave an email (None: every kind, as today).
    sms_kinds: frozenset[str] | None = None
    # Media nodes while the offices are closed (scheduled scaling; today media_min_nodes all month).
    media_nodes_closed: int | None = None
    # TURN tasks (today TURN_TASKS, two for availability).
    turn_tasks: int = TURN_TASKS

    def sms_share(self) -> float:
        both = self.contact_both if self.sms_when_email_too else 0.0
        return self.contact_phone_only + both

    def email_share(self) -> float:
        return self.contact_email_only + self.contact_both


# --- prices ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prices:
    raw: Mapping[str, Any]

    @classmethod
    def load(cls, path: Path = PRICES) -> Prices:
        return cls(tomllib.loads(path.read_text(encoding="utf-8")))

    def __call__(self, section: str, key: str) -> float:
        return float(self.raw[section][key])

    @property
    def eur_per_usd(self) -> float:
        return self("meta", "eur_per_usd")

    @property
    def vat(self) -> float:
        return self("meta", "vat")

    def monthly_budget_eur(self) -> float:
        return self("meta", "tender_total_eur") / self("meta", "tender_months")

    def unsure(self) -> list[str]:
        return [
            name for name, section in self.raw.items() if isinstance(section, dict) and section.get("sure") is False
        ]


def eur_with_vat(usd: float, prices: Prices) -> float:
    """What the council pays, in euros: converted at the configured rate, VAT added."""
    return usd * prices.eur_per_usd * (1 + prices.vat)


# --- messages --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageKind:
    name: str
    per_booked: float  # how many of this message each booked appointment causes, on any channel
    channels: str  # "both": email and SMS as the contacts allow; "one": by SMS or by email (a code)
    source: str


def message_kinds(volume: Volume) -> tuple[MessageKind, ...]:
    """Messages per booked appointment, from the real code paths."""
    procedures = sum(share for name, share in volume.procedures.items() if name is not None)
    recorded_share = 1 / volume.booked_per_recorded
    cancelled = (1 - recorded_share) / 2
    return (
        MessageKind("code", volume.sign_ins_per_booked, "one", "IdentityService.request_code (code_sms)"),
        MessageKind("booked", 1.0, "both", "BookingService.book → _notify('booked')"),
        MessageKind("preflight", 1.0, "both", "send_reminders: PREFLIGHT, 48-24 h before"),
        MessageKind("reminder 24h", 1 - cancelled, "both", "send_reminders: REMINDERS '24h'"),
        MessageKind("reminder 1h", 1 - cancelled, "both", "send_reminders: REMINDERS '1h'"),
        MessageKind("cancelled", cancelled, "both", "BookingService.cancel → _notify('cancelled')"),
        MessageKind(
            "consent code", procedures * recorded_share, "one", "ProcedureService consent code (consent_message)"
        ),
        MessageKind(
            "waitlist offer",
            volume.offers_per_recorded * recorded_share,
            "both",
            "WaitlistService offer (waitlist_sms)",
        ),
    )


def sms_text(kind: str, lang: str, service: str) -> str:
    """The SMS the code sends for ``kind``, with a real service name and a link of the real length."""
    if kind == "code":
        return code_sms("123456", 10, lang)
    if kind == "consent code":
        return consent_message("123456", service, 10, lang)
    if kind == "waitlist offer":
        return waitlist_sms("offer", lang, service, SAMPLE_TIME, SMS_LINK, 15)
    appointment_kind = "reminder" if kind.startswith("reminder") else kind
    link = SMS_LINK if appointment_kind != "cancelled" else ""
    return appointment_sms(appointment_kind, lang, service, SAMPLE_TIME, link)


def service_names(lang: str) -> list[str]:
    catalogue = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return [str(s["name"].get(lang) or s["name"]["en"]) for s in catalogue["services"]]


@dataclass(frozen=True)
class Segments:
    mean: float  # segments per SMS, averaged over the languages and the catalogue's services
    ucs2_share: float


def segments_of(kind: str, languages: Mapping[str, float]) -> Segments:
    mean = ucs2 = 0.0
    for lang, weight in languages.items():
        texts = [sms_text(kind, lang, name) for name in service_names(lang)]
        mean += weight * sum(sms.segments(t) for t in texts) / len(texts)
        ucs2 += weight * sum(sms.encoding(t) == "UCS-2" for t in texts) / len(texts)
    return Segments(mean, ucs2)


@dataclass(frozen=True)
class MessageCount:
    kind: MessageKind
    segments: Segments
    sms_per_booked: float
    emails_per_booked: float


def message_counts(volume: Volume) -> list[MessageCount]:
    counts = []
    for kind in message_kinds(volume):
        if kind.channels == "one":
            by_sms = volume.contact_phone_only + volume.contact_both * volume.code_by_sms_when_both
            sms_share, email_share = by_sms, 1 - by_sms
        else:
            sms_share, email_share = volume.sms_share(), volume.email_share()
        if volume.sms_kinds is not None and kind.name not in volume.sms_kinds:
            # Those who gave no email still get it by SMS: they have nothing else.
            sms_share = volume.contact_phone_only if kind.channels == "both" else 0.0
            email_share = 1 - sms_share if kind.channels == "one" else email_share
        segments = segments_of(kind.name, volume.languages)
        counts.append(
            MessageCount(
                kind,
                segments,
                kind.per_booked * sms_share,
                kind.per_booked * email_share,
            )
        )
    return counts


# --- the bill --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineItem:
    service: str
    usd: float
    detail: str


def months(period: Period) -> float:
    return period.years * 12 + period.months + period.days / 30.4


def kept_months(period: Period, month: int) -> float:
    """How many months' worth of objects kept for ``period`` are stored in month ``month`` of the contract."""
    return min(months(period), float(month))


def media_nodes(config: StageConfig, volume: Volume) -> tuple[int, float]:
    """(nodes at the peak hour, node-hours in the month): ``media_min_nodes`` all month, more during opening hours
    when the peak's concurrent calls need them (``media_target_rooms_per_node`` each)."""
    open_hours = volume.working_days * volume.opening_hours
    mean_concurrent = volume.recorded_appointments * volume.call_minutes / 60 / open_hours
    peak = mean_concurrent * volume.peak_factor
    needed = min(config.media_max_nodes, math.ceil(peak / config.media_target_rooms_per_node))
    nodes = max(config.media_min_nodes, needed)
    closed = config.media_min_nodes if volume.media_nodes_closed is None else volume.media_nodes_closed
    return nodes, closed * (HOURS_PER_MONTH - open_hours) + nodes * open_hours


@dataclass(frozen=True)
class Storage:
    """What the buckets hold in month ``Volume.month``, in GB."""

    new_recordings_gb: float  # a month's recordings
    recordings_gb: float
    cold_recordings_gb: float  # of which in Glacier Instant Retrieval (the cut)
    documents_gb: float
    audit_gb: float


def storage(volume: Volume, rules: RetentionRules) -> Storage:
    """Each kind of object kept as its retention rule says (recordings: their procedure's period, or the default;
    documents: their procedure's; uploads without a procedure: attachment_default; audit: its Object Lock). Object
    Lock keeps no copy: a locked version is the object itself, and no bucket is replicated."""
    recorded = volume.recorded_appointments
    booked = recorded * volume.booked_per_recorded
    recording_gb = recorded * volume.call_minutes * volume.recording_mb_per_minute / 1024
    stored_recordings = sum(
        share
        * recording_gb
        * kept_months(rules.recording_default if name is None else rules.procedures[name].recording, volume.month)
        for name, share in volume.procedures.items()
    )
    # Glacier Instant Retrieval bills at least 90 days: only recordings kept longer go there, after their first month.
    cold_recordings = (
        sum(
            share * recording_gb * (kept_months(rules.procedures[name].recording, volume.month) - 1)
            for name, share in volume.procedures.items()
            if name is not None and months(rules.procedures[name].recording) > 3
        )
        if volume.cold_recordings
        else 0.0
    )
    document_gb = volume.document_kb / 1024 / 1024
    stored_documents = sum(
        share * recorded * document_gb * kept_months(rules.procedures[name].documents, volume.month)
        for name, share in volume.procedures.items()
        if name is not None
    ) + sum(
        share
        * booked
        * volume.uploads_per_booked
        * volume.upload_mb
        / 1024
        * kept_months(rules.attachment_default if name is None else rules.procedures[name].documents, volume.month)
        for name, share in volume.procedures.items()
    )
    audit_bucket = next(b for b in RESOURCES.buckets if b.name == "audit")
    stored_audit = (
        booked
        * volume.audit_events_per_booked
        * volume.audit_bytes_per_event
        / 1024**3
        * min(audit_bucket.object_lock_days / 30.4, volume.month)
    )
    return Storage(recording_gb, stored_recordings, cold_recordings, stored_documents, stored_audit)


def bill(config: StageConfig, volume: Volume, prices: Prices, rules: RetentionRules | None = None) -> list[LineItem]:
    """The month's line items in USD."""
    rules = rules or RetentionRules.load()
    p = prices
    recorded = volume.recorded_appointments
    booked = recorded * volume.booked_per_recorded
    items: list[LineItem] = []

    # API: Lambda and API Gateway.
    requests = recorded * volume.api_requests_per_recorded
    invocations = requests + SCHEDULED_INVOCATIONS
    gb_seconds = (
        (requests * volume.api_ms_per_request + SCHEDULED_INVOCATIONS * 500) / 1000 * config.api_memory_mb / 1024
    )
    items.append(
        LineItem(
            "Lambda",
            invocations / 1e6 * p("lambda", "per_million_requests") + gb_seconds * p("lambda", "per_gb_second"),
            f"{invocations:,.0f} invocations, {gb_seconds:,.0f} GB-s at {config.api_memory_mb} MB",
        )
    )
    items.append(
        LineItem(
            "API Gateway",
            requests / 1e6 * p("api_gateway", "per_million_requests"),
            f"{requests:,.0f} REST requests ({volume.api_requests_per_recorded:.0f} per recorded appointment)",
        )
    )

    # DynamoDB on demand.
    reads = requests * volume.read_units_per_request
    writes = booked * volume.write_units_per_booked
    items.append(
        LineItem(
            "DynamoDB",
            writes / 1e6 * p("dynamodb", "per_million_write_units")
            + reads / 1e6 * p("dynamodb", "per_million_read_units")
            + volume.table_gb
            * len(RESOURCES.tables)
            / 10
            * (p("dynamodb", "storage_gb_month") + p("dynamodb", "pitr_gb_month")),
            f"{writes:,.0f} WRU, {reads:,.0f} RRU, on demand; PITR on",
        )
    )

    # S3: recordings kept per retention rule, documents, audit, all S3 Standard (no lifecycle transition).
    store = storage(volume, rules)
    stored_recordings, cold_recordings = store.recordings_gb, store.cold_recordings_gb
    stored_documents, stored_audit, recording_gb = store.documents_gb, store.audit_gb, store.new_recordings_gb
    stored = stored_recordings + stored_documents + stored_audit
    puts = recorded * volume.call_minutes * volume.recording_objects_per_minute + booked * 5 + TRAIL_FILES_PER_MONTH
    gets = recorded * 2 + booked * 2
    items.append(
        LineItem(
            "S3",
            (stored - cold_recordings) * p("s3", "standard_gb_month")
            + cold_recordings * p("s3", "glacier_ir_gb_month")
            + puts / 1000 * p("s3", "per_thousand_put")
            + gets / 1000 * p("s3", "per_thousand_get"),
            f"month {volume.month}: recordings {stored_recordings:,.0f} GB (+{recording_gb:,.0f}/month; "
            f"{cold_recordings:,.0f} GB in Glacier IR, the rest Standard), "
            f"documents {stored_documents:,.0f} GB, audit {stored_audit:,.1f} GB; Object Lock keeps no copies",
        )
    )

    # KMS: customer-managed keys and their requests.
    procedures = sum(share for name, share in volume.procedures.items() if name is not None)
    signs = booked * volume.signs_per_booked + recorded * procedures + DIGESTS_PER_MONTH
    # A symmetric key's yearly automatic rotation adds 1 USD a month for each of its first two rotations.
    rotations = sum(1 for k in RESOURCES.keys if k.usage == "ENCRYPT_DECRYPT") * min(volume.month // 12, 2)
    symmetric = requests * volume.symmetric_per_request + puts
    items.append(
        LineItem(
            "KMS",
            (len(RESOURCES.keys) + rotations) * p("kms", "per_key_month")
            + signs / 1e4 * p("kms", "per_10k_asymmetric")
            + symmetric / 1e4 * p("kms", "per_10k_symmetric"),
            f"{len(RESOURCES.keys)} keys (+{rotations} rotations), {signs:,.0f} signatures, "
            f"{symmetric:,.0f} symmetric requests",
        )
    )

    # Media nodes on Fargate, with their public IPv4 addresses.
    nodes, node_hours = media_nodes(config, volume)
    vcpu, memory_gb = config.media_cpu_units / 1024, config.media_memory_mb / 1024
    items.append(
        LineItem(
            "Fargate media nodes",
            node_hours * (vcpu * p("fargate", "per_vcpu_hour") + memory_gb * p("fargate", "per_gb_hour")),
            f"{config.media_min_nodes} nodes always, {nodes} at the peak ({config.media_target_rooms_per_node} "
            f"calls/node); {node_hours:,.0f} node-hours of {vcpu:g} vCPU, {memory_gb:g} GB",
        )
    )
    turn_hours = volume.turn_tasks * HOURS_PER_MONTH if config.turn_enabled else 0.0
    addresses_hours = node_hours + turn_hours
    items.append(
        LineItem(
            "Public IPv4",
            addresses_hours * p("public_ipv4", "per_hour"),
            f"{addresses_hours:,.0f} address-hours (media nodes and TURN tasks)",
        )
    )

    # Media traffic to the browsers, and TURN.
    stream_gb = volume.stream_mbit_s / 8 * 60 * volume.call_minutes / 1024  # one stream of one call
    media_out = recorded * 2 * stream_gb
    items.append(
        LineItem(
            "Data transfer (calls)",
            media_out * p("data_transfer", "out_gb"),
            f"{media_out:,.0f} GB to the internet: 2 streams of {volume.stream_mbit_s:g} Mbit/s per call",
        )
    )
    turn_relayed = recorded * volume.turn_share * 2 * stream_gb if config.turn_enabled else 0.0
    items.append(
        LineItem(
            "TURN",
            turn_hours * (TURN_VCPU * p("fargate", "per_vcpu_hour") + TURN_MEMORY_GB * p("fargate", "per_gb_hour"))
            + turn_relayed * p("data_transfer", "intra_region_gb"),
            f"{volume.turn_tasks if config.turn_enabled else 0} tasks of {TURN_VCPU:g} vCPU, {TURN_MEMORY_GB:g} GB; "
            f"{turn_relayed:,.0f} GB relayed node<->TURN ({volume.turn_share:.0%} of citizens)",
        )
    )

    # CloudFront (SPA and the API behind it) and WAF (regional, on the API).
    views = booked * volume.page_views_per_booked
    cf_requests = views * volume.requests_per_page_view + requests
    cf_gb = (views * volume.kb_per_page_view + requests * volume.api_kb_per_request) / 1024 / 1024
    items.append(
        LineItem(
            "CloudFront",
            cf_gb * p("cloudfront", "out_gb") + cf_requests / 1e4 * p("cloudfront", "per_10k_https"),
            f"{views:,.0f} page views, {cf_requests:,.0f} HTTPS requests, {cf_gb:,.1f} GB",
        )
    )
    items.append(
        LineItem(
            "WAF",
            p("waf", "per_web_acl_month")
            + WAF_RULES * p("waf", "per_rule_month")
            + requests / 1e6 * p("waf", "per_million_requests"),
            f"1 web ACL, {WAF_RULES} rules, {requests:,.0f} requests",
        )
    )

    # Messages.
    counts = message_counts(volume)
    emails = booked * sum(c.emails_per_booked for c in counts)
    attachments_gb = booked * volume.email_share() * 3 * 2 / 1024 / 1024  # .ics of ~2 KB: booked and reminders
    items.append(
        LineItem(
            "SES",
            emails / 1000 * p("ses", "per_thousand_emails") + attachments_gb * p("ses", "attachments_gb"),
            f"{emails:,.0f} emails",
        )
    )
    segments = booked * sum(c.sms_per_booked * c.segments.mean for c in counts)
    texts = booked * sum(c.sms_per_booked for c in counts)
    items.append(
        LineItem(
            "SNS SMS (Spain)",
            segments * p("sns_sms", "per_segment"),
            f"{texts:,.0f} SMS = {segments:,.0f} segments ({segments / max(texts, 1):.2f} per SMS)",
        )
    )

    # CloudWatch: logs kept for log_retention_days, alarms, dashboard, the nodes' metrics.
    log_gb = (requests * volume.log_bytes_per_request + node_hours * volume.log_bytes_per_node_hour) / 1024**3
    log_months = min(config.log_retention_days / 30.4, volume.month)
    items.append(
        LineItem(
            "CloudWatch",
            log_gb * p("cloudwatch", "logs_ingest_gb")
            + log_gb * 0.15 * log_months * p("cloudwatch", "logs_storage_gb_month")
            + ALARMS * p("cloudwatch", "per_alarm_month")
            + p("cloudwatch", "per_dashboard_month")
            + CUSTOM_METRICS * p("cloudwatch", "per_metric_month"),
            f"{log_gb:,.1f} GB of logs a month, kept {config.log_retention_days} days; {ALARMS} alarms, a dashboard",
        )
    )
    items.append(
        LineItem(
            "Secrets Manager",
            SECRETS * p("secrets_manager", "per_secret_month"),
            f"{SECRETS} secrets",
        )
    )
    return items


def total_usd(items: Sequence[LineItem]) -> float:
    return sum(i.usd for i in items)


# --- the report ------------------------------------------------------------------------------------------------------


CUTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("SMS only to citizens who gave no email (today both get it)", {"sms_when_email_too": False}),
    (
        "SMS to those with an email too: only codes and the 1-hour reminder",
        {"sms_kinds": frozenset({"code", "consent code", "reminder 1h"})},
    ),
    ("recordings kept for years to Glacier IR after 30 days", {"cold_recordings": True}),
    ("1 media node while the offices are closed (scheduled scaling)", {"media_nodes_closed": 1}),
    ("1 TURN task instead of 2 (no TURN while it restarts)", {"turn_tasks": 1}),
)


def print_report(config: StageConfig, prices: Prices, rules: RetentionRules) -> bool:
    budget = prices.monthly_budget_eur()
    goal = budget * GOAL_SHARE
    bills = {n: bill(config, Volume(n), prices, rules) for n in VOLUMES}
    print(f"Cost: the monthly AWS bill of stage {config.name!r} ({prices.raw['meta']['region']}), issue 17")
    print(
        f"  prices: {PRICES.relative_to(ROOT)} written {prices.raw['meta']['written']} "
        f"({prices.raw['meta']['checked']}); unsure: {', '.join(prices.unsure())}"
    )
    print(
        f"  USD -> EUR at {prices.eur_per_usd:g}, VAT {prices.vat:.0%} added; month {Volume(0).month} of the contract "
        "(storage kept for years has piled up); no free tiers"
    )
    print(
        f"  media: {config.media_target_rooms_per_node} calls per {config.media_cpu_units / 1024:g}-vCPU node"
        f" (StageConfig.media_target_rooms_per_node; measured: {MEASURED_CALLS_PER_NODE} at 30 fps in one worker,"
        " bench/media.py / README.md 'Scaling'), "
        f"min {config.media_min_nodes} nodes (StageConfig.media_min_nodes)"
    )
    print()
    header = f"{'USD a month':<24}" + "".join(f"{n:>12,}" for n in VOLUMES)
    print(header + "   recorded appointments a month")
    print("-" * len(header))
    for index, item in enumerate(bills[VOLUMES[0]]):
        print(f"{item.service:<24}" + "".join(f"{bills[n][index].usd:>12,.2f}" for n in VOLUMES))
    print("-" * len(header))
    totals = {n: total_usd(bills[n]) for n in VOLUMES}
    eur = {n: eur_with_vat(totals[n], prices) for n in VOLUMES}
    print(f"{'total USD':<24}" + "".join(f"{totals[n]:>12,.2f}" for n in VOLUMES))
    print(f"{'total EUR, VAT incl.':<24}" + "".join(f"{eur[n]:>12,.2f}" for n in VOLUMES))
    print(f"{'share of the budget':<24}" + "".join(f"{eur[n] / budget:>12.1%}" for n in VOLUMES))
    print(f"{'per recorded appt, EUR':<24}" + "".join(f"{eur[n] / n:>12.3f}" for n in VOLUMES))
    print()
    print(f"  At {GOAL_AT:,} a month, line by line:")
    for item in bills[GOAL_AT]:
        print(f"    {item.service:<22} {item.detail}")
    print()
    print("  Messages per booked appointment (SMS segments of the real texts, over the catalogue's services):")
    for c in message_counts(Volume(GOAL_AT)):
        print(
            f"    {c.kind.name:<15} {c.kind.per_booked:>4.2f} x  SMS {c.sms_per_booked:>4.2f}, "
            f"email {c.emails_per_booked:>4.2f}; {c.segments.mean:.2f} segments/SMS, "
            f"{c.segments.ucs2_share:.0%} UCS-2   ({c.kind.source})"
        )
    print()
    at_goal = eur[GOAL_AT]
    passed = at_goal <= goal
    ranked = sorted(bills[GOAL_AT], key=lambda i: -i.usd)
    top = ", ".join(f"{i.service} {i.usd / totals[GOAL_AT]:.0%}" for i in ranked[:3])
    print(
        f"  budget: {prices('meta', 'tender_total_eur'):,.0f} EUR / {prices('meta', 'tender_months'):.0f} months = "
        f"{budget:,.0f} EUR a month; goal <= {GOAL_SHARE:.0%} = {goal:,.0f} EUR at {GOAL_AT:,}/month: "
        f"{at_goal:,.0f} EUR ({at_goal / budget:.1%}) -> {'PASS' if passed else 'MISS'}"
    )
    print(f"  dominates at {GOAL_AT:,}: {top}")
    floor = eur_with_vat(total_usd(bill(config, Volume(0), prices, rules)), prices)
    print(
        f"  with no appointment at all (what the stack costs standing: media nodes, TURN, WAF, keys, alarms): "
        f"{floor:,.0f} EUR ({floor / budget:.1%})"
    )
    sensitivity = []
    for per_segment in SMS_PRICE_RANGE:
        raw = {**prices.raw, "sns_sms": {**prices.raw["sns_sms"], "per_segment": per_segment}}
        total = eur_with_vat(total_usd(bill(config, Volume(GOAL_AT), Prices(raw), rules)), prices)
        sensitivity.append(f"{total:,.0f} EUR at {per_segment:g} USD")
    print(f"  the SMS price is the least sure figure: per segment, {' / '.join(sensitivity)}")
    print(f"  what would cut it, at {GOAL_AT:,} a month (EUR, VAT incl.):")
    every: dict[str, Any] = {}
    for what, change in CUTS:
        every.update(change)
        cut = eur_with_vat(total_usd(bill(config, replace(Volume(GOAL_AT), **change), prices, rules)), prices)
        print(f"    {what:<70} {cut - at_goal:>+9,.0f} -> {cut:>7,.0f} ({cut / budget:.1%})")
    cut = eur_with_vat(total_usd(bill(config, replace(Volume(GOAL_AT), **every), prices, rules)), prices)
    verdict = "PASS" if cut <= goal else "MISS"
    print(f"    {'all of them':<70} {cut - at_goal:>+9,.0f} -> {cut:>7,.0f} ({cut / budget:.1%}) {verdict}")
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="FIELD=VALUE")
    args = parser.parse_args(argv if argv is not None else [])
    overrides = dict(item.partition("=")[::2] for item in args.context)
    config = StageConfig.for_stage(args.stage, overrides)
    print_report(config, Prices.load(), RetentionRules.load())
    # A missed goal is a finding, not a failure of the benchmark: `make bench` goes on.
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
