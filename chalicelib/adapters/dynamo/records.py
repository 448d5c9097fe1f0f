"""The retention register on DynamoDB (table ``records``, pk ``id``).

One item per recording (``rec-<room id>``) or document (``doc-<document id>``): its bucket and object keys, the
procedure types it serves, ``retain_until`` (UTC, ISO 8601 to the second, so strings sort as times), legal hold and
deletion. Indexes: ``by_appointment`` (appointment_id, created_at), ``by_day`` (day, start; recordings only: the
council day of their appointment) and the sparse ``live`` (live, retain_until): ``live = "1"`` while the record still
has objects, removed when the sweep deleted them, so the sweep reads only what it may still have to delete.

Every change after creation is a conditional update, so two sweeps (or a sweep and a hold) never both win.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.adapters.dynamo.errors import unavailable, written
from chalicelib.adapters.dynamo.models import RecordItem

LIVE = "1"
_READ = "The records could not be read."
_SAVE = "The record could not be saved."


class DynamoRecordStore:
    def __init__(self, model: type[RecordItem]) -> None:
        self._model = model

    def put(self, record: Mapping[str, Any]) -> bool:
        """Register a new record (live); False if one with this id exists already."""
        item = self._model(**{**record, "live": LIVE})
        return written(lambda: item.save(condition=self._model.id.does_not_exist()), _SAVE)

    def replace(self, record: Mapping[str, Any], expected_manifest: str) -> bool:
        """Replace a live record whose manifest is still the one we read (a recording re-reported with a new one)."""
        m = self._model
        item = m(**{**record, "live": LIVE})
        return written(lambda: item.save(condition=m.live.exists() & (m.manifest_sha256 == expected_manifest)), _SAVE)

    def get(self, record_id: str) -> dict[str, Any] | None:
        with unavailable("The record could not be read."):
            try:
                return self._model.get(record_id, consistent_read=True).as_dict()
            except self._model.DoesNotExist:
                return None

    def of_appointment(self, appointment_id: str) -> list[dict[str, Any]]:
        with unavailable(_READ):
            return [item.as_dict() for item in self._model.by_appointment.query(appointment_id)]

    def of_day(self, day: str) -> list[dict[str, Any]]:
        with unavailable(_READ):
            return [item.as_dict() for item in self._model.by_day.query(day)]

    def expired(self, now: str) -> list[str]:
        """Ids of live records whose retain-until is not after ``now`` (the index may lag: re-read before acting)."""
        m = self._model
        with unavailable(_READ):
            return [item.id for item in m.live_index.query(LIVE, m.retain_until <= now)]

    def extend(self, record_id: str, retain_until: str, procedure_types: list[str]) -> bool:
        """Move retain-until later (never earlier) on a live record; False if it is not live or already later."""
        m = self._model
        return self._update(
            record_id,
            [m.retain_until.set(retain_until), m.procedure_types.set(procedure_types)],
            m.live.exists() & (m.retain_until < retain_until),
        )

    def place_hold(self, record_id: str, at: str) -> bool:
        """Put a live record on legal hold, withdrawing any release waiting for approval (someone has just said it
        must stay); False if it is gone (deleted or never registered)."""
        m = self._model
        return self._update(
            record_id,
            [
                m.legal_hold.set(True),
                m.legal_hold_changed_at.set(at),
                m.release_requested_by.remove(),
                m.release_requested_at.remove(),
            ],
            m.live.exists(),
        )

    def request_release(self, record_id: str, by: str, at: str) -> bool:
        """Ask for a held record's release; False unless it is live, held and has no request waiting already."""
        m = self._model
        return self._update(
            record_id,
            [m.release_requested_by.set(by), m.release_requested_at.set(at)],
            m.live.exists() & (m.legal_hold == True) & m.release_requested_at.does_not_exist(),  # noqa: E712
        )

    def approve_release(self, record_id: str, requested_at: str, approver: str, at: str) -> bool:
        """Lift the hold: only for the request that was read (``requested_at``), never by the one who made it, and
        only once (the request goes with the hold, so a second approval finds nothing to approve)."""
        m = self._model
        return self._update(
            record_id,
            [
                m.legal_hold.set(False),
                m.legal_hold_changed_at.set(at),
                m.release_requested_by.remove(),
                m.release_requested_at.remove(),
            ],
            m.live.exists()
            & (m.legal_hold == True)  # noqa: E712
            & (m.release_requested_at == requested_at)
            & (m.release_requested_by != approver),
        )

    def mark_deleted(self, record_id: str, now: str) -> bool:
        """Mark a record's objects deleted and take it off the ``live`` index; only the first sweep to get here wins,
        and never while it is held or before its retain-until."""
        m = self._model
        return self._update(
            record_id,
            [m.deleted.set(True), m.deleted_at.set(now), m.live.remove()],
            m.live.exists() & (m.legal_hold == False) & (m.retain_until <= now),  # noqa: E712
        )

    def _update(self, record_id: str, actions: list[Action], condition: Condition) -> bool:
        return written(lambda: self._model(record_id).update(actions=actions, condition=condition), _SAVE)
