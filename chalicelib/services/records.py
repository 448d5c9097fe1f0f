"""Retention register use cases: registering call recordings and documents with the date until which they are kept,
extending a recording's retention when a procedure makes it evidence, legal holds, the daily sweep that deletes
what expired, and a supervisor's playback of a recording.

Who may: supervisors list and play recordings, supervisors and admins place legal holds and ask for or approve
their release (never their own request); anyone else is told the record does not exist. Playback, holds, releases
and deletions are audit events naming the citizen whose data they touch, so the citizen sees them in their access
log (with the stated reason as the purpose).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from chalicelib.auth.policy import Action, Resource, ResourceKind, require
from chalicelib.auth.principal import Principal
from chalicelib.domain.appointments import Appointment
from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext
from chalicelib.domain.bounds import Window, records_window
from chalicelib.domain.errors import Conflict, DependencyUnavailable, Forbidden, NotFound
from chalicelib.domain.record_view import LegalHold, Playback, RecordingView, ReleaseRequest, SegmentLink
from chalicelib.domain.retention import RetentionRules
from chalicelib.observability import logger
from chalicelib.services.commands import Parsed, StatedReason
from chalicelib.services.ports import AuditLog, RecordObjects, RecordStore

PLAYBACK_SECONDS = 300
RECORD_ID = re.compile(r"^(rec|doc)-[A-Za-z0-9][A-Za-z0-9_.~-]{0,199}$")
SEGMENT_FILE = re.compile(r"^[A-Za-z0-9_.~-]{1,200}$")


@dataclass(frozen=True)
class RecordsSettings:
    bucket_recordings: str
    bucket_documents: str
    zone: tzinfo  # the council's: the records' calendar days


class RecordsService:
    def __init__(
        self,
        store: RecordStore,
        objects: RecordObjects,
        rules: RetentionRules,
        audit: AuditLog,
        lookup: Callable[[str], Appointment | None],
        case_procedures: Callable[[str], list[str]],
        settings: RecordsSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._objects = objects
        self._rules = rules
        self._audit = audit
        self._lookup = lookup
        self._case_procedures = case_procedures
        self._settings = settings
        self._clock = clock

    # --- registering ----------------------------------------------------------------------------------------------
    def register_recording(self, appointment_id: str, room_id: str, recording: Mapping[str, Any]) -> None:
        """Register a finished recording (a media node's ``recording_complete`` report): its segments and manifest,
        kept for the longest retention among the procedures of its appointment. Idempotent (reports are retried)."""
        bucket, manifest_key = recording.get("bucket"), recording.get("manifest_key")
        prefix = f"recordings/{appointment_id}/{room_id}/"
        if bucket != self._settings.bucket_recordings or not str(manifest_key).startswith(prefix):
            # A node without a bucket keeps recordings on its disk; anything else is not ours to delete later.
            logger.warning(
                "recording not in the recordings bucket: not registered for retention", extra={"room": room_id}
            )
            return
        key = str(manifest_key)
        manifest = self._objects.read_json(bucket, key)
        if manifest is None:
            # Registered anyway with whatever the room left in the bucket: nothing stored escapes retention.
            logger.warning("recording manifest unreadable: registering the room's objects", extra={"room": room_id})
            segments: list[dict[str, Any]] = []
            keys = set(self._objects.keys_under(bucket, prefix))
        else:
            segments = _segments(manifest, prefix)
            keys = {s["key"] for s in segments}
        appointment = self._lookup(appointment_id)
        now = self._clock()
        types = sorted(set(self._case_procedures(appointment_id)))
        until = self._rules.recording_until(now, types)
        record: dict[str, Any] = {
            "id": f"rec-{room_id}",
            "kind": "recording",
            "appointment_id": appointment_id,
            "room_id": room_id,
            "created_at": _iso(now),
            "owner": appointment.citizen if appointment else None,
            "office": appointment.office if appointment else None,
            "service_id": appointment.service_id if appointment else None,
            "day": (appointment.start if appointment else now).astimezone(self._settings.zone).date().isoformat(),
            "start": _iso(appointment.start if appointment else now),
            "status": str(recording.get("status") or "complete"),
            "bucket": bucket,
            "objects": sorted(keys | {key}),
            "segments": segments,
            "manifest_key": key,
            "manifest_sha256": str(recording.get("manifest_sha256") or ""),
            "procedure_types": types,
            "retained_from": _iso(now),
            "retain_until": _iso(until),
            "legal_hold": False,
            "deleted": False,
        }
        stored = self._store_recording(record)
        if stored is not None:
            self._protect(stored)

    def _store_recording(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """The record as registered: new, the same one again (a retried report), or merged with a re-reported
        recording's new manifest (objects of both kept, the later retention and the hold kept)."""
        for _ in range(3):
            if self._store.put(record):
                return record
            existing = self._store.get(record["id"])
            if existing is None:
                continue
            if existing.get("deleted"):
                logger.warning("recording reported again after deletion", extra={"record": record["id"]})
                return None
            if existing.get("manifest_sha256") == record["manifest_sha256"]:
                return existing
            merged = {
                **record,
                "objects": sorted(set(existing.get("objects", [])) | set(record["objects"])),
                "created_at": existing.get("created_at", record["created_at"]),
                "retained_from": existing.get("retained_from", record["retained_from"]),
                "retain_until": max(str(existing.get("retain_until", "")), record["retain_until"]),
                "legal_hold": bool(existing.get("legal_hold")),
            }
            if self._store.replace(merged, str(existing.get("manifest_sha256", ""))):
                return merged
        raise DependencyUnavailable("The recording could not be registered.")

    def document_until(self, issued_at: datetime, procedure_type: str | None) -> datetime:
        """Until when a document issued now is kept: what register_document records and the document prints."""
        return self._rules.document_until(issued_at, procedure_type)

    def register_document(self, document: Mapping[str, Any], procedure_type: str | None) -> None:
        """Register an issued document or a supporting document (attachment) as it is stored."""
        issued_at = datetime.fromisoformat(str(document["issued_at"]))
        until = self.document_until(issued_at, procedure_type)
        record = {
            "id": f"doc-{document['id']}",
            "kind": "attachment" if document.get("kind") == "attachment" else "document",
            "document_kind": document.get("kind"),
            "appointment_id": document.get("appointment_id"),
            "created_at": _iso(issued_at),
            "owner": document.get("owner"),
            "office": document.get("office"),
            "bucket": self._settings.bucket_documents,
            "objects": [str(document["key"])],
            "procedure_types": [procedure_type] if procedure_type else [],
            "retained_from": _iso(issued_at),
            "retain_until": _iso(until),
            "legal_hold": False,
            "deleted": False,
        }
        if not self._store.put(record):
            existing = self._store.get(str(record["id"]))
            if existing is None or existing.get("deleted"):
                return
            record = existing
        self._protect(record)

    def procedure_carried_out(self, appointment_id: str, procedure_type: str) -> None:
        """A procedure was carried out in this appointment: its call recordings are now evidence in the case file.

        Best effort: the sweep re-reads the case's procedures before deleting a recording, so an extension missed
        here (storage briefly unavailable) is made then, and the procedure itself is never refused for it."""
        try:
            for record in self._store.of_appointment(appointment_id):
                if record.get("kind") == "recording" and "live" in record:
                    self._extend_recording(record, [*record.get("procedure_types", []), procedure_type])
        except DependencyUnavailable:
            logger.warning(
                "recording retention not extended now; the sweep will", extra={"appointment": appointment_id}
            )

    def _extend_recording(self, record: Mapping[str, Any], procedure_types: Iterable[str]) -> bool:
        """Move the recording's retain-until later if its procedures need it (never earlier); True if moved."""
        types = sorted(set(procedure_types))
        until = self._rules.recording_until(datetime.fromisoformat(str(record["retained_from"])), types)
        if _iso(until) <= str(record["retain_until"]):
            return False
        if not self._store.extend(str(record["id"]), _iso(until), types):
            return False
        self._protect({**record, "retain_until": _iso(until)})
        return True

    def _protect(self, record: Mapping[str, Any]) -> None:
        """Object Lock on the record's objects: retention until its retain-until (extended only), its legal hold."""
        until = datetime.fromisoformat(str(record["retain_until"]))
        for key in record.get("objects", []):
            self._objects.extend_retention(str(record["bucket"]), str(key), until)
            if record.get("legal_hold"):
                self._objects.set_legal_hold(str(record["bucket"]), str(key), True)

    # --- legal hold -----------------------------------------------------------------------------------------------
    # Placing a hold protects more, so one supervisor or admin may do it. Lifting one lets the sweep delete evidence,
    # so it takes two people: one asks (with a reason), another supervisor or admin approves (with theirs).
    def hold(
        self, caller: Principal, record_id: str, request: Parsed[StatedReason], context: RequestContext
    ) -> LegalHold:
        """Place a legal hold (``hold: true``): while held, nothing of the record is deleted."""
        reason, record = self._hold_step(caller, record_id, request)
        # Objects first: a half-done change leaves more protected, not less.
        objects = self._set_legal_hold(record, True)
        if not self._store.place_hold(record_id, _iso(self._clock())):
            raise NotFound("There is no such record.")
        self._audited(
            caller, "record.hold", record, context, reason, {"kind": str(record.get("kind")), "objects": str(objects)}
        )
        return LegalHold(record_id, legal_hold=True, release_requested=None)

    def request_release(
        self, caller: Principal, record_id: str, request: Parsed[StatedReason], context: RequestContext
    ) -> LegalHold:
        """Ask for a hold to be lifted; it stays until another supervisor or admin approves."""
        reason, record = self._hold_step(caller, record_id, request)
        at = _iso(self._clock())
        if not self._store.request_release(record_id, caller.subject, at):
            current = self._live(record_id)
            if not current.get("legal_hold"):
                raise Conflict("not_on_hold", "This record is not on legal hold.")
            raise Conflict("release_already_requested", "A release of this hold is already waiting for approval.")
        self._audited(caller, "record.release.request", record, context, reason, {"kind": str(record.get("kind"))})
        return LegalHold(record_id, legal_hold=True, release_requested=_release(caller, caller.subject, at))

    def approve_release(
        self, caller: Principal, record_id: str, request: Parsed[StatedReason], context: RequestContext
    ) -> LegalHold:
        """Lift the hold someone else asked to lift: the sweep may then delete the record when its time comes."""
        reason, record = self._hold_step(caller, record_id, request)
        requested_by, requested_at = record.get("release_requested_by"), record.get("release_requested_at")
        if not record.get("legal_hold") or not requested_at:
            raise Conflict("no_release_requested", "Nobody has asked to release this hold.")
        if requested_by == caller.subject:
            raise Forbidden("Another supervisor or an administrator must approve this release.", "four_eyes_required")
        if not self._store.approve_release(record_id, str(requested_at), caller.subject, _iso(self._clock())):
            # Approved by someone else a moment ago, or the hold was placed again (which withdraws the request).
            raise Conflict("no_release_requested", "Nobody has asked to release this hold.")
        # Flag first, objects after: a half-done change leaves more protected, not less.
        objects = self._set_legal_hold(record, False)
        self._audited(
            caller,
            "record.release",
            record,
            context,
            reason,
            {"kind": str(record.get("kind")), "objects": str(objects), "requested_by": str(requested_by)},
        )
        return LegalHold(record_id, legal_hold=False, release_requested=None)

    def _hold_step(
        self, caller: Principal, record_id: str, request: Parsed[StatedReason]
    ) -> tuple[str, dict[str, Any]]:
        """What every step of a legal hold starts with: the caller may, the reason is stated, the record is live."""
        require(caller, Action.LEGAL_HOLD, Resource(ResourceKind.RECORD, record_id))
        reason = request.command().text
        return reason, self._live(record_id)

    def _set_legal_hold(self, record: Mapping[str, Any], on: bool) -> int:
        """Set or lift the storage's legal hold on every object of the record; returns how many there are."""
        bucket, keys = str(record["bucket"]), [str(k) for k in record.get("objects", [])]
        for key in keys:
            self._objects.set_legal_hold(bucket, key, on)
        return len(keys)

    # --- the sweep ------------------------------------------------------------------------------------------------
    def sweep(self, now: datetime | None = None) -> dict[str, int]:
        """Delete every version of the objects of records past their retain-until and not on hold; mark them
        deleted and audit each. One record's failure is logged and does not stop the others."""
        moment = now or self._clock()
        counts = {"deleted": 0, "held": 0, "extended": 0, "failed": 0}
        for record_id in self._store.expired(_iso(moment)):
            try:
                outcome = self._sweep_one(record_id, moment)
            except Exception:
                logger.exception(
                    "retention sweep failed on a record; it stays for the next run", extra={"record": record_id}
                )
                outcome = "failed"
            if outcome is not None:
                counts[outcome] += 1
        logger.info("retention sweep", extra=counts)
        return counts

    def _sweep_one(self, record_id: str, now: datetime) -> str | None:
        stamp = _iso(now)
        # The index may lag behind a hold or an extension: act on the record as it is now.
        record = self._store.get(record_id)
        if record is None or "live" not in record or str(record.get("retain_until")) > stamp:
            return None
        if record.get("legal_hold"):
            return "held"
        if record.get("kind") == "recording":
            case = self._case_procedures(str(record.get("appointment_id")))
            if self._extend_recording(record, [*record.get("procedure_types", []), *case]):
                return "extended"
        keys = [str(k) for k in record.get("objects", [])]
        self._objects.delete_every_version(str(record["bucket"]), keys)
        if not self._store.mark_deleted(record_id, stamp):
            return None  # another sweep marked it first (and audited it), or a hold arrived meanwhile
        self._audit.record(
            AuditEvent(
                actor=Actor.system("retention"),
                action="record.delete",
                subject=f"record:{record_id}",
                outcome=Outcome.SUCCESS,
                context=RequestContext(request_id=f"retention-{stamp}"),
                purpose="retention period ended",
                details={
                    "kind": str(record.get("kind")),
                    "objects": str(len(keys)),
                    "retain_until": str(record["retain_until"]),
                    "appointment": str(record.get("appointment_id")),
                },
                data_subject=record.get("owner"),
            )
        )
        return "deleted"

    # --- supervisors ----------------------------------------------------------------------------------------------
    def records_window(self) -> Window:
        """The days the register may be read for: the service's life (``chalicelib.domain.bounds``)."""
        return records_window(self._clock().astimezone(self._settings.zone).date())

    def list_recordings(self, caller: Principal, day: date | None) -> list[RecordingView]:
        """The recordings of the appointments of one council day (no personal data)."""
        require(caller, Action.LIST_RECORDINGS, Resource(ResourceKind.RECORD))
        chosen = (
            self.records_window().check(day, "date") if day else self._clock().astimezone(self._settings.zone).date()
        )
        found = [r for r in self._store.of_day(chosen.isoformat()) if r.get("kind") == "recording"]
        found.sort(key=lambda r: (str(r.get("start")), str(r["id"])))
        return [
            RecordingView(
                record_id=r["id"],
                appointment_id=r.get("appointment_id"),
                office=r.get("office"),
                service_id=r.get("service_id"),
                start=r.get("start"),
                room_id=r.get("room_id"),
                status=r.get("status"),
                legal_hold=bool(r.get("legal_hold")),
                release_requested=_release(caller, r.get("release_requested_by"), r.get("release_requested_at")),
                retain_until=r.get("retain_until"),
                deleted=bool(r.get("deleted")),
            )
            for r in found
        ]

    def playback(
        self, caller: Principal, record_id: str, request: Parsed[StatedReason], context: RequestContext
    ) -> Playback:
        """Short-lived links to a recording's segments, for a supervisor who states why (audited with the reason)."""
        require(caller, Action.PLAY_RECORDING, Resource(ResourceKind.RECORD, record_id))
        reason = request.command().text
        record = self._live(record_id)
        if record.get("kind") != "recording":
            raise NotFound("There is no such recording.")
        bucket = str(record["bucket"])
        segments = tuple(
            SegmentLink(
                participant=s.get("participant"),
                role=s.get("role"),
                url=self._objects.presigned_get(bucket, str(s["key"]), PLAYBACK_SECONDS, "video/webm"),
                start=s.get("start"),
                end=s.get("end"),
                bytes=s.get("bytes"),
                sha256=s.get("sha256"),
            )
            for s in record.get("segments", [])
        )
        self._audited(
            caller,
            "recording.playback",
            record,
            context,
            reason,
            {"appointment": str(record.get("appointment_id")), "segments": str(len(segments))},
        )
        return Playback(record_id, record.get("appointment_id"), PLAYBACK_SECONDS, segments)

    # --- helpers --------------------------------------------------------------------------------------------------
    def _live(self, record_id: str) -> dict[str, Any]:
        record = self._store.get(record_id) if RECORD_ID.match(record_id) else None
        if record is None or record.get("deleted") or "live" not in record:
            raise NotFound("There is no such record.")
        return record

    def _audited(
        self,
        caller: Principal,
        action: str,
        record: Mapping[str, Any],
        context: RequestContext,
        purpose: str,
        details: dict[str, str],
    ) -> None:
        self._audit.record(
            AuditEvent(
                actor=caller.actor,
                action=action,
                subject=f"record:{record['id']}",
                outcome=Outcome.SUCCESS,
                context=context,
                purpose=purpose,
                details=details,
                data_subject=record.get("owner"),
            )
        )


def _segments(manifest: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    """The manifest's segments as the register keeps them: object key, participant and role, times, size, hash."""
    roles = {str(p.get("id")): p.get("role") for p in manifest.get("participants") or [] if isinstance(p, dict)}
    segments = []
    for s in manifest.get("segments") or []:
        if not isinstance(s, dict) or not SEGMENT_FILE.match(str(s.get("file", ""))):
            continue  # a file name with a slash would point outside the room's folder
        segments.append(
            {
                "key": prefix + str(s["file"]),
                "participant": str(s.get("participant", "")),
                "role": roles.get(str(s.get("participant"))),
                "start": s.get("start"),
                "end": s.get("end"),
                "bytes": s.get("bytes"),
                "sha256": s.get("sha256"),
            }
        )
    return segments


def _release(caller: Principal, by: object, at: object) -> ReleaseRequest | None:
    """A release waiting for approval as the caller sees it: when, and whether they asked (then they cannot approve)."""
    if not at:
        return None
    return ReleaseRequest(str(at), by_you=by == caller.subject)


def _iso(moment: datetime) -> str:
    """UTC to the second: every stored time has the same shape, so comparing strings compares times."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")
