"""A procedure as a caller sees it: what the procedure services return and the API serialises.

The stored record (``services.ports.ProcedureStore``) holds more (the form's data, the owner, the consent); this is
the part shown to the agent and the citizen, with only the documents the caller may open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DocumentRef:
    id: str
    csv: str
    title: str


@dataclass(frozen=True, slots=True)
class SummaryLine:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class ProcedureView:
    id: str
    appointment_id: str
    type: str
    status: str
    created_at: str
    title: str | None
    lines: tuple[SummaryLine, ...]
    documents: tuple[DocumentRef, ...]

    @classmethod
    def of(cls, record: dict[str, Any], documents: list[dict[str, Any]]) -> ProcedureView:
        """From the stored record and its documents' records (those the caller may open)."""
        return cls(
            id=str(record["id"]),
            appointment_id=str(record["appointment_id"]),
            type=str(record["type"]),
            status=str(record["status"]),
            created_at=str(record["created_at"]),
            title=None if record.get("title") is None else str(record["title"]),
            lines=tuple(SummaryLine(str(line["label"]), str(line["value"])) for line in record.get("summary", [])),
            documents=tuple(DocumentRef(str(d["id"]), str(d["csv"]), str(d["title"])) for d in documents),
        )
