"""Records through the API and the retention sweep, on moto: a finished recording enters the retention register from
its manifest, procedures carried out in the call extend its retention, supervisors play it only with a stated reason,
a legal hold stops the sweep, and the sweep erases every version of what expired and says so in the audit trail."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.api.commands import stated_reason
from chalicelib.api.records import recording_json
from chalicelib.auth.principal import Principal
from chalicelib.bootstrap import get_container
from chalicelib.domain.audit import AuditEvent, RequestContext, citizen_pseudonym
from chalicelib.domain.errors import Conflict
from dev.calls_now import DemoCall, seed_calls_now
from dev.seed import DemoCounts
from infra.resources import RESOURCES, physical_name
from tests.api.test_calls import event, join, register_node, report
from tests.api.test_identity import body, citizen_token, get, post, staff_token
from tests.zones import COUNCIL_ZONE

PSEUDONYM_KEY = next(p for p in RESOURCES.parameters if p.name == "audit/pseudonym-key").dev_value.encode()
RECORDINGS = physical_name("dev", "recordings")
REASON = "Complaint 2025/118 about the agent's manner"


@pytest.fixture
def now_calls(demo: DemoCounts) -> dict[str, DemoCall]:
    return {c.office: c for c in seed_calls_now("dev", os.environ["AWS_REGION"], None)}


def upload(key: str, data: bytes) -> str:
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    answer = boto3.client("s3").put_object(
        Bucket=RECORDINGS, Key=key, Body=data, ChecksumAlgorithm="SHA256", ChecksumSHA256=digest
    )
    return str(answer["VersionId"])


def record_call(client: Client, call: DemoCall) -> tuple[str, list[dict[str, Any]]]:
    """The agent joins, the media node uploads two segments and the manifest and reports the recording complete."""
    register_node("node-a")
    room = body(join(client, call.appointment_id, staff_token(client, call.agent)))
    prefix = f"recordings/{call.appointment_id}/{room['room_id']}/"
    citizen_pid = "c-0123456789abcdef"
    segments = []
    for pid, n in ((f"a-{call.agent}", 1), (citizen_pid, 1)):
        data = f"webm of {pid} {n}".encode()
        segment: dict[str, Any] = {
            "file": f"{pid}.20250310T101500000000Z.{n:04d}.webm",
            "participant": pid,
            "kinds": ["audio", "video"],
            "start": "2025-03-10T10:15:00.000+00:00",
            "end": "2025-03-10T10:15:30.000+00:00",
            "duration_seconds": 30.0,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "audio_only": [],
        }
        upload(prefix + segment["file"], data)
        segments.append(segment)
    manifest = {
        "room_id": room["room_id"],
        "appointment_id": call.appointment_id,
        "status": "complete",
        "participants": [
            {"id": f"a-{call.agent}", "role": "agent", "name": "Agent"},
            {"id": citizen_pid, "role": "citizen", "name": call.name.split()[0]},
        ],
        "segments": segments,
        "events": [],
        "chat": [],
    }
    raw = json.dumps(manifest).encode()
    upload(prefix + "manifest.json", raw)
    recording = {
        "bucket": RECORDINGS,
        "manifest_key": prefix + "manifest.json",
        "manifest_sha256": hashlib.sha256(raw).hexdigest(),
        "segments": len(segments),
        "duration_seconds": 30.0,
        "status": "complete",
    }
    answer = report(client, event(room, call.appointment_id, "recording_complete", recording=recording))
    assert answer.status_code == 204, answer.body
    return f"rec-{room['room_id']}", segments


def recordings_of_today(client: Client, token: str) -> Any:
    return get(client, f"/recordings?date={datetime.now(COUNCIL_ZONE).date().isoformat()}", token)


def versions(prefix: str) -> list[Any]:
    answer = boto3.client("s3").list_object_versions(Bucket=RECORDINGS, Prefix=prefix)
    found: list[Any] = []
    found.extend(answer.get("Versions", []))
    found.extend(answer.get("DeleteMarkers", []))
    return found


def trail(action: str) -> list[AuditEvent]:
    today = datetime.now(UTC).astimezone(COUNCIL_ZONE).date().isoformat()
    return [e for e in get_container().audit.events_of_day(today) if e.action == action]


def until(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(item["retain_until"]))


def sweep(days: int) -> dict[str, int]:
    return get_container().records.sweep(datetime.now(UTC) + timedelta(days=days))


def test_a_finished_recording_is_registered_from_its_manifest_for_supervisors_only(
    client: Client, now_calls: dict[str, DemoCall]
) -> None:
    omac = now_calls["OMAC"]
    record_id, segments = record_call(client, omac)

    answer = recordings_of_today(client, staff_token(client, "supervisor"))
    assert answer.status_code == 200, answer.body
    assert answer.headers["Cache-Control"] == "no-store"
    (item,) = body(answer)["items"]
    assert item["record_id"] == record_id
    assert (item["appointment_id"], item["office"], item["service_id"]) == (
        omac.appointment_id,
        "OMAC",
        "residence-certificate",
    )
    assert (item["status"], item["legal_hold"], item["deleted"]) == ("complete", False, False)
    # No procedure in the call: kept for the 30 days citizens are told.
    assert timedelta(days=29) < until(item) - datetime.now(UTC) <= timedelta(days=30)
    assert omac.id_number not in answer.body.decode()
    assert omac.name not in answer.body.decode()
    # Object Lock keeps each segment (every version) at least that long.
    prefix = f"recordings/{omac.appointment_id}/{item['room_id']}/"
    for segment in segments:
        head = boto3.client("s3").head_object(Bucket=RECORDINGS, Key=prefix + segment["file"])
        assert head["ObjectLockRetainUntilDate"] >= until(item)

    for token in (staff_token(client, "agent.omac"), staff_token(client, "auditor"), staff_token(client, "admin")):
        assert recordings_of_today(client, token).status_code == 404
    assert recordings_of_today(client, citizen_token(client, omac.id_number, omac.email)).status_code == 404
    bad = get(client, "/recordings?date=10/03/2025", staff_token(client, "supervisor"))
    assert (bad.status_code, body(bad)["errors"][0]["field"]) == (422, "date")


def test_a_procedure_carried_out_in_the_call_keeps_the_recording_as_evidence(
    client: Client, now_calls: dict[str, DemoCall]
) -> None:
    omac = now_calls["OMAC"]
    record_id, segments = record_call(client, omac)
    agent = staff_token(client, "agent.omac")
    # The agent saw the citizen's DNI on camera: the certificate holds register data.
    checked = post(
        client, f"/appointments/{omac.appointment_id}/identity-check", {"method": "dni_shown", "matches": True}, agent
    )
    assert checked.status_code == 201, checked.body
    issued = post(
        client,
        f"/appointments/{omac.appointment_id}/procedures",
        {"type": "residence_certificate", "data": {"certificate_type": "individual", "requester": "holder"}},
        agent,
    )
    assert issued.status_code == 201, issued.body

    (item,) = body(recordings_of_today(client, staff_token(client, "supervisor")))["items"]
    # residence_certificate: two years (config/retention.json), from the recording, not from now.
    assert until(item) > datetime.now(UTC) + timedelta(days=365 * 2 - 2)
    prefix = f"recordings/{omac.appointment_id}/{item['room_id']}/"
    head = boto3.client("s3").head_object(Bucket=RECORDINGS, Key=prefix + segments[0]["file"])
    assert head["ObjectLockRetainUntilDate"] >= until(item)
    # The month that would have ended a quality recording deletes nothing now.
    assert sweep(31) == {"deleted": 0, "held": 0, "extended": 0, "failed": 0}
    assert len(versions(prefix)) == 3
    # The certificate itself is registered too, and both go when the two years are over.
    document_id = body(issued)["documents"][0]["id"]
    document = get_container().records._store.get(f"doc-{document_id}")
    assert document is not None
    assert document["kind"] == "document"
    assert sweep(365 * 2 + 2)["deleted"] == 2
    assert versions(prefix) == []
    assert {e.subject for e in trail("record.delete")} == {f"record:{record_id}", f"record:doc-{document_id}"}


def test_a_supervisor_plays_a_recording_only_with_a_reason_and_the_citizen_sees_it(
    client: Client, now_calls: dict[str, DemoCall]
) -> None:
    omac = now_calls["OMAC"]
    record_id, segments = record_call(client, omac)
    supervisor = staff_token(client, "supervisor")
    path = f"/recordings/{record_id}/playback"

    for given in ({}, {"reason": "because"}, {"reason": " " * 20}, {"reason": "x" * 501}):
        refused = post(client, path, given, supervisor)
        assert refused.status_code == 422, given
        assert [e["field"] for e in body(refused)["errors"]] == ["reason"]
    assert trail("recording.playback") == []

    answer = post(client, path, {"reason": REASON}, supervisor)
    assert answer.status_code == 200, answer.body
    played = body(answer)
    assert (played["record_id"], played["appointment_id"], played["expires_in"]) == (
        record_id,
        omac.appointment_id,
        300,
    )
    assert [(s["participant"], s["role"], s["sha256"]) for s in played["segments"]] == [
        (s["participant"], role, s["sha256"]) for s, role in zip(segments, ("agent", "citizen"), strict=True)
    ]
    assert all("X-Amz-Expires=300" in s["url"] and s["url"].startswith("http") for s in played["segments"])

    (audited,) = trail("recording.playback")
    assert audited.actor.id == "staff:supervisor"
    assert audited.purpose == REASON
    assert audited.data_subject == citizen_pseudonym(PSEUDONYM_KEY, omac.id_number)

    for token in (staff_token(client, "agent.omac"), citizen_token(client, omac.id_number, omac.email)):
        assert post(client, path, {"reason": REASON}, token).status_code == 404
    assert post(client, "/recordings/rec-r-unknown/playback", {"reason": REASON}, supervisor).status_code == 404
    assert len(trail("recording.playback")) == 1


def test_a_legal_hold_stops_the_sweep_until_a_second_person_approves_its_release(
    client: Client, now_calls: dict[str, DemoCall]
) -> None:
    omac = now_calls["OMAC"]
    record_id, segments = record_call(client, omac)
    hold_path = f"/records/{record_id}/legal-hold"
    supervisor, admin = staff_token(client, "supervisor"), staff_token(client, "admin")
    assert (
        post(client, hold_path, {"hold": True, "reason": REASON}, staff_token(client, "agent.omac")).status_code == 404
    )
    assert post(client, hold_path, {"hold": "yes", "reason": REASON}, admin).status_code == 422

    held = post(client, hold_path, {"hold": True, "reason": REASON}, admin)
    assert held.status_code == 200, held.body
    assert body(held) == {"record_id": record_id, "legal_hold": True, "release_requested": None}
    (item,) = body(recordings_of_today(client, supervisor))["items"]
    assert item["legal_hold"] is True
    prefix = f"recordings/{omac.appointment_id}/{item['room_id']}/"
    legal = boto3.client("s3").get_object_legal_hold(Bucket=RECORDINGS, Key=prefix + segments[0]["file"])
    assert legal["LegalHold"]["Status"] == "ON"

    assert sweep(31)["held"] == 1
    assert len(versions(prefix)) == 3
    assert trail("record.delete") == []

    # One supervisor alone cannot lift it: not through the old switch, not by approving their own request.
    alone = post(client, hold_path, {"hold": False, "reason": "Complaint 2025/118 closed"}, supervisor)
    assert alone.status_code == 422
    assert body(alone)["errors"][0]["field"] == "hold"
    asked = post(client, f"{hold_path}/release", {"reason": "Complaint 2025/118 closed"}, supervisor)
    assert asked.status_code == 202, asked.body
    assert body(asked)["legal_hold"] is True
    assert body(asked)["release_requested"]["by_you"] is True
    again = post(client, f"{hold_path}/release", {"reason": "Complaint 2025/118 closed"}, admin)
    assert (again.status_code, body(again)["code"]) == (409, "release_already_requested")
    own = post(client, f"{hold_path}/release/approve", {"reason": "I asked for this myself"}, supervisor)
    assert (own.status_code, body(own)["code"]) == (403, "four_eyes_required")
    assert sweep(31)["held"] == 1
    # A second supervisor sees the request as someone else's, to approve.
    other = replace(get_container().sessions.authenticate(f"Bearer {supervisor}"), subject="supervisor2")
    (item,) = map(recording_json, get_container().records.list_recordings(other, datetime.now(COUNCIL_ZONE).date()))
    assert item["legal_hold"] is True
    assert item["release_requested"]["by_you"] is False

    approved = post(client, f"{hold_path}/release/approve", {"reason": "Checked with the legal office"}, admin)
    assert approved.status_code == 200, approved.body
    assert body(approved) == {"record_id": record_id, "legal_hold": False, "release_requested": None}
    twice = post(client, f"{hold_path}/release/approve", {"reason": "Checked with the legal office"}, admin)
    assert (twice.status_code, body(twice)["code"]) == (409, "no_release_requested")
    assert sweep(31)["deleted"] == 1
    assert versions(prefix) == []
    assert [(e.purpose, e.actor.id) for e in trail("record.hold")] == [(REASON, "staff:admin")]
    assert [(e.purpose, e.actor.id) for e in trail("record.release.request")] == [
        ("Complaint 2025/118 closed", "staff:supervisor")
    ]
    (release,) = trail("record.release")
    assert (release.purpose, release.actor.id, release.details["requested_by"]) == (
        "Checked with the legal office",
        "staff:admin",
        "supervisor",
    )
    assert trail("record.hold")[0].data_subject == citizen_pseudonym(PSEUDONYM_KEY, omac.id_number)
    assert release.data_subject == citizen_pseudonym(PSEUDONYM_KEY, omac.id_number)


def test_two_approvals_of_one_release_at_once_lift_the_hold_once(
    client: Client, now_calls: dict[str, DemoCall]
) -> None:
    record_id, _ = record_call(client, now_calls["OMAC"])
    hold_path = f"/records/{record_id}/legal-hold"
    assert post(client, hold_path, {"reason": REASON}, staff_token(client, "admin")).status_code == 200
    assert post(client, f"{hold_path}/release", {"reason": REASON}, staff_token(client, "admin")).status_code == 202
    # Two approvers (the supervisor, and a second supervisor) press "approve" at the same moment.
    container = get_container()
    supervisor = container.sessions.authenticate(f"Bearer {staff_token(client, 'supervisor')}")
    second = replace(supervisor, subject="supervisor2")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(who: Principal) -> None:
        barrier.wait(timeout=30)
        try:
            container.records.approve_release(who, record_id, stated_reason({"reason": REASON}), RequestContext("race"))
            outcomes.append("released")
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=approve, args=(who,)) for who in (supervisor, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["no_release_requested", "released"]
    assert len(trail("record.release")) == 1


def test_the_sweep_erases_every_version_and_audits_each_deletion_once(
    client: Client, now_calls: dict[str, DemoCall]
) -> None:
    recorded = {office: record_call(client, call) for office, call in now_calls.items()}
    omac = now_calls["OMAC"]
    omac_id, omac_segments = recorded["OMAC"]
    omac_prefix = f"recordings/{omac.appointment_id}/{omac_id.removeprefix('rec-')}/"
    # The node uploaded one segment twice (a retry) and someone "deleted" another by hand: a delete marker only.
    upload(omac_prefix + omac_segments[0]["file"], b"the same segment again")
    boto3.client("s3").delete_object(Bucket=RECORDINGS, Key=omac_prefix + omac_segments[1]["file"])
    assert len(versions(omac_prefix)) == 5

    assert sweep(29) == {"deleted": 0, "held": 0, "extended": 0, "failed": 0}
    assert sweep(31) == {"deleted": 2, "held": 0, "extended": 0, "failed": 0}
    for call in now_calls.values():
        assert versions(f"recordings/{call.appointment_id}/") == []
    items = body(recordings_of_today(client, staff_token(client, "supervisor")))["items"]
    assert [i["deleted"] for i in items] == [True, True]
    assert (
        post(
            client, f"/recordings/{omac_id}/playback", {"reason": REASON}, staff_token(client, "supervisor")
        ).status_code
        == 404
    )

    # A second run (or a second sweep racing the first) finds nothing more to do and audits nothing more.
    assert sweep(31)["deleted"] == 0
    deletions = {e.subject: e for e in trail("record.delete")}
    assert set(deletions) == {f"record:{record_id}" for record_id, _ in recorded.values()}
    audited = deletions[f"record:{omac_id}"]
    assert audited.actor.id == "system:retention"
    assert audited.details["kind"] == "recording"
    assert audited.details["objects"] == "3"
    assert audited.details["retain_until"]
    assert audited.data_subject == citizen_pseudonym(PSEUDONYM_KEY, omac.id_number)


def test_a_delete_that_fails_leaves_that_record_live_and_the_others_are_swept(
    client: Client, now_calls: dict[str, DemoCall]
) -> None:
    recorded = {office: record_call(client, call) for office, call in now_calls.items()}
    omac, ogat = now_calls["OMAC"], now_calls["OGAT"]
    omac_id, omac_segments = recorded["OMAC"]
    omac_prefix = f"recordings/{omac.appointment_id}/{omac_id.removeprefix('rec-')}/"
    # A hold placed on one object directly in S3 (not through the register): S3 refuses to delete that version.
    boto3.client("s3").put_object_legal_hold(
        Bucket=RECORDINGS, Key=omac_prefix + omac_segments[0]["file"], LegalHold={"Status": "ON"}
    )

    assert sweep(31) == {"deleted": 1, "held": 0, "extended": 0, "failed": 1}
    assert versions(f"recordings/{ogat.appointment_id}/") == []
    assert versions(omac_prefix)  # what could not be deleted is still there
    state = {
        i["record_id"]: i["deleted"]
        for i in body(recordings_of_today(client, staff_token(client, "supervisor")))["items"]
    }
    assert state == {omac_id: False, recorded["OGAT"][0]: True}
    assert [e.subject for e in trail("record.delete")] == [f"record:{recorded['OGAT'][0]}"]
    # Once the stray hold is lifted, the next run finishes the job.
    boto3.client("s3").put_object_legal_hold(
        Bucket=RECORDINGS, Key=omac_prefix + omac_segments[0]["file"], LegalHold={"Status": "OFF"}
    )
    assert sweep(31)["deleted"] == 1
    assert versions(omac_prefix) == []


@pytest.mark.parametrize("bucket", [None, "someone-elses-bucket"])
def test_a_recording_outside_the_recordings_bucket_is_not_registered(
    client: Client, now_calls: dict[str, DemoCall], bucket: str | None
) -> None:
    omac = now_calls["OMAC"]
    register_node("node-a")
    room = body(join(client, omac.appointment_id, staff_token(client, "agent.omac")))
    recording = {"bucket": bucket, "manifest_key": f"recordings/{omac.appointment_id}/{room['room_id']}/manifest.json"}
    answer = report(client, event(room, omac.appointment_id, "recording_complete", recording=recording))
    assert answer.status_code == 204
    assert body(recordings_of_today(client, staff_token(client, "supervisor")))["items"] == []


def test_placing_a_hold_again_withdraws_the_release_waiting_for_approval(
    client: Client, now_calls: dict[str, DemoCall]
) -> None:
    record_id, _ = record_call(client, now_calls["OMAC"])
    hold_path = f"/records/{record_id}/legal-hold"
    supervisor, admin = staff_token(client, "supervisor"), staff_token(client, "admin")
    assert post(client, hold_path, {"reason": REASON}, admin).status_code == 200
    assert post(client, f"{hold_path}/release", {"reason": REASON}, supervisor).status_code == 202

    # WHEN someone places the hold again (new evidence) before the release is approved
    again = post(client, hold_path, {"reason": "New complaint 2026/120 about the same call"}, admin)

    # THEN the request is gone: approving it finds nothing, and the recording stays held
    assert body(again) == {"record_id": record_id, "legal_hold": True, "release_requested": None}
    late = post(client, f"{hold_path}/release/approve", {"reason": REASON}, admin)
    assert (late.status_code, body(late)["code"]) == (409, "no_release_requested")
    assert sweep(31)["held"] == 1
