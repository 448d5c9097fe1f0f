"""Verify the audit trail from outside the service: ``python -m chalicelib.verify_records`` (``make verify-records``).

Needs only read access to the audit bucket (or a copy of it in a folder) and the trail's public key — from a PEM
file, or as the API publishes it at ``/audit/public-keys`` — never the council's credentials or KMS. Walks the digest
chain from the newest digest in the period back to the one covering its start, and prints every problem in
CloudTrail's categories. Exit status: 0 when the trail is intact, 1 on any problem, 2 when it could not run.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from chalicelib.domain import trail
from chalicelib.domain.bounds import SERVICE_START, period_bound, records_window
from chalicelib.domain.errors import ValidationFailed
from chalicelib.settings import council_timezone


class FolderCopy:
    """A copy of the bucket in a folder: ``<folder>/<key>``, the signature of ``<key>`` in ``<key>.signature``."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def get(self, bucket: str, key: str) -> bytes | None:
        path = self._root / key
        return path.read_bytes() if path.is_file() else None

    def metadata(self, bucket: str, key: str) -> Mapping[str, str] | None:
        path = self._root / f"{key}.signature"
        if not (self._root / key).is_file():
            return None
        return {trail.SIGNATURE_METADATA: path.read_text().strip()} if path.is_file() else {}

    def list_keys(self, bucket: str, prefix: str) -> Iterator[str]:
        for path in sorted((self._root / prefix).rglob("*.json.gz")):
            yield path.relative_to(self._root).as_posix()


def _moment(option: str, end: bool) -> Callable[[str], datetime]:
    """An argument parser for a period's start or end: a council day or an RFC 3339 time (UTC if it has no offset),
    within the service's life (``chalicelib.domain.bounds``); anything else is refused in plain words."""

    def parse(raw: str) -> datetime:
        text = raw.strip()
        if len(text) > 10 and "T" in text.upper():
            try:
                if datetime.fromisoformat(text).tzinfo is None:
                    text += "+00:00"
            except ValueError:
                pass
        # The council's days, as the API counts them: its one setting (COUNCIL_TIMEZONE, else the default).
        zone = ZoneInfo(council_timezone(os.environ))
        window = records_window(datetime.now(zone).date())
        try:
            return period_bound(text, option, window, zone, end)
        except ValidationFailed as exc:
            raise argparse.ArgumentTypeError(f"{raw!r} {exc.errors[0].message('en')}") from None

    return parse


def _keys(files: Sequence[str], url: str | None) -> list[EllipticCurvePublicKey]:
    pems: list[bytes] = [Path(f).read_bytes() for f in files]
    if not pems and url:
        import requests

        response = requests.get(url, timeout=10)
        response.raise_for_status()
        pems = [item["public_key_pem"].encode() for item in response.json()["items"]]
    keys = []
    for pem in pems:
        key = load_pem_public_key(pem)
        if not isinstance(key, EllipticCurvePublicKey):
            raise ValueError("the trail's public key is an elliptic-curve (P-256) key")
        keys.append(key)
    return keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--from",
        dest="start",
        type=_moment("--from", end=False),
        default=SERVICE_START.isoformat(),
        help=f"YYYY-MM-DD or RFC 3339, from {SERVICE_START.isoformat()} on (default: all)",
    )
    parser.add_argument(
        "--to", dest="end", type=_moment("--to", end=True), default=None, help="YYYY-MM-DD or RFC 3339 (default: now)"
    )
    parser.add_argument("--bucket", default=os.environ.get("BUCKET_AUDIT", "videoatencion-dev-audit"))
    parser.add_argument("--dir", type=Path, help="verify a copy of the bucket in this folder instead of S3")
    parser.add_argument("--public-key", action="append", default=[], help="PEM file of a trail public key")
    parser.add_argument(
        "--public-keys-url",
        default=os.environ.get("TRAIL_PUBLIC_KEYS_URL", "http://127.0.0.1:8000/audit/public-keys"),
        help="where the API publishes the keys (used when no --public-key is given)",
    )
    parser.add_argument("--digest-prefix", default="digests/")
    parser.add_argument("--log-prefix", default="logs/")
    args = parser.parse_args(argv)
    start: datetime = args.start
    end: datetime = args.end or datetime.now(UTC)
    if end <= start:
        parser.error("--to must be after --from")
    try:
        keys = _keys(args.public_key, args.public_keys_url)
        if args.dir is not None:
            store = FolderCopy(args.dir)
            get, metadata, list_keys = store.get, store.metadata, store.list_keys
        else:
            import boto3

            from chalicelib.adapters.s3_trail import S3TrailObjects

            objects = S3TrailObjects(boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None))
            get, metadata, list_keys = objects.get, objects.metadata, objects.list_keys
        verifier = trail.Verifier(get, metadata, list_keys, keys, args.bucket, args.digest_prefix, args.log_prefix)
        result = verifier.verify(start, end)
        if result.digests == 0:
            missing = trail.Problem("digest_not_found", args.bucket, args.digest_prefix, "no digest in the period")
            result = trail.VerificationResult(0, result.log_files, result.events, (*result.problems, missing))
    except Exception as exc:  # a CLI: say what went wrong in one line
        print(f"verify-records: could not verify: {exc}", file=sys.stderr)
        return 2
    for problem in result.problems:
        where = f" (found at {problem.found_at})" if problem.found_at else ""
        print(f"{problem.category}\ts3://{problem.bucket}/{problem.key}{where}\t{problem.detail}")
    verdict = "INTACT" if result.ok else f"{len(result.problems)} PROBLEM(S)"
    print(
        f"{verdict}: {result.digests} digests, {result.log_files} log files, {result.events} events "
        f"from {start.isoformat()} to {end.isoformat()} in s3://{args.bucket}"
    )
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
