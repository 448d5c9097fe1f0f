"""Contract of the procedures' store (ProcedureStore): the in-memory fake and DynamoProcedureStore on moto alike."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.services.ports import ProcedureStore
from tests.api.tables import both
from tests.fakes import InMemoryProcedureStore


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[ProcedureStore]:
    yield from both(request, InMemoryProcedureStore, lambda c: c.procedure_store)


def _procedure(procedure_id: str = "proc-1", **changes: Any) -> dict[str, Any]:
    return {
        "id": procedure_id,
        "appointment_id": "appt-1",
        "created_at": "2026-03-02T09:05:00+00:00",
        "type": "payment_letter",
        "status": "awaiting_consent",
        "data": {"amount_cents": 12345, "rate": 3.75, "years": [2024, 2025], "note": None, "nested": {"a": "b"}},
        "documents": [],
        "consent": None,
        **changes,
    }


def _document(document_id: str = "doc-1", **changes: Any) -> dict[str, Any]:
    return {
        "id": document_id,
        "csv": f"CSV-{document_id}",
        "owner": "12345678Z",
        "appointment_id": "appt-1",
        "issued_at": "2026-03-02T09:10:00+00:00",
        "key": f"documents/{document_id}.pdf",
        "sha256": "ab" * 32,
        "title": {"ca": "Carta", "es": "Carta", "en": "Letter"},
        **changes,
    }


def test_a_procedure_reads_back_as_stored_without_empty_values(store: ProcedureStore) -> None:
    assert store.put_procedure(_procedure())

    expected = _procedure()
    del expected["consent"]
    del expected["data"]["note"]
    assert store.get_procedure("proc-1") == expected
    assert store.get_procedure("proc-nothing") is None


def test_a_procedure_is_created_once_and_then_changed_only_from_the_status_read(store: ProcedureStore) -> None:
    assert store.put_procedure(_procedure())
    assert not store.put_procedure(_procedure(status="issued"))

    assert not store.put_procedure(_procedure(status="issued"), expected_status="issuing")
    assert store.put_procedure(_procedure(status="issuing"), expected_status="awaiting_consent")
    assert store.put_procedure(_procedure(status="issued", documents=["doc-1"]), expected_status="issuing")
    assert (store.get_procedure("proc-1") or {})["documents"] == ["doc-1"]
    assert not store.put_procedure(_procedure("proc-2"), expected_status="awaiting_consent")  # nothing to change


def test_the_procedures_of_an_appointment_come_in_creation_order(store: ProcedureStore) -> None:
    store.put_procedure(_procedure("proc-b", created_at="2026-03-02T09:20:00+00:00"))
    store.put_procedure(_procedure("proc-a"))
    store.put_procedure(_procedure("proc-c", appointment_id="appt-2"))

    assert [p["id"] for p in store.procedures_of("appt-1")] == ["proc-a", "proc-b"]
    assert store.procedures_of("appt-3") == []


def test_a_document_is_found_by_id_csv_owner_and_appointment(store: ProcedureStore) -> None:
    store.put_document(_document("doc-2", issued_at="2026-03-02T11:00:00+00:00"))
    store.put_document(_document())
    store.put_document(_document("doc-3", owner="87654321X", appointment_id="appt-2"))

    assert store.get_document("doc-1") == _document()
    assert store.get_document("doc-nothing") is None
    assert store.document_by_csv("CSV-doc-2") == _document("doc-2", issued_at="2026-03-02T11:00:00+00:00")
    assert store.document_by_csv("CSV-nothing") is None
    assert [d["id"] for d in store.documents_of_owner("12345678Z")] == ["doc-1", "doc-2"]
    assert [d["id"] for d in store.documents_of_appointment("appt-2")] == ["doc-3"]


def test_a_document_is_registered_once(store: ProcedureStore) -> None:
    store.put_document(_document())

    with pytest.raises(DependencyUnavailable):
        store.put_document(_document(title={"ca": "Una altra", "es": "Otra", "en": "Another"}))

    assert store.get_document("doc-1") == _document()


def test_a_stored_pdf_reads_back(store: Any) -> None:
    pdf = b"%PDF-1.7 sealed"
    store.store_pdf("documents/doc-1.pdf", pdf, base64.b64encode(hashlib.sha256(pdf).digest()).decode())

    assert store.read_pdf("documents/doc-1.pdf") == pdf
    assert "documents/doc-1.pdf" in store.download_url("documents/doc-1.pdf", "letter.pdf")
