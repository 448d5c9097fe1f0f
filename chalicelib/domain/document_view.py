"""A document as a caller sees it: what the documents service returns and the API serialises.

The stored record (``services.ports.ProcedureStore``) holds more (the object's key, the holder's digest, the owner);
a procedure lists its documents shorter, by ``procedure_view.DocumentRef``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DocumentView:
    """An issued document: its CSV, its type, when it was issued and until when it can be downloaded, its hash."""

    id: str
    csv: str
    title: str
    type: str | None
    issued_at: str
    available_until: str
    sha256: str
    size: int
    appointment_id: str
    office: str | None

    @classmethod
    def of(cls, record: dict[str, Any]) -> DocumentView:
        """From the stored record of an issued document."""
        return cls(
            id=str(record["id"]),
            csv=str(record["csv"]),
            title=str(record["title"]),
            type=None if record.get("kind") is None else str(record["kind"]),
            issued_at=str(record["issued_at"]),
            available_until=str(record["available_until"]),
            sha256=str(record["sha256"]),
            size=int(record["size"]),
            appointment_id=str(record["appointment_id"]),
            office=None if record.get("office") is None else str(record["office"]),
        )


@dataclass(frozen=True, slots=True)
class DocumentDownload:
    """A document opened by someone who may: with a short-lived link to its PDF."""

    document: DocumentView
    download_url: str


@dataclass(frozen=True, slots=True)
class AttachmentAdded:
    """A supporting document kept with the case, as stored (its file name made safe)."""

    id: str
    filename: str
    sha256: str
    size: int
