"""The records trail on moto: delivery, the signed chain, auditors' search/export/verify, citizens' access log."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from chalicelib.bootstrap import get_container
from chalicelib.domain import trail
from chalicelib.domain.audit import citizen_pseudonym
from chalicelib.services.trail import TrailService
from dev.seed import DemoCounts
from infra.resources import RESOURCES, physical_name
from tests.api.test_identity import body, citizen_token, eid_token, get, post, staff_token
from tests.api.test_procedures import EMAIL, appointment
from tests.zones import COUNCIL_ZONE

BUCKET = physical_name("dev", "audit")
PSEUDONYM_KEY = next(p for p in RESOURCES.parameters if p.name == "audit/pseudonym-key").dev_value.encode()


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def auditor(client: Client, demo: DemoCounts) -> str:
    return staff_token(client, "auditor")


@pytest.fixture
def clock(auditor: str) -> Clock:
    """The trail service of the (already built) container, on a clock the test moves."""
    clock = Clock()
    get_container().trail._clock = clock
    return clock


def service() -> TrailService:
    return get_container().trail


def settle(clock: Clock) -> None:
    """Past the settle delay (2 s in dev) and the digest period (30 s in dev)."""
    clock.advance(seconds=31)


def objects(prefix: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents") or []
    return sorted(o["Key"] for o in listed)


def read(key: str) -> bytes:
    data: bytes = boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return gzip.decompress(data)


def records_delivered() -> list[dict[str, Any]]:
    return [r for key in objects("logs/") for r in json.loads(read(key))["Records"]]


def verify(client: Client, token: str, **period: str) -> dict[str, Any]:
    response = post(client, "/audit/verify", period, token)
    assert response.status_code == 200, response.body
    return body(response)


def test_events_become_locked_log_files_sealed_in_a_chain_that_verifies(
    client: Client, clock: Clock, auditor: str
) -> None:
    settle(clock)
    report = service().run()

    assert report.log_files == 1
    assert report.digest is not None
    logs, digests = objects("logs/"), objects("digests/")
    assert len(logs) == 1
    assert digests == [report.digest]
    head = boto3.client("s3").head_object(Bucket=BUCKET, Key=logs[0])
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC)
    assert head["ServerSideEncryption"] == "aws:kms"
    actions = [r["eventName"] for r in records_delivered()]
    assert {"auth.staff.otp_sent", "auth.staff.login"} <= set(actions)
    digest = json.loads(read(digests[0]))
    assert digest["logFiles"][0]["s3Object"] == logs[0]
    assert digest["previousDigestSignature"] is None
    assert boto3.client("s3").head_object(Bucket=BUCKET, Key=digests[0])["Metadata"]["signature"]

    result = verify(client, auditor)
    assert result["ok"] is True, result["problems"]
    assert result["digests"] == 1
    assert result["log_files"] == 1
    assert result["events"] == len(actions)


def test_every_period_gets_a_digest_even_without_events_and_they_chain(client: Client, clock: Clock) -> None:
    settle(clock)
    service().run()
    for _ in range(2):
        clock.advance(seconds=31)
        assert service().deliver() == 0  # nothing new has settled… (the sign-ins happened before)
        assert service().seal_digest() is not None
    digests = [json.loads(read(k)) for k in objects("digests/")]
    assert len(digests) == 3
    assert digests[1]["logFiles"] == []
    assert digests[2]["logFiles"] == []
    assert digests[2]["previousDigestS3Object"] == objects("digests/")[1]
    assert digests[2]["digestStartTime"] == digests[1]["digestEndTime"]
    # Not yet due: no digest before the period is over.
    clock.advance(seconds=5)
    assert service().seal_digest() is None


def test_no_id_number_reaches_the_bucket_only_its_keyed_hash(client: Client, clock: Clock) -> None:
    citizen_token(client, "12345678Z", EMAIL)
    settle(clock)
    service().run()

    raw = b"".join(read(k) for k in objects("logs/"))
    assert b"12345678Z" not in raw
    assert citizen_pseudonym(PSEUDONYM_KEY, "12345678Z").encode() in raw


def test_a_second_delivery_racing_the_first_never_delivers_an_event_twice(client: Client, clock: Clock) -> None:
    settle(clock)
    state: Any = service()._state
    stale = state.cursor()
    assert service().deliver() == 1
    real: Callable[[], Any] = state.cursor
    state.cursor = lambda: stale  # the loser read the cursor before the winner moved it
    try:
        assert service().deliver() == 0
    finally:
        state.cursor = real
    clock.advance(seconds=1)
    service().seal_digest(force=True)
    listed = [f["s3Object"] for k in objects("digests/") for f in json.loads(read(k))["logFiles"]]
    assert len(listed) == 1
    # The loser wrote the same batch: the same content under the same name (a second version, never a second
    # listing), so no event is delivered twice.
    ids = [r["eventID"] for r in records_delivered()]
    assert objects("logs/") == listed
    assert len(ids) == len(set(ids))


def test_hidden_or_rewritten_log_files_are_reported_despite_object_lock(
    client: Client, clock: Clock, auditor: str
) -> None:
    settle(clock)
    service().run()
    clock.advance(seconds=31)
    citizen_token(client, "12345678Z", EMAIL)
    clock.advance(seconds=3)
    service().run()
    logs = objects("logs/")
    assert len(logs) >= 2
    s3 = boto3.client("s3")
    # Object Lock keeps every version, but anyone allowed to write can still hide a file behind a delete marker
    # or put a new version over it: the verifier must notice both.
    s3.delete_object(Bucket=BUCKET, Key=logs[0])
    s3.put_object(Bucket=BUCKET, Key=logs[1], Body=gzip.compress(b'{"Records":[]}'))

    result = verify(client, auditor)
    assert result["ok"] is False
    found = {(p["category"], p["key"]) for p in result["problems"]}
    assert ("log_file_not_found", logs[0]) in found
    assert ("log_file_hash_mismatch", logs[1]) in found
    assert len(found) == 2


def test_auditors_search_by_period_action_and_id_number_and_every_search_is_audited(
    client: Client, demo: DemoCounts, auditor: str
) -> None:
    citizen_token(client, "12345678Z", EMAIL)
    everything = body(get(client, "/audit/events", auditor))
    actions = {e["action"] for e in everything["items"]}
    assert {"auth.otp.request", "auth.otp.verify", "auth.staff.login"} <= actions

    by_action = body(get(client, "/audit/events?action=auth.otp.request", auditor))["items"]
    assert by_action
    assert {e["action"] for e in by_action} == {"auth.otp.request"}

    by_person = body(get(client, "/audit/events?subject=12345678Z", auditor))["items"]
    assert by_person
    pseudonym = citizen_pseudonym(PSEUDONYM_KEY, "12345678Z")
    assert all(e["data_subject"] == pseudonym for e in by_person)
    assert "12345678Z" not in json.dumps(everything)

    searches = body(get(client, "/audit/events?action=audit.search", auditor))["items"]
    assert len(searches) >= 3
    assert any(s["details"].get("data_subject") == pseudonym for s in searches)


def test_an_auditors_search_keeps_no_id_number_email_or_phone_in_the_trail(
    client: Client, demo: DemoCounts, auditor: str
) -> None:
    # GIVEN a citizen who signed in (events under their pseudonym)
    citizen_token(client, "12345678Z", EMAIL)
    pseudonym = citizen_pseudonym(PSEUDONYM_KEY, "12345678Z")

    # WHEN an auditor searches with the ID number as the trail names a citizen, mistyped, or with contact details
    found = body(get(client, "/audit/events?actor=citizen:12345678Z", auditor))["items"]
    for query in ("actor=12345678A", "subject=citizen%3A12345678z", "actor=rosa%40example.org", "actor=600111222"):
        assert get(client, f"/audit/events?{query}", auditor).status_code == 200

    # THEN the search finds the citizen's own events, and no audit event of the searches holds what was typed
    assert found
    assert {e["actor"] for e in found} == {f"citizen:{pseudonym}"}
    today = datetime.now(UTC).astimezone(COUNCIL_ZONE).date().isoformat()
    searches = [e for e in get_container().audit.events_of_day(today) if e.action == "audit.search"]
    assert len(searches) == 5
    stored = json.dumps([dict(e.details) for e in searches])
    for typed in ("12345678", "rosa@example.org", "600111222"):
        assert typed not in stored
    assert searches[0].details["actor"] == f"citizen:{pseudonym}"
    assert searches[2].details["data_subject"] == pseudonym


def test_search_pages_with_a_cursor_newest_first(client: Client, demo: DemoCounts, auditor: str) -> None:
    for _ in range(3):
        get(client, "/audit/events", auditor)  # each search adds an event
    seen: list[str] = []
    cursor: str | None = None
    from chalicelib.services import trail as trail_service

    trail_service.PAGE_SIZE, previous = 2, trail_service.PAGE_SIZE
    try:
        while True:
            page = body(get(client, "/audit/events" + (f"?cursor={cursor}" if cursor else ""), auditor))
            seen.extend(e["id"] for e in page["items"])
            cursor = page["next"]
            if cursor is None:
                break
    finally:
        trail_service.PAGE_SIZE = previous
    assert len(seen) == len(set(seen)) >= 4


def test_only_auditors_see_the_trail(client: Client, demo: DemoCounts) -> None:
    agent = staff_token(client, "agent.omac")
    citizen = citizen_token(client)
    for token in (agent, citizen, None):
        assert get(client, "/audit/events", token).status_code in (401, 404)
        assert post(client, "/audit/verify", {}, token).status_code in (401, 404)


def test_periods_are_validated(client: Client, auditor: str) -> None:
    backwards = get(client, "/audit/events?from=2026-11-10&to=2026-11-01", auditor)
    assert backwards.status_code == 422
    assert body(backwards)["errors"][0]["field"] == "to"
    assert get(client, "/audit/events?from=2026-01-01&to=2026-03-01", auditor).status_code == 422
    assert get(client, "/audit/events?from=yesterday", auditor).status_code == 422


def test_export_is_a_json_lines_file_of_the_period_and_is_audited(client: Client, auditor: str) -> None:
    response = get(client, "/audit/export", auditor)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    assert "attachment" in response.headers["Content-Disposition"]
    lines = [json.loads(line) for line in response.body.decode().splitlines()]
    assert lines
    assert all("action" in line for line in lines)
    assert [line["at"] for line in lines] == sorted(line["at"] for line in lines)
    exports = body(get(client, "/audit/events?action=audit.export", auditor))["items"]
    assert len(exports) == 1


def test_public_keys_verify_the_digests(client: Client, clock: Clock) -> None:
    settle(clock)
    key = service().run().digest
    assert key is not None
    items = body(get(client, "/audit/public-keys"))["items"]
    assert len(items) == 1
    public: Any = load_pem_public_key(items[0]["public_key_pem"].encode())
    document = json.loads(read(key))
    assert document["digestPublicKeyFingerprint"] == items[0]["fingerprint"]
    signature = boto3.client("s3").head_object(Bucket=BUCKET, Key=key)["Metadata"]["signature"]
    message = trail.signing_string(document, trail.sha256_hex(read(key)))
    assert trail.verify_signature([public], signature, message)


def test_citizens_see_who_touched_their_data_by_role_and_purpose_never_by_name(
    client: Client, demo: DemoCounts
) -> None:
    appointment_id = appointment("residence-certificate", "OMAC", "12345678Z", EMAIL)
    agent = staff_token(client, "agent.omac")
    assert get(client, f"/appointments/{appointment_id}/procedure-form", agent).status_code == 200
    citizen = eid_token("12345678Z")
    citizen_token(client, "12345678Z", EMAIL)  # their own sign-in: not shown as an access by someone else

    response = get(client, "/me/access-log", citizen)
    assert response.status_code == 200
    items = body(response)["items"]
    reads = [i for i in items if i["action"] == "register.read"]
    assert reads
    assert reads[0]["role"] == "agent"
    assert reads[0]["purpose"]
    assert "agent.omac" not in json.dumps(items)
    assert all(i["action"] not in ("auth.otp.request", "auth.otp.verify") for i in items)  # their own actions

    other = eid_token("00000001R")
    assert not [i for i in body(get(client, "/me/access-log", other))["items"] if i["action"] == "register.read"]
    assert get(client, "/me/access-log", agent).status_code == 404


def test_a_code_sign_in_under_someones_id_number_cannot_read_their_access_log(client: Client, demo: DemoCounts) -> None:
    # GIVEN an agent looked up a citizen's registers (with a supervisor-style reason in the trail)
    appointment_id = appointment("residence-certificate", "OMAC", "12345678Z", EMAIL)
    agent = staff_token(client, "agent.omac")
    assert get(client, f"/appointments/{appointment_id}/procedure-form", agent).status_code == 200

    # WHEN someone who knows the ID number signs in with a code sent to their own address (or the owner does so)
    for address in ("intruder@example.org", EMAIL):
        response = get(client, "/me/access-log", citizen_token(client, "12345678Z", address))

        # THEN they are asked for a digital identity sign-in and see nothing of the log
        assert response.status_code == 403
        problem = body(response)
        assert problem["code"] == "insufficient_assurance"
        assert problem["required_assurance"] == "substantial"
        assert "items" not in problem


def test_the_command_line_verifier_needs_only_the_public_key_and_read_access(
    client: Client, clock: Clock, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from chalicelib import verify_records

    settle(clock)
    service().run()
    until = ["--to", (clock.now + timedelta(days=1)).date().isoformat()]  # the test's clock runs ahead
    pem = tmp_path / "trail.pem"
    pem.write_text(body(get(client, "/audit/public-keys"))["items"][0]["public_key_pem"])

    assert verify_records.main(["--bucket", BUCKET, "--public-key", str(pem), *until]) == 0
    assert "INTACT: 1 digests, 1 log files" in capsys.readouterr().out

    # A copy of the bucket on another machine (keys as files, each digest's signature beside it) verifies offline.
    copy = tmp_path / "copy"
    s3 = boto3.client("s3")
    for key in objects(""):
        (copy / key).parent.mkdir(parents=True, exist_ok=True)
        (copy / key).write_bytes(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
        signature = s3.head_object(Bucket=BUCKET, Key=key)["Metadata"].get("signature")
        if signature:
            (copy / f"{key}.signature").write_text(signature)
    assert verify_records.main(["--dir", str(copy), "--bucket", BUCKET, "--public-key", str(pem), *until]) == 0
    capsys.readouterr()

    log = objects("logs/")[0]
    (copy / log).write_bytes(gzip.compress(b'{"Records":[]}'))
    assert verify_records.main(["--dir", str(copy), "--bucket", BUCKET, "--public-key", str(pem), *until]) == 1
    assert f"log_file_hash_mismatch\ts3://{BUCKET}/{log}" in capsys.readouterr().out

    other = tmp_path / "other.pem"
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    other.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    assert verify_records.main(["--bucket", BUCKET, "--public-key", str(other), *until]) == 1
    assert "digest_signature_invalid" in capsys.readouterr().out
