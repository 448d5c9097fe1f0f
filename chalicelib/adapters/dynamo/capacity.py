"""What the capacity rules keep on DynamoDB besides bookings: saved holiday years, capacity jobs and the availability
generation (rows of the catalogue table, by ``kind``).

- ``HOLIDAYS`` / ``<year>``: a year's holiday list as an administrator saved it, with its ``version`` (a save names
  the version it read: a conditional write);
- ``JOB`` / ``<id>``: a capacity job (what it handles, its progress and the affected appointments so far);
- ``GENERATION`` / ``availability``: a random value every admin write that changes availability replaces; each
  process reads it (one GetItem) before trusting its cached availability.
"""

from __future__ import annotations

import uuid
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.adapters.dynamo.errors import condition_failed
from chalicelib.adapters.dynamo.models import CatalogueItem

HOLIDAYS, JOB, GENERATION = "HOLIDAYS", "JOB", "GENERATION"


class DynamoCapacityState:
    def __init__(self, catalogue: type[CatalogueItem]) -> None:
        self._model = catalogue

    # --- holidays ---------------------------------------------------------------------------------------------------
    def holiday_years(self) -> dict[int, dict[str, Any]]:
        """Every saved year: year → {items, version}."""
        return {int(row.id): row.body.as_dict() for row in self._model.query(HOLIDAYS)}

    def holiday_year(self, year: int) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self._model.get(HOLIDAYS, str(year), consistent_read=True).body.as_dict()
        except DoesNotExist:
            return None
        return found

    def put_holiday_year(self, year: int, items: list[dict[str, Any]], version: int) -> bool:
        """Save ``year``'s list as ``version``; False when the stored version is not ``version - 1``."""
        m = self._model
        previous = m.body["version"] == version - 1
        condition = m.kind.does_not_exist() if version == 1 else previous
        try:
            m(HOLIDAYS, str(year), body={"items": items, "version": version}).save(condition=condition)
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    # --- jobs ---------------------------------------------------------------------------------------------------------
    def put_job(self, job: dict[str, Any]) -> None:
        self._model(JOB, str(job["id"]), body=job).save()

    def job(self, job_id: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self._model.get(JOB, job_id, consistent_read=True).body.as_dict()
        except DoesNotExist:
            return None
        return found

    def claim_job(self, job_id: str, now: int, until: int) -> bool:
        """Take the job's lease until ``until`` (epoch seconds) unless another run holds it: one worker at a time."""
        m = self._model
        lease = m.body["lease_until"]
        try:
            m(JOB, job_id).update(
                actions=[lease.set(until)], condition=m.kind.exists() & (lease.does_not_exist() | (lease < now))
            )
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def running_jobs(self) -> list[dict[str, Any]]:
        return [row.body.as_dict() for row in self._model.query(JOB) if row.body.as_dict().get("status") == "running"]

    # --- availability generation ------------------------------------------------------------------------------------
    def generation(self) -> str:
        try:
            return str(self._model.get(GENERATION, "availability", consistent_read=True).body.as_dict()["value"])
        except DoesNotExist:
            return ""

    def bump_generation(self) -> None:
        self._model(GENERATION, "availability", body={"value": uuid.uuid4().hex}).save()
