"""The audit trail's digest chain and verifier, tested with scenarios built from actions on the stored objects."""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.utils import Buffer
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import trail
from chalicelib.domain.trail import DigestRef, LogFileRef, Problem, Verifier

BUCKET = "audit-bucket"
DIGESTS = "AWSLogs/trail/CloudTrail-Digest/"
LOGS = "AWSLogs/trail/CloudTrail/"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
PERIOD = timedelta(seconds=30)
KEY = ec.generate_private_key(ec.SECP256R1())


def kms_sign(message: bytes, key: ec.EllipticCurvePrivateKey = KEY) -> bytes:
    """What KMS Sign returns for ECC_NIST_P256 / ECDSA_SHA_256 / MessageType RAW: a DER signature of SHA-256(msg)."""
    return key.sign(message, ec.ECDSA(hashes.SHA256()))


@dataclass
class Bucket:
    objects: dict[tuple[str, str], bytes] = field(default_factory=dict)
    meta: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def get(self, bucket: str, key: str) -> bytes | None:
        return self.objects.get((bucket, key))

    def metadata(self, bucket: str, key: str) -> dict[str, str] | None:
        return self.meta.get((bucket, key))

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        return sorted(k for b, k in self.objects if b == bucket and k.startswith(prefix))

    def put(self, key: str, body: bytes, metadata: dict[str, str] | None = None) -> None:
        self.objects[(BUCKET, key)] = body
        if metadata is not None:
            self.meta[(BUCKET, key)] = metadata

    def delete(self, key: str) -> None:
        del self.objects[(BUCKET, key)]
        self.meta.pop((BUCKET, key), None)

    def move(self, key: str, to: str) -> None:
        self.put(to, self.objects[(BUCKET, key)], self.meta.get((BUCKET, key)))
        self.delete(key)


@dataclass
class Trail:
    """Delivers log files and digests the way the producer will: one digest per period, empty or not."""

    store: Bucket = field(default_factory=Bucket)
    previous: DigestRef | None = None
    end: datetime = T0
    digest_keys: list[str] = field(default_factory=list)
    log_keys: list[str] = field(default_factory=list)
    signer: ec.EllipticCurvePrivateKey = KEY
    named: str | None = None  # the digestPublicKeyFingerprint written in each digest
    count_events: bool = True  # write eventCount (digests written before it existed have none)

    def period(self, *batches: int, skip: timedelta = timedelta(0)) -> None:
        start = self.end + skip
        end = start + PERIOD
        refs = []
        for n, size in enumerate(batches):
            events = [
                {"eventTime": trail.format_time(start + timedelta(seconds=i)), "eventName": "read", "n": i}
                for i in range(size)
            ]
            key = f"{LOGS}{end:%Y%m%dT%H%M%SZ}_{n}.json.gz"
            body = trail.log_file(events)
            self.store.put(key, body)
            self.log_keys.append(key)
            ref = LogFileRef.of(BUCKET, key, body)
            refs.append(ref if self.count_events else replace(ref, event_count=None))
        key = trail.digest_key(DIGESTS, end)
        doc = trail.digest(start, end, BUCKET, key, refs, self.previous, public_key_fingerprint=self.named)
        sealed = trail.seal(doc, lambda message: kms_sign(message, self.signer))
        self.store.put(key, sealed.body, sealed.metadata)
        self.digest_keys.append(key)
        self.previous = sealed.ref
        self.end = end

    def verify(self, start: datetime = T0, end: datetime | None = None) -> trail.VerificationResult:
        verifier = Verifier(
            get=self.store.get,
            metadata=self.store.metadata,
            list_keys=self.store.list_keys,
            public_keys=[KEY.public_key()],
            bucket=BUCKET,
            digest_prefix=DIGESTS,
            log_prefix=LOGS,
        )
        return verifier.verify(start, end or self.end)


def clean_trail() -> Trail:
    t = Trail()
    t.period(3, 2)  # d0
    t.period()  # d1: empty period
    t.period(4)  # d2
    t.period()  # d3: empty period
    t.period(1, 1, 1)  # d4
    return t


def categories(result: trail.VerificationResult) -> list[tuple[str, str]]:
    return [(p.category, p.key) for p in result.problems]


# --- building blocks -------------------------------------------------------------------------------------------


def test_log_file_is_deterministic_gzip_json() -> None:
    events = [{"eventTime": "2025-03-01T09:00:01Z", "eventName": "read"}]
    body = trail.log_file(events)
    assert body == trail.log_file(events)
    assert json.loads(gzip.decompress(body)) == {"Records": events}


def test_log_file_ref_hashes_uncompressed_content_and_event_span() -> None:
    events = [{"eventTime": "2025-03-01T09:00:05Z"}, {"eventTime": "2025-03-01T09:00:01Z"}]
    body = trail.log_file(events)
    ref = LogFileRef.of(BUCKET, "k", body)
    assert ref.hash_value == trail.sha256_hex(gzip.decompress(body))
    assert (ref.oldest_event_time, ref.newest_event_time) == ("2025-03-01T09:00:01Z", "2025-03-01T09:00:05Z")
    assert ref.event_count == 2
    assert ref.as_json()["eventCount"] == 2


def test_log_file_ref_of_an_empty_log_file_counts_zero() -> None:
    ref = LogFileRef.of(BUCKET, "k", trail.log_file([]))
    assert (ref.oldest_event_time, ref.newest_event_time, ref.event_count) == (None, None, 0)
    assert ref.as_json()["eventCount"] == 0


def test_digest_has_cloudtrail_fields() -> None:
    ref = LogFileRef(BUCKET, "log.json.gz", "ab" * 32, "2025-03-01T09:00:01Z", "2025-03-01T09:00:02Z")
    prev = DigestRef(BUCKET, "prev.json.gz", "cd" * 32, "ef" * 8)
    doc = trail.digest(T0, T0 + PERIOD, BUCKET, "this.json.gz", [ref], prev)
    assert doc["digestStartTime"] == "2025-03-01T09:00:00Z"
    assert doc["digestEndTime"] == "2025-03-01T09:00:30Z"
    assert (doc["digestS3Bucket"], doc["digestS3Object"]) == (BUCKET, "this.json.gz")
    assert doc["previousDigestS3Bucket"] == BUCKET
    assert doc["previousDigestS3Object"] == "prev.json.gz"
    assert doc["previousDigestHashValue"] == "cd" * 32
    assert doc["previousDigestHashAlgorithm"] == "SHA-256"
    assert doc["previousDigestSignature"] == "ef" * 8
    assert doc["logFiles"] == [
        {
            "s3Bucket": BUCKET,
            "s3Object": "log.json.gz",
            "hashValue": "ab" * 32,
            "hashAlgorithm": "SHA-256",
            "oldestEventTime": "2025-03-01T09:00:01Z",
            "newestEventTime": "2025-03-01T09:00:02Z",
        }
    ]


def test_digest_names_its_signing_key_only_when_asked() -> None:
    fingerprint = trail.public_key_fingerprint(KEY.public_key())
    named = trail.digest(T0, T0 + PERIOD, BUCKET, "d.json.gz", [], None, public_key_fingerprint=fingerprint)
    assert named["digestPublicKeyFingerprint"] == fingerprint
    assert "digestPublicKeyFingerprint" not in trail.digest(T0, T0 + PERIOD, BUCKET, "d.json.gz", [], None)


def test_public_key_fingerprint_is_32_hex_of_sha256_of_the_der_key() -> None:
    public = KEY.public_key()
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    fingerprint = trail.public_key_fingerprint(public)
    assert fingerprint == trail.sha256_hex(der)[:32]
    assert len(fingerprint) == 32
    assert int(fingerprint, 16) >= 0
    assert fingerprint != trail.public_key_fingerprint(ec.generate_private_key(ec.SECP256R1()).public_key())


GZIPPED = trail.gzip_bytes(b'{"Records":[]}' * 5000)


@pytest.mark.parametrize(
    "body",
    [
        GZIPPED,
        GZIPPED + b"trailing bytes",
        GZIPPED + GZIPPED,
        GZIPPED[:-3],  # truncated
        GZIPPED[: len(GZIPPED) // 2],
        GZIPPED[:-8] + b"\0\0\0\0" + GZIPPED[-4:],  # CRC does not match
        zlib.compress(b"zlib, not gzip"),
        b"",
        b"not gzip",
    ],
)
def test_streamed_hash_agrees_with_inflating_whole(body: bytes) -> None:
    content = trail.gunzip(body)
    assert trail.gunzip_sha256_hex(body) == (trail.sha256_hex(content) if content is not None else None)


@settings(max_examples=200, deadline=None)
@given(
    content=st.binary(max_size=64),
    repeat=st.integers(1, 6000),  # past one 64 KiB inflate chunk
    cut=st.integers(0, 10**6),
    flip=st.integers(0, 10**6),
    tail=st.binary(max_size=40),
)
def test_streamed_hash_agrees_on_any_damage(content: bytes, repeat: int, cut: int, flip: int, tail: bytes) -> None:
    body = bytearray(trail.gzip_bytes(content * repeat))
    if flip % 3 == 0:
        body[flip % len(body)] ^= 1 + flip % 255
    damaged = bytes(body[: len(body) - cut % 5]) + tail
    expected = trail.gunzip(damaged)
    assert trail.gunzip_sha256_hex(damaged) == (trail.sha256_hex(expected) if expected is not None else None)


def test_signing_string_follows_cloudtrail() -> None:
    first = trail.digest(T0, T0 + PERIOD, BUCKET, "d/1.json.gz", [], None)
    assert trail.signing_string(first, "aa11") == b"2025-03-01T09:00:30Z\naudit-bucket/d/1.json.gz\naa11\nnull"
    prev = DigestRef(BUCKET, "d/1.json.gz", "bb", "3045ff")
    second = trail.digest(T0 + PERIOD, T0 + 2 * PERIOD, BUCKET, "d/2.json.gz", [], prev)
    assert trail.signing_string(second, "cc22") == b"2025-03-01T09:01:00Z\naudit-bucket/d/2.json.gz\ncc22\n3045ff"


def test_seal_signs_the_signing_string_over_the_uncompressed_digest() -> None:
    doc = trail.digest(T0, T0 + PERIOD, BUCKET, "d/1.json.gz", [], None)
    sealed = trail.seal(doc, kms_sign)
    content = gzip.decompress(sealed.body)
    assert json.loads(content) == doc
    assert sealed.ref.hash_value == trail.sha256_hex(content)
    assert sealed.metadata == {"signature": sealed.ref.signature, "signature-algorithm": "SHA256withECDSA"}
    message = trail.signing_string(doc, sealed.ref.hash_value)
    assert trail.verify_signature([KEY.public_key()], sealed.ref.signature, message)
    assert not trail.verify_signature([KEY.public_key()], sealed.ref.signature, message + b"x")


def test_digest_rejects_naive_times_and_empty_periods() -> None:
    with pytest.raises(ValueError, match="offset"):
        trail.digest(datetime(2025, 3, 1), datetime(2025, 3, 2), BUCKET, "k", [], None)
    with pytest.raises(ValueError, match="after"):
        trail.digest(T0, T0, BUCKET, "k", [], None)


# --- verifier scenarios ----------------------------------------------------------------------------------------


def test_clean_chain_with_empty_periods_verifies() -> None:
    result = clean_trail().verify()
    assert result.ok, result.problems
    assert (result.digests, result.log_files, result.events) == (5, 6, 12)


def test_time_range_limits_the_walk() -> None:
    t = clean_trail()
    result = t.verify(T0 + 2 * PERIOD, T0 + 4 * PERIOD)  # d2 and d3
    assert result.ok
    assert (result.digests, result.log_files, result.events) == (2, 1, 4)


def test_modified_log_file_is_a_hash_mismatch_for_exactly_that_object() -> None:
    t = clean_trail()
    target = t.log_keys[2]
    t.store.put(target, trail.log_file([{"eventTime": "2025-03-01T09:01:00Z", "eventName": "forged"}]))
    result = t.verify()
    assert not result.ok
    assert categories(result) == [("log_file_hash_mismatch", target)]


def test_corrupt_gzip_log_file_is_a_hash_mismatch() -> None:
    t = clean_trail()
    t.store.put(t.log_keys[0], b"not gzip")
    assert categories(t.verify()) == [("log_file_hash_mismatch", t.log_keys[0])]


def test_truncated_log_file_is_a_hash_mismatch() -> None:
    t = clean_trail()
    t.store.put(t.log_keys[2], t.store.objects[(BUCKET, t.log_keys[2])][:-4])
    assert categories(t.verify()) == [("log_file_hash_mismatch", t.log_keys[2])]


def test_events_are_counted_from_the_signed_count_once_the_hash_matches() -> None:
    t = Trail()
    t.period(2)
    body = trail.gzip_bytes(b"not json, yet exactly what was delivered and hashed")
    key = f"{LOGS}opaque.json.gz"
    t.store.put(key, body)
    ref = replace(LogFileRef.of(BUCKET, t.log_keys[0], t.store.objects[(BUCKET, t.log_keys[0])]), event_count=None)
    opaque = LogFileRef(BUCKET, key, trail.sha256_hex(trail.gunzip(body) or b""), event_count=7)
    start, end = t.end, t.end + PERIOD
    doc = trail.digest(start, end, BUCKET, trail.digest_key(DIGESTS, end), [opaque, ref], t.previous)
    sealed = trail.seal(doc, kms_sign)
    t.store.put(trail.digest_key(DIGESTS, end), sealed.body, sealed.metadata)
    t.end = end
    result = t.verify()
    assert result.ok, result.problems
    assert (result.digests, result.log_files, result.events) == (2, 3, 7 + 2 + 2)  # signed, parsed (no count)


def test_digests_without_event_counts_are_counted_by_parsing() -> None:
    t = Trail(count_events=False)
    for batches in ((3, 2), (), (4,)):
        t.period(*batches)
    digest_doc = json.loads(gzip.decompress(t.store.objects[(BUCKET, t.digest_keys[0])]))
    assert all("eventCount" not in entry for entry in digest_doc["logFiles"])
    t.store.move(t.log_keys[0], f"{LOGS}elsewhere.json.gz")
    result = t.verify()
    assert categories(result) == [("log_file_moved", t.log_keys[0])]
    assert (result.digests, result.log_files, result.events) == (3, 3, 9)


def test_a_changed_event_count_breaks_the_digest() -> None:
    t = clean_trail()
    target = t.digest_keys[2]
    doc = json.loads(gzip.decompress(t.store.objects[(BUCKET, target)]))
    doc["logFiles"][0]["eventCount"] += 1
    t.store.put(target, trail.gzip_bytes(trail.digest_content(doc)))
    assert categories(t.verify()) == [("digest_hash_mismatch", target), ("digest_signature_invalid", target)]


def test_deleted_log_file_is_not_found() -> None:
    t = clean_trail()
    t.store.delete(t.log_keys[1])
    assert categories(t.verify()) == [("log_file_not_found", t.log_keys[1])]


def test_moved_log_file_is_reported_with_where_it_is() -> None:
    t = clean_trail()
    t.store.move(t.log_keys[3], f"{LOGS}elsewhere.json.gz")
    t.store.put(f"{LOGS}unlisted-later.json.gz", trail.log_file([{"eventTime": "2025-03-01T09:09:00Z"}]))
    result = t.verify()
    assert categories(result) == [("log_file_moved", t.log_keys[3])]
    assert result.problems[0].found_at == f"{LOGS}elsewhere.json.gz"
    assert result.events == 12  # the moved file is still verified by its hash


def test_deleted_digest_is_not_found_and_the_rest_of_the_chain_is_verified() -> None:
    t = clean_trail()
    t.store.delete(t.digest_keys[2])
    t.store.delete(t.log_keys[0])  # a problem further back must still be found
    result = t.verify()
    assert categories(result) == [("digest_not_found", t.digest_keys[2]), ("log_file_not_found", t.log_keys[0])]
    assert result.digests == 4


def test_moved_digest_is_reported_and_followed() -> None:
    t = clean_trail()
    t.store.move(t.digest_keys[1], f"{DIGESTS}hidden/d1.json.gz")
    result = t.verify()
    assert categories(result) == [("digest_moved", t.digest_keys[1])]
    assert result.problems[0].found_at == f"{DIGESTS}hidden/d1.json.gz"
    assert result.digests == 5


def test_moved_newest_digest_is_reported() -> None:
    t = clean_trail()
    newer = trail.digest_key(DIGESTS, t.end + PERIOD)
    t.store.move(t.digest_keys[-1], newer)
    result = t.verify(T0, t.end + PERIOD)
    assert categories(result) == [("digest_moved", t.digest_keys[-1])]
    assert result.problems[0].found_at == newer


def test_forged_signature_is_invalid_for_exactly_that_digest() -> None:
    t = clean_trail()
    target = t.digest_keys[3]
    content = gzip.decompress(t.store.objects[(BUCKET, target)])
    doc = json.loads(content)
    forger = ec.generate_private_key(ec.SECP256R1())
    forged = kms_sign(trail.signing_string(doc, trail.sha256_hex(content)), forger).hex()
    t.store.meta[(BUCKET, target)] = {"signature": forged, "signature-algorithm": "SHA256withECDSA"}
    assert categories(t.verify()) == [("digest_signature_invalid", target)]


def test_missing_signature_is_invalid() -> None:
    t = clean_trail()
    del t.store.meta[(BUCKET, t.digest_keys[0])]
    assert categories(t.verify()) == [("digest_signature_invalid", t.digest_keys[0])]


def test_modified_digest_is_a_hash_mismatch_and_an_invalid_signature() -> None:
    t = clean_trail()
    target = t.digest_keys[2]
    doc = json.loads(gzip.decompress(t.store.objects[(BUCKET, target)]))
    doc["logFiles"] = []  # hide a log file
    t.store.put(target, trail.gzip_bytes(trail.digest_content(doc)))
    assert categories(t.verify()) == [("digest_hash_mismatch", target), ("digest_signature_invalid", target)]


def test_gap_in_the_chain_is_reported_on_the_digest_after_it() -> None:
    t = Trail()
    t.period(1)
    t.period()
    t.period(2, skip=PERIOD)  # a period with no digest at all
    t.period(1)
    result = t.verify()
    assert categories(result) == [("chain_gap", t.digest_keys[2])]
    assert result.digests == 4


def test_verification_needs_the_right_public_key() -> None:
    t = clean_trail()
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    verifier = Verifier(t.store.get, t.store.metadata, t.store.list_keys, [other], BUCKET, DIGESTS, LOGS)
    result = verifier.verify(T0, t.end)
    assert {p.category for p in result.problems} == {"digest_signature_invalid"}
    assert len(result.problems) == 5
    rotated = Verifier(
        t.store.get, t.store.metadata, t.store.list_keys, [other, KEY.public_key()], BUCKET, DIGESTS, LOGS
    )
    assert rotated.verify(T0, t.end).ok


class CountingKey(ec.EllipticCurvePublicKey):
    """A public key that counts the signatures it is asked to check."""

    def __init__(self, key: ec.EllipticCurvePublicKey) -> None:
        self.key = key
        self.checked = 0

    @property
    def curve(self) -> ec.EllipticCurve:
        return self.key.curve

    @property
    def key_size(self) -> int:
        return self.key.key_size

    def public_numbers(self) -> ec.EllipticCurvePublicNumbers:
        return self.key.public_numbers()

    def public_bytes(self, encoding: serialization.Encoding, format: serialization.PublicFormat) -> bytes:
        return self.key.public_bytes(encoding, format)

    def verify(self, signature: Buffer, data: Buffer, signature_algorithm: ec.EllipticCurveSignatureAlgorithm) -> None:
        self.checked += 1
        self.key.verify(signature, data, signature_algorithm)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CountingKey) and self.key == other.key

    def __hash__(self) -> int:
        return id(self)

    def __copy__(self) -> CountingKey:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> CountingKey:
        return self


def keys_verifier(t: Trail, keys: list[ec.EllipticCurvePublicKey]) -> Verifier:
    return Verifier(t.store.get, t.store.metadata, t.store.list_keys, keys, BUCKET, DIGESTS, LOGS)


def test_the_key_a_digest_names_is_tried_first() -> None:
    t = Trail(named=trail.public_key_fingerprint(KEY.public_key()))
    for batches in ((1,), (), (2, 1)):
        t.period(*batches)
    old, current = CountingKey(ec.generate_private_key(ec.SECP256R1()).public_key()), CountingKey(KEY.public_key())
    result = keys_verifier(t, [old, current]).verify(T0, t.end)
    assert result.ok, result.problems
    assert (old.checked, current.checked) == (0, 3)


@pytest.mark.parametrize("named", [None, "0" * 32, "not a fingerprint"])
def test_without_a_held_key_named_every_key_is_tried_in_order(named: str | None) -> None:
    t = Trail(named=named)
    for batches in ((1,), (), (2, 1)):
        t.period(*batches)
    old, current = CountingKey(ec.generate_private_key(ec.SECP256R1()).public_key()), CountingKey(KEY.public_key())
    result = keys_verifier(t, [old, current]).verify(T0, t.end)
    assert result.ok, result.problems
    assert (old.checked, current.checked) == (3, 3)


def test_a_digest_naming_the_wrong_held_key_still_verifies_with_the_right_one() -> None:
    lying = ec.generate_private_key(ec.SECP256R1()).public_key()
    t = Trail(named=trail.public_key_fingerprint(lying))
    t.period(1)
    t.period()
    named, signer = CountingKey(lying), CountingKey(KEY.public_key())
    result = keys_verifier(t, [signer, named]).verify(T0, t.end)
    assert result.ok, result.problems
    assert (named.checked, signer.checked) == (2, 2)  # the named key first, then the others
    alone = keys_verifier(t, [lying]).verify(T0, t.end)
    assert categories(alone) == [("digest_signature_invalid", key) for key in reversed(t.digest_keys)]


@pytest.mark.parametrize("field", ["digestPublicKeyFingerprint", "eventCount"])
@pytest.mark.parametrize("value", [["not", "a", "string"], {"x": 1}, -3, True, "7", None])
def test_malformed_new_fields_in_a_tampered_digest_are_reported_not_fatal(field: str, value: object) -> None:
    t = clean_trail()
    target = t.digest_keys[2]
    doc = json.loads(gzip.decompress(t.store.objects[(BUCKET, target)]))
    (doc["logFiles"][0] if field == "eventCount" else doc)[field] = value
    t.store.put(target, trail.gzip_bytes(trail.digest_content(doc)))
    result = t.verify()
    assert categories(result) == [("digest_hash_mismatch", target), ("digest_signature_invalid", target)]
    assert result.events == 12  # a count that is not one is counted by parsing the (intact) file


def test_digests_are_listed_once_per_verification_even_when_one_is_looked_for() -> None:
    t = clean_trail()
    t.store.move(t.digest_keys[1], f"{DIGESTS}hidden/d1.json.gz")
    listed: list[str] = []

    def list_keys(bucket: str, prefix: str) -> list[str]:
        listed.append(prefix)
        return t.store.list_keys(bucket, prefix)

    verifier = Verifier(t.store.get, t.store.metadata, list_keys, [KEY.public_key()], BUCKET, DIGESTS, LOGS)
    assert categories(verifier.verify(T0, t.end)) == [("digest_moved", t.digest_keys[1])]
    assert listed == [DIGESTS]


def test_empty_trail_verifies_nothing() -> None:
    result = Trail().verify(T0, T0 + PERIOD)
    assert result.ok
    assert (result.digests, result.log_files, result.events) == (0, 0, 0)


# --- property ----------------------------------------------------------------------------------------------------

ACTIONS = st.sampled_from(["modify_log", "delete_log", "delete_digest", "forge"])


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.lists(st.integers(0, 3), max_size=3), min_size=1, max_size=6),
    action=ACTIONS,
    pick=st.integers(0, 1000),
)
def test_any_single_tampering_is_reported_on_its_object(sizes: list[list[int]], action: str, pick: int) -> None:
    t = Trail()
    for batches in sizes:
        t.period(*batches)
    clean = t.verify()
    assert clean.ok
    assert clean.events == sum(map(sum, sizes))
    expected: Problem | None = None
    if action in {"modify_log", "delete_log"} and t.log_keys:
        target = t.log_keys[pick % len(t.log_keys)]
        if action == "modify_log":
            t.store.put(target, trail.log_file([{"forged": pick}]))
            expected = Problem("log_file_hash_mismatch", BUCKET, target)
        else:
            t.store.delete(target)
            expected = Problem("log_file_not_found", BUCKET, target)
    elif action == "delete_digest" and len(t.digest_keys) > 1:
        target = t.digest_keys[pick % (len(t.digest_keys) - 1)]  # not the newest: nothing links to it
        t.store.delete(target)
        expected = Problem("digest_not_found", BUCKET, target)
    elif action == "forge":
        target = t.digest_keys[pick % len(t.digest_keys)]
        t.store.meta[(BUCKET, target)] = {"signature": kms_sign(b"other").hex()}
        expected = Problem("digest_signature_invalid", BUCKET, target)
    result = t.verify()
    if expected is None:
        assert result.ok
        return
    assert [(p.category, p.key) for p in result.problems] == [(expected.category, expected.key)]
