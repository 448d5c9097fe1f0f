"""Audit trail verification: the verifier over a 100,000-event trail against hashing the same bytes with hashlib.

Built in memory (a dict stands in for the bucket): 100,000 audit events shaped like the trail's records, in 1,000
gzip log files of 100 events (one every 6 minutes) and 100 hourly digests of 10 log files each, chained and signed
with an ECDSA P-256 key as KMS signs them. Then, best of ``BENCH_RECORDS_RUNS`` (5) runs each:

- the verifier: ``Verifier.verify`` over the whole range with the public key alone (reads, inflates and hashes
  every log file and digest, verifies every digest's signature and link);
- the BASELINE: ``hashlib.sha256`` over the same uncompressed bytes the verifier must hash (every log file's and
  every digest's content), already inflated and in memory.

Target (issue 7): ratio verify / baseline ≤ 3.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.domain import trail

RUNS = int(os.environ.get("BENCH_RECORDS_RUNS", "5"))
EVENTS_PER_FILE = 100
FILES = 1_000
FILES_PER_DIGEST = 10
TARGET_RATIO = 3.0

BUCKET = "videoatencion-audit-trail"
ACCOUNT = "123456789012"
REGION = "eu-south-2"
LOGS = f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/"
DIGESTS = f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/{REGION}/"
START = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
FILE_PERIOD = timedelta(minutes=6)

# (action, role, subject kind, outcome weights, purpose, details)
ACTIONS: tuple[tuple[str, str, str, str | None, dict[str, str]], ...] = (
    ("appointment.book", "citizen", "appointment", "appointment management", {"service": "residence-certificate"}),
    ("appointment.cancel", "citizen", "appointment", "appointment management", {"reason": "citizen request"}),
    ("appointment.reminder.sms", "system", "appointment", "remind the citizen of the appointment", {"to": "+34****12"}),
    ("call.join", "agent", "call", "video attention", {"media": "webrtc", "node": "media-2"}),
    ("call.end", "agent", "call", "video attention", {"duration_s": "412"}),
    ("auth.otp.verify", "citizen", "citizen", "identification", {}),
    ("auth.staff.login", "agent", "staff", "identification", {"method": "password+otp"}),
    ("auth.eid.signin", "citizen", "citizen", "identification", {"level": "substantial"}),
    ("procedure.submit", "citizen", "procedure", "citizen", {"status": "submitted"}),
    ("procedure.consent", "citizen", "procedure", "consent", {"method": "one-time code"}),
    ("attachment.add", "citizen", "procedure", "citizen", {"content_type": "application/pdf", "bytes": "183422"}),
    ("document.issue", "agent", "document", "document issue", {"kind": "residence-certificate", "pages": "2"}),
    ("document.download", "citizen", "document", "citizen", {}),
    ("document.verify", "system", "document", "document verification", {"result": "valid"}),
    ("register.read", "auditor", "register", "audit", {"range": "P1D"}),
)
OUTCOMES = ("success",) * 17 + ("failure", "failure", "denied")
STAFF = ("mgarcia", "jpuig", "afont", "lserra", "rcasals", "nbosch", "eroca", "pvidal")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _event(rng: random.Random, at: datetime, citizens: list[str]) -> dict[str, Any]:
    action, role, kind, purpose, details = ACTIONS[rng.randrange(len(ACTIONS))]
    citizen = rng.choice(citizens)
    if role == "citizen":
        actor = f"citizen:{citizen}"
    elif role == "system":
        actor = f"system:{action.split('.')[0]}"
    else:
        actor = rng.choice(STAFF)
    subject = f"citizen:{citizen}" if kind == "citizen" else f"{kind}:{rng.getrandbits(80):020x}"
    outcome = rng.choice(OUTCOMES)
    event: dict[str, Any] = {
        "eventVersion": "1.0",
        "eventTime": trail.format_time(at),
        "eventID": _uuid(rng),
        "actor": actor,
        "role": role,
        "action": action,
        "subject": subject,
        "outcome": outcome,
        "purpose": purpose,
        "dataSubject": citizen,
        "requestID": _uuid(rng),
        "sourceIPAddress": f"{rng.choice((81, 83, 88, 95, 213))}.{rng.randrange(256)}.{rng.randrange(256)}."
        f"{rng.randrange(1, 255)}",
        "details": dict(details, **({"reason": "wrong code"} if outcome == "failure" else {})),
    }
    return event


@dataclass
class Built:
    """The bucket (objects and their metadata) and every uncompressed content the verifier must hash."""

    objects: dict[tuple[str, str], bytes] = field(default_factory=dict)
    meta: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    log_contents: list[bytes] = field(default_factory=list)
    digest_contents: list[bytes] = field(default_factory=list)
    end: datetime = START


def build_trail(signer: ec.EllipticCurvePrivateKey) -> Built:
    rng = random.Random(20250303)  # noqa: S311 (deterministic test data)
    citizens = [f"p-{rng.getrandbits(128):032x}" for _ in range(5_000)]
    built = Built()
    previous: trail.DigestRef | None = None
    fingerprint = trail.public_key_fingerprint(signer.public_key())

    def kms_sign(message: bytes) -> bytes:
        return signer.sign(message, ec.ECDSA(hashes.SHA256()))

    at = START
    step = FILE_PERIOD / EVENTS_PER_FILE
    for _ in range(FILES // FILES_PER_DIGEST):
        digest_start = at
        refs = []
        for _ in range(FILES_PER_DIGEST):
            file_end = at + FILE_PERIOD
            events = [_event(rng, at + step * n, citizens) for n in range(EVENTS_PER_FILE)]
            key = (
                f"{LOGS}{at:%Y/%m/%d}/{ACCOUNT}_CloudTrail_{REGION}_{file_end:%Y%m%dT%H%MZ}_"
                f"{rng.getrandbits(64):016x}.json.gz"
            )
            body = trail.log_file(events)
            built.objects[(BUCKET, key)] = body
            built.log_contents.append(trail.canonical_json({"Records": events}))
            refs.append(trail.LogFileRef.of(BUCKET, key, body))
            at = file_end
        key = trail.digest_key(DIGESTS, at)
        doc = trail.digest(digest_start, at, BUCKET, key, refs, previous, public_key_fingerprint=fingerprint)
        sealed = trail.seal(doc, kms_sign)
        built.objects[(BUCKET, key)] = sealed.body
        built.meta[(BUCKET, key)] = sealed.metadata
        built.digest_contents.append(trail.digest_content(doc))
        previous = sealed.ref
    built.end = at
    return built


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> int:
    signer = ec.derive_private_key(0x5EC2E77A11D16E57, ec.SECP256R1())
    started = time.perf_counter()
    built = build_trail(signer)
    build_s = time.perf_counter() - started
    objects, meta = built.objects, built.meta
    contents = built.log_contents + built.digest_contents

    def list_keys(bucket: str, prefix: str) -> list[str]:
        return sorted(k for b, k in objects if b == bucket and k.startswith(prefix))

    verifier = trail.Verifier(
        get=lambda bucket, key: objects.get((bucket, key)),
        metadata=lambda bucket, key: meta.get((bucket, key)),
        list_keys=list_keys,
        public_keys=[ec.generate_private_key(ec.SECP256R1()).public_key(), signer.public_key()],  # after a rotation
        bucket=BUCKET,
        digest_prefix=DIGESTS,
        log_prefix=LOGS,
    )

    def baseline() -> list[str]:
        return [hashlib.sha256(content).hexdigest() for content in contents]

    verify_s, outcome = best_of(RUNS, lambda: verifier.verify(START, built.end))
    baseline_s, _ = best_of(RUNS, baseline)
    expected = (FILES // FILES_PER_DIGEST, FILES, FILES * EVENTS_PER_FILE)
    if not isinstance(outcome, trail.VerificationResult) or not outcome.ok:
        print(f"Audit trail verification: the trail did not verify cleanly: {outcome}")
        return 1
    if (outcome.digests, outcome.log_files, outcome.events) != expected:
        print(f"Audit trail verification: counted {outcome}, expected (digests, log files, events) {expected}")
        return 1

    log_mb = sum(map(len, built.log_contents)) / 1e6
    digest_mb = sum(map(len, built.digest_contents)) / 1e6
    stored_mb = sum(map(len, objects.values())) / 1e6
    hashed_mb = log_mb + digest_mb
    ratio = verify_s / baseline_s
    print(
        f"Audit trail verification: {outcome.events:,} events in {outcome.log_files:,} log files and"
        f" {outcome.digests} signed digests (ECDSA P-256), in memory; best of {RUNS}:"
    )
    print(
        f"  sizes: log files {log_mb:.1f} MB + digests {digest_mb:.2f} MB uncompressed ({hashed_mb:.1f} MB hashed),"
        f" {stored_mb:.1f} MB stored (gzip); trail built in {build_s:.1f} s"
    )
    print(
        f"  verifier (read, inflate, hash, check signatures): {verify_s * 1000:7.1f} ms"
        f" {outcome.events / verify_s:>11,.0f} events/s {hashed_mb / verify_s:7.1f} MB/s"
    )
    print(
        f"  baseline (hashlib.sha256 over the same bytes):    {baseline_s * 1000:7.1f} ms"
        f" {'':>18} {hashed_mb / baseline_s:7.1f} MB/s"
    )
    verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
    print(f"  ratio verify / baseline: {ratio:.2f}; target ≤ {TARGET_RATIO:g}: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
