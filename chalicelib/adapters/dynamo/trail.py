"""Delivery state of the audit trail on DynamoDB (table ``trail``, pk/sk).

Items:
- ``STATE``/``CURSOR``: the last delivered event (council day + sort key), how many log files were delivered
  (``seq``), when the trail started, and a ``version`` every advance is conditional on;
- ``LOG``/``<seq, 12 digits>``: one delivered log file: S3 key, SHA-256 of its content, event count and span;
- ``STATE``/``HEAD``: the newest digest of the chain (key, hash, signature, end time) and the last log file it covers.

Advancing the cursor and recording the log file is one transaction; moving the head is a conditional write. Two
deliveries or two digest runs racing therefore never both advance: the loser's object stays in S3 unreferenced, and
nothing is lost or listed twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamo.errors import unavailable, written
from chalicelib.adapters.dynamo.models import TrailItem, connection_of
from chalicelib.domain.trail import DigestRef, LogFileRef

_READ = "The audit trail's state could not be read."
_WRITE = "The audit trail's state could not be written."


@dataclass(frozen=True)
class Cursor:
    day: str
    sk: str  # the last delivered event's sort key ("" = none yet that day)
    seq: int
    started_at: str
    version: int


@dataclass(frozen=True)
class Head:
    digest: DigestRef
    end: str  # digestEndTime
    files_through: int
    version: int


class DynamoTrailState:
    def __init__(self, model: type[TrailItem]) -> None:
        self._model = model

    def _get(self, sk: str) -> TrailItem | None:
        with unavailable(_READ):
            try:
                return self._model.get("STATE", sk, consistent_read=True)
            except self._model.DoesNotExist:
                return None

    # --- cursor ----------------------------------------------------------------------------------------------------
    def cursor(self) -> Cursor | None:
        item = self._get("CURSOR")
        if item is None:
            return None
        return Cursor(str(item.day), str(item.after), int(item.seq or 0), str(item.started_at), int(item.version or 0))

    def start(self, cursor: Cursor) -> bool:
        """The trail's first cursor; False when another run created it first."""
        item = self._cursor(cursor)
        return written(lambda: item.save(condition=self._model.pk.does_not_exist()), _WRITE)

    def advance(self, previous: Cursor, cursor: Cursor, log: LogFileRef | None, events: int) -> bool:
        """Move the cursor and (when a file was written) record the log file, atomically; False if another run moved
        the cursor first."""
        m = self._model

        def commit() -> None:
            with TransactWrite(connection=connection_of(m)) as transaction:
                transaction.save(self._cursor(cursor), condition=m.version == previous.version)
                if log is not None:
                    entry = m(
                        "LOG",
                        f"{cursor.seq:012d}",
                        bucket=log.bucket,
                        object_key=log.key,
                        hash=log.hash_value,
                        oldest=log.oldest_event_time,
                        newest=log.newest_event_time,
                        events=events,
                    )
                    transaction.save(entry, condition=m.pk.does_not_exist())

        return written(commit, _WRITE)

    def log_files(self, after_seq: int, limit: int) -> list[tuple[int, LogFileRef]]:
        """Delivered log files after ``after_seq``, oldest first."""
        m = self._model
        with unavailable(_READ):
            entries = list(m.query("LOG", m.sk > f"{after_seq:012d}", limit=limit, consistent_read=True))
        return [
            (
                int(entry.sk),
                LogFileRef(
                    str(entry.bucket),
                    str(entry.object_key),
                    str(entry.hash),
                    entry.oldest,
                    entry.newest,
                    event_count=int(entry.events or 0),
                ),
            )
            for entry in entries
        ]

    # --- head of the digest chain ----------------------------------------------------------------------------------
    def head(self) -> Head | None:
        item = self._get("HEAD")
        if item is None:
            return None
        ref = DigestRef(str(item.bucket), str(item.object_key), str(item.hash), str(item.signature))
        return Head(ref, str(item.end), int(item.files_through or 0), int(item.version or 0))

    def move_head(self, previous: Head | None, head: Head) -> bool:
        m = self._model
        item = m(
            "STATE",
            "HEAD",
            bucket=head.digest.bucket,
            object_key=head.digest.key,
            hash=head.digest.hash_value,
            signature=head.digest.signature,
            end=head.end,
            files_through=head.files_through,
            version=head.version,
        )
        condition = m.pk.does_not_exist() if previous is None else m.version == previous.version
        return written(lambda: item.save(condition=condition), _WRITE)

    def _cursor(self, cursor: Cursor) -> TrailItem:
        return self._model(
            "STATE",
            "CURSOR",
            day=cursor.day,
            after=cursor.sk,
            seq=cursor.seq,
            started_at=cursor.started_at,
            version=cursor.version,
        )
