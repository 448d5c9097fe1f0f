"""Tamper-evident audit trail: log files, signed digest chain and a verifier (pure core, no AWS).

Modelled on AWS CloudTrail log file integrity validation:

- A log file is gzip JSON ``{"Records": [...]}``; its hash is the hex SHA-256 of the *uncompressed* content.
- A digest file (gzip JSON) lists the log files delivered in its period with their hashes and links to the previous
  digest by its S3 location, hash and signature. A digest is written for every period, even an empty one.
- The digest's signature is stored beside it (S3 object metadata ``signature``, hex) and covers CloudTrail's data
  signing string::

      digestEndTime + "\\n" + digestS3Bucket + "/" + digestS3Object + "\\n"
      + hex(SHA-256(uncompressed digest file)) + "\\n" + previousDigestSignature   # "null" for the first digest

  It is an ECDSA P-256 / SHA-256 signature in DER, as KMS ``Sign`` (``ECDSA_SHA_256``, ``MessageType=RAW``)
  returns it.
- A digest names the signing key by ``digestPublicKeyFingerprint`` (first 32 hex digits of the SHA-256 of the DER
  SubjectPublicKeyInfo) and, beyond CloudTrail, each ``logFiles[]`` entry carries the file's ``eventCount``.
- The verifier walks the chain from the newest digest backwards with the public key(s) only and reports each
  problem in CloudTrail's categories. It reads, inflates and hashes every log file a digest lists (streamed straight
  into SHA-256), and counts events from the signed ``eventCount`` once the file's hash matches; only a digest that
  lacks the count makes it parse the file.

Nothing here does I/O: the caller passes functions that read objects, their metadata and listings.
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import json
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

HASH_ALGORITHM: Final = "SHA-256"
SIGNATURE_ALGORITHM: Final = "SHA256withECDSA"
SIGNATURE_METADATA: Final = "signature"
SIGNATURE_ALGORITHM_METADATA: Final = "signature-algorithm"
_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"

Category = Literal[
    "log_file_not_found",
    "log_file_moved",
    "log_file_hash_mismatch",
    "digest_not_found",
    "digest_moved",
    "digest_hash_mismatch",
    "digest_signature_invalid",
    "chain_gap",
]


# --- time -------------------------------------------------------------------------------------------------------


def format_time(at: datetime) -> str:
    """UTC, ISO 8601 extended, whole seconds: ``2015-05-08T07:19:37Z`` (CloudTrail's digest time format)."""
    if at.tzinfo is None:
        raise ValueError("trail times must carry their offset")
    return at.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


# --- files --------------------------------------------------------------------------------------------------------


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip: fixed mtime, so the same content always gives the same object."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def gunzip(data: bytes) -> bytes | None:
    """The inflated content, or None when ``data`` is not a valid gzip stream."""
    try:
        return zlib.decompress(data, zlib.MAX_WBITS | 16)
    except zlib.error:
        return None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_INFLATE_CHUNK: Final = 64 * 1024


def gunzip_sha256_hex(data: bytes) -> str | None:
    """The hex SHA-256 of the inflated content, or None when ``data`` is not a valid gzip stream.

    Same verdict as ``sha256_hex(gunzip(data))``, but the content is inflated in bounded chunks straight into the hash
    and never held whole."""
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    digest_ = hashlib.sha256()
    pending = data
    try:
        while pending and not inflater.eof:  # bytes after the gzip member are ignored, as zlib.decompress does
            chunk = inflater.decompress(pending, _INFLATE_CHUNK)
            if not chunk and len(inflater.unconsumed_tail) == len(pending):
                return None  # no progress: never loop on a stream zlib cannot move forward
            digest_.update(chunk)
            pending = inflater.unconsumed_tail
        digest_.update(inflater.flush())
    except zlib.error:
        return None
    return digest_.hexdigest() if inflater.eof else None  # not eof: truncated, as zlib.decompress would say


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def log_file(events: list[dict[str, Any]]) -> bytes:
    """A log file object: gzip JSON ``{"Records": [...]}``, byte-for-byte deterministic."""
    return gzip_bytes(canonical_json({"Records": events}))


def _record_times(records: Sequence[Any]) -> list[str]:
    return sorted(r["eventTime"] for r in records if isinstance(r, dict) and isinstance(r.get("eventTime"), str))


@dataclass(frozen=True)
class LogFileRef:
    """A delivered log file as a digest lists it. ``hash_value`` is over the uncompressed content."""

    bucket: str
    key: str
    hash_value: str
    oldest_event_time: str | None = None
    newest_event_time: str | None = None
    event_count: int | None = None  # records in the file; written as ``eventCount`` when known

    @classmethod
    def of(cls, bucket: str, key: str, body: bytes) -> LogFileRef:
        """The reference for a log file object produced by :func:`log_file` (times from the records' eventTime)."""
        inflated = gunzip(body)
        if inflated is None:
            raise ValueError("not a gzip log file")
        records = json.loads(inflated)["Records"]
        times = _record_times(records)
        oldest, newest = (times[0], times[-1]) if times else (None, None)
        return cls(bucket, key, sha256_hex(inflated), oldest, newest, len(records))

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "s3Bucket": self.bucket,
            "s3Object": self.key,
            "hashValue": self.hash_value,
            "hashAlgorithm": HASH_ALGORITHM,
            "oldestEventTime": self.oldest_event_time,
            "newestEventTime": self.newest_event_time,
        }
        if self.event_count is not None:
            entry["eventCount"] = self.event_count
        return entry


@dataclass(frozen=True)
class DigestRef:
    """A delivered digest, as the next digest links to it."""

    bucket: str
    key: str
    hash_value: str
    signature: str  # hex DER


def digest(
    start: datetime,
    end: datetime,
    bucket: str,
    key: str,
    log_files: list[LogFileRef],
    previous: DigestRef | None,
    *,
    public_key_fingerprint: str | None = None,
) -> dict[str, Any]:
    """The digest document for one period (CloudTrail's field names); ``log_files`` may be empty.

    ``public_key_fingerprint`` (see :func:`public_key_fingerprint`) names the key that will sign it, written as
    ``digestPublicKeyFingerprint``; verifiers holding several keys try that one first."""
    if end <= start:
        raise ValueError("a digest period must end after it starts")
    oldest = [f.oldest_event_time for f in log_files if f.oldest_event_time]
    newest = [f.newest_event_time for f in log_files if f.newest_event_time]
    fingerprint = {"digestPublicKeyFingerprint": public_key_fingerprint} if public_key_fingerprint is not None else {}
    return {
        "digestStartTime": format_time(start),
        "digestEndTime": format_time(end),
        "digestS3Bucket": bucket,
        "digestS3Object": key,
        **fingerprint,
        "digestSignatureAlgorithm": SIGNATURE_ALGORITHM,
        "oldestEventTime": min(oldest) if oldest else None,
        "newestEventTime": max(newest) if newest else None,
        "previousDigestS3Bucket": previous.bucket if previous else None,
        "previousDigestS3Object": previous.key if previous else None,
        "previousDigestHashValue": previous.hash_value if previous else None,
        "previousDigestHashAlgorithm": HASH_ALGORITHM if previous else None,
        "previousDigestSignature": previous.signature if previous else None,
        "logFiles": [f.as_json() for f in log_files],
    }


def digest_content(digest_dict: Mapping[str, Any]) -> bytes:
    """The uncompressed digest file content (the bytes whose SHA-256 is signed and chained)."""
    return canonical_json(digest_dict)


def signing_string(digest_dict: Mapping[str, Any], digest_bytes_sha256_hex: str) -> bytes:
    """CloudTrail's data signing string; the first digest's missing previous signature is the string ``null``."""
    previous = digest_dict.get("previousDigestSignature")
    return "\n".join(
        [
            str(digest_dict["digestEndTime"]),
            f"{digest_dict['digestS3Bucket']}/{digest_dict['digestS3Object']}",
            digest_bytes_sha256_hex,
            "null" if previous is None else str(previous),
        ]
    ).encode()


@dataclass(frozen=True)
class SealedDigest:
    """A signed digest ready to store: ``body`` is the object, ``metadata`` its S3 user metadata."""

    ref: DigestRef
    body: bytes
    metadata: dict[str, str]


def seal(digest_dict: Mapping[str, Any], sign: Callable[[bytes], bytes]) -> SealedDigest:
    """Sign a digest. ``sign`` takes the signing string and returns a DER ECDSA-SHA256 signature (KMS Sign, RAW)."""
    content = digest_content(digest_dict)
    hash_value = sha256_hex(content)
    signature = sign(signing_string(digest_dict, hash_value)).hex()
    ref = DigestRef(digest_dict["digestS3Bucket"], digest_dict["digestS3Object"], hash_value, signature)
    metadata = {SIGNATURE_METADATA: signature, SIGNATURE_ALGORITHM_METADATA: SIGNATURE_ALGORITHM}
    return SealedDigest(ref, gzip_bytes(content), metadata)


def digest_key(prefix: str, end: datetime) -> str:
    """Where a digest lives; keys sort by end time, which is how the verifier finds the newest one."""
    at = end.astimezone(UTC)
    return f"{prefix}{at:%Y/%m/%d}/{at:%Y%m%dT%H%M%SZ}_digest.json.gz"


def public_key_fingerprint(key: ec.EllipticCurvePublicKey) -> str:
    """CloudTrail-style 32-hex-digit key fingerprint: the first 128 bits of SHA-256 of the DER SubjectPublicKeyInfo."""
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return sha256_hex(der)[:32]


def verify_signature(public_keys: Sequence[ec.EllipticCurvePublicKey], signature_hex: str, message: bytes) -> bool:
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        return False
    for key in public_keys:
        try:
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            continue
        return True
    return False


# --- verification ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    category: Category
    bucket: str
    key: str
    detail: str = ""
    found_at: str | None = None  # for *_moved: the key the object was found under


@dataclass(frozen=True)
class VerificationResult:
    digests: int
    log_files: int
    events: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class PeriodVerification:
    """The trail verified over a period (``start`` to ``end``) at ``verified_at``: what the verifier found."""

    start: datetime
    end: datetime
    result: VerificationResult
    verified_at: datetime


Getter = Callable[[str, str], bytes | None]
MetadataGetter = Callable[[str, str], Mapping[str, str] | None]
Lister = Callable[[str, str], Iterable[str]]


@dataclass(frozen=True)
class _Loaded:
    key: str
    doc: dict[str, Any]
    hash_value: str
    signature: str | None


@dataclass
class Verifier:
    """Verifies a trail with the public key(s) alone.

    ``get(bucket, key)`` returns an object's bytes or None; ``metadata(bucket, key)`` its user metadata (where the
    digest signature is) or None; ``list_keys(bucket, prefix)`` the keys that exist. Digests are found under
    ``digest_prefix`` in ``bucket``; moved log files are looked for under ``log_prefix``.
    """

    get: Getter
    metadata: MetadataGetter
    list_keys: Lister
    public_keys: Sequence[ec.EllipticCurvePublicKey]
    bucket: str
    digest_prefix: str
    log_prefix: str
    _problems: list[Problem] = field(default_factory=list, init=False, repr=False)
    _digest_listing: list[str] = field(default_factory=list, init=False, repr=False)
    _digest_index: dict[str, str] | None = field(default=None, init=False, repr=False)
    _keys_by_fingerprint: dict[str, ec.EllipticCurvePublicKey] = field(default_factory=dict, init=False, repr=False)
    _log_index: dict[str, dict[str, str]] = field(default_factory=dict, init=False, repr=False)
    _referenced: set[tuple[str, str]] = field(default_factory=set, init=False, repr=False)
    _missing: list[tuple[str, str, str, int | None]] = field(default_factory=list, init=False, repr=False)

    def verify(self, start: datetime, end: datetime) -> VerificationResult:
        """Walk the chain from the newest digest ending at or before ``end`` back to the one covering ``start``."""
        self._problems = []
        self._digest_index = None
        self._log_index = {}
        self._referenced = set()
        self._missing = []
        self._keys_by_fingerprint = {}
        for public_key in self.public_keys:
            self._keys_by_fingerprint.setdefault(public_key_fingerprint(public_key), public_key)
        self._digest_listing = list(self.list_keys(self.bucket, self.digest_prefix))  # listed once per verification
        keys = sorted(k for k in self._digest_listing if k.endswith("_digest.json.gz"))
        until = digest_key(self.digest_prefix, end)
        position = bisect.bisect_right(keys, until) - 1
        digests = log_files = events = 0
        key: str | None = keys[position] if position >= 0 else None
        expected_hash: str | None = None  # from the later digest's link, when we arrived by a link
        later: _Loaded | None = None
        start_text = format_time(start)
        while key is not None:
            loaded = self._load(key, expected_hash, later)
            if loaded is None:  # not found (reported): resume from the newest listed digest older than the link
                key = self._older_than(keys, key)
                expected_hash, later = None, None
                continue
            digests += 1
            verified_files, verified_events = self._check_log_files(loaded.doc)
            log_files += verified_files
            events += verified_events
            doc = loaded.doc
            if str(doc.get("digestStartTime", "")) <= start_text or doc.get("previousDigestS3Object") is None:
                break
            key = str(doc["previousDigestS3Object"])
            expected_hash = doc.get("previousDigestHashValue")
            later = loaded
        events += self._resolve_missing_log_files()
        return VerificationResult(digests, log_files, events, tuple(self._problems))

    # -- digests

    def _report(self, problem: Problem) -> None:
        if problem not in self._problems:
            self._problems.append(problem)

    def _older_than(self, keys: list[str], key: str) -> str | None:
        position = bisect.bisect_left(keys, key) - 1
        return keys[position] if position >= 0 else None

    def _load(self, key: str, expected_hash: str | None, later: _Loaded | None) -> _Loaded | None:
        located_at = key
        body = self.get(self.bucket, key)
        if body is None:
            moved_to = self._find_digest(expected_hash) if expected_hash else None
            if moved_to is None:
                self._report(Problem("digest_not_found", self.bucket, key))
                return None
            self._report(Problem("digest_moved", self.bucket, key, "found by its hash elsewhere", moved_to))
            located_at = moved_to
            body = self.get(self.bucket, moved_to)
            if body is None:
                self._report(Problem("digest_not_found", self.bucket, key))
                return None
        content = gunzip(body)
        doc = _json_object(content) if content is not None else None
        hash_value = sha256_hex(content if content is not None else body)
        if expected_hash is not None and hash_value != expected_hash:
            self._report(Problem("digest_hash_mismatch", self.bucket, key, "previousDigestHashValue differs"))
        if doc is None:
            self._report(Problem("digest_signature_invalid", self.bucket, key, "not a readable digest file"))
            return None
        if (doc.get("digestS3Bucket"), doc.get("digestS3Object")) != (self.bucket, located_at) and located_at == key:
            self._report(
                Problem("digest_moved", self.bucket, str(doc.get("digestS3Object")), "found elsewhere", located_at)
            )
        meta = self.metadata(self.bucket, located_at) or {}
        signature = meta.get(SIGNATURE_METADATA)
        if signature is None or not verify_signature(self._keys_for(doc), signature, signing_string(doc, hash_value)):
            self._report(Problem("digest_signature_invalid", self.bucket, key, "signature does not verify"))
        elif later is not None and later.doc.get("previousDigestSignature") != signature:
            self._report(Problem("digest_signature_invalid", self.bucket, key, "differs from the next digest's link"))
        if later is not None and later.doc.get("digestStartTime") != doc.get("digestEndTime"):
            self._report(
                Problem(
                    "chain_gap",
                    self.bucket,
                    later.key,
                    f"starts {later.doc.get('digestStartTime')}, previous ends {doc.get('digestEndTime')}",
                )
            )
        return _Loaded(key, doc, hash_value, signature)

    def _keys_for(self, doc: Mapping[str, Any]) -> Sequence[ec.EllipticCurvePublicKey]:
        """The verifier's keys, the one the digest names by ``digestPublicKeyFingerprint`` (if held) first."""
        fingerprint = doc.get("digestPublicKeyFingerprint")
        named = self._keys_by_fingerprint.get(fingerprint) if isinstance(fingerprint, str) else None
        if named is None or (self.public_keys and self.public_keys[0] is named):
            return self.public_keys
        return [named, *(k for k in self.public_keys if k is not named)]

    def _find_digest(self, hash_value: str) -> str | None:
        if self._digest_index is None:
            self._digest_index = {}
            for key in self._digest_listing:
                body = self.get(self.bucket, key)
                if body is not None:
                    self._digest_index.setdefault(gunzip_sha256_hex(body) or sha256_hex(body), key)
        return self._digest_index.get(hash_value)

    # -- log files

    def _check_log_files(self, doc: Mapping[str, Any]) -> tuple[int, int]:
        files = events = 0
        get, referenced = self.get, self._referenced
        for entry in doc.get("logFiles") or []:
            bucket, key, expected = str(entry["s3Bucket"]), str(entry["s3Object"]), str(entry["hashValue"])
            files += 1
            referenced.add((bucket, key))
            body = get(bucket, key)
            if body is None:
                self._missing.append((bucket, key, expected, _signed_count(entry)))
                continue
            counted = _count_events(body, expected, _signed_count(entry))
            if counted is None:
                self._report(Problem("log_file_hash_mismatch", bucket, key))
            else:
                events += counted
        return files, events

    def _resolve_missing_log_files(self) -> int:
        """After the walk: a missing log file whose content is found under a key no digest lists was moved."""
        events = 0
        for bucket, key, expected, signed_count in self._missing:
            moved_to = self._find_log(bucket, expected)
            body = self.get(bucket, moved_to) if moved_to is not None else None
            counted = _count_events(body, expected, signed_count) if body is not None else None
            if moved_to is None or counted is None:
                self._report(Problem("log_file_not_found", bucket, key))
                continue
            self._report(Problem("log_file_moved", bucket, key, "found by its hash elsewhere", moved_to))
            events += counted
        return events

    def _find_log(self, bucket: str, hash_value: str) -> str | None:
        if bucket not in self._log_index:
            index: dict[str, str] = {}
            for key in self.list_keys(bucket, self.log_prefix):
                if (bucket, key) in self._referenced:
                    continue
                body = self.get(bucket, key)
                found = gunzip_sha256_hex(body) if body is not None else None
                if found is not None:
                    index.setdefault(found, key)
            self._log_index[bucket] = index
        return self._log_index[bucket].get(hash_value)


def _signed_count(entry: Mapping[str, Any]) -> int | None:
    """The digest entry's ``eventCount`` when it is a count (a digest written before it existed has none)."""
    count = entry.get("eventCount")
    return count if type(count) is int and count >= 0 else None


def _count_events(body: bytes, expected_hash: str, signed_count: int | None = None) -> int | None:
    """The number of records in a log file whose uncompressed content has ``expected_hash``, else None.

    With the digest's signed count the file is only inflated and hashed (its content is then exactly what the count
    was taken over); without one it is parsed to count its records."""
    if signed_count is not None:
        return signed_count if gunzip_sha256_hex(body) == expected_hash else None
    content = gunzip(body)
    if content is None or sha256_hex(content) != expected_hash:
        return None
    parsed = _json_object(content)
    records = parsed.get("Records") if parsed else None
    return len(records) if isinstance(records, list) else 0


def _json_object(content: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(content)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
