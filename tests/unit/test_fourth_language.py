"""A fourth language is one more catalogue file: with Galician's (a fixture) beside ours, and no code changed, the
backend speaks it — an email, every SMS within two segments, a sealed document's page and a procedure's form.

The README's "How to extend" → "Add a language" lists the files; this test is its proof for the backend.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from chalicelib import texts
from chalicelib.documents.issuer import content_of
from chalicelib.documents.pdf import render_pdf
from chalicelib.domain import sms
from chalicelib.domain.catalogue import Text
from chalicelib.domain.messages import (
    APPOINTMENT_KINDS,
    appointment_message,
    appointment_sms,
    code_message,
    consent_message,
)
from chalicelib.domain.procedures import REGISTRY
from chalicelib.domain.procedures.base import Context, Issuance
from dev.seed import padron
from tests.unit.test_reminders import START, appointment
from tests.unit.test_texts import _placeholders

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "texts" / "gl.json"
LATE = datetime(2026, 9, 30, 23, 45, tzinfo=ZoneInfo("Europe/Madrid"))
LINK = "https://videoatencio.ajuntament-de-sant-cugat-del-valles.cat/appointments"


@pytest.fixture
def galician(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Our catalogues plus Galician's, as a deployment would have them after adding the file."""
    for catalogue in texts.CATALOGUES.glob("*.json"):
        shutil.copy(catalogue, tmp_path)
    shutil.copy(FIXTURE, tmp_path)
    monkeypatch.setattr(texts, "CATALOGUES", tmp_path)
    monkeypatch.setattr(texts, "LANGUAGES", texts.languages_in(tmp_path))
    texts.catalogue.cache_clear()
    yield "gl"
    texts.catalogue.cache_clear()


def test_the_new_catalogue_is_complete_and_becomes_a_language(galician: str) -> None:
    reference, added = texts.catalogue(texts.DEFAULT_LANGUAGE), texts.catalogue(galician)

    assert set(added) == set(reference), f"missing {set(reference) - set(added)}, extra {set(added) - set(reference)}"
    assert all(_placeholders(added[key]) == _placeholders(reference[key]) for key in reference)
    assert galician in texts.LANGUAGES
    assert texts.language("gl") == "gl"
    assert texts.from_accept_language("gl-ES,gl;q=0.9,es;q=0.8") == "gl"


def test_an_email_in_the_new_language(galician: str) -> None:
    subject, body = appointment_message("booked", galician, "Certificado de empadroamento", LATE, LINK)

    assert subject == "Cita confirmada: Certificado de empadroamento"
    assert body.startswith(
        "Ten unha cita por videochamada para «Certificado de empadroamento» o mércores 30 de setembro"
    )
    assert "setembro de 2026, ás 23:45" in body
    assert code_message("987654", 10, galician)[1].startswith("O seu código é 987654.")


@pytest.mark.parametrize("kind", APPOINTMENT_KINDS)
def test_every_sms_in_the_new_language_fits_in_two_segments(galician: str, kind: str) -> None:
    long_name = "Solicitude de axuda «Vivenda digna» para a rehabilitación de edificios de uso residencial"
    text = appointment_sms(kind, galician, long_name, LATE, LINK)

    assert sms.segments(text) <= 2, (sms.encoding(text), sms.units(text), text)
    assert "30/09/2026, 23:45 h" in text  # the SMS date in GSM letters only ("ás" would make it UCS-2)
    for procedure in REGISTRY.values():
        consent = consent_message("987654", procedure.title(galician), 10, galician)
        assert sms.segments(consent) <= 2
        assert "987654" in consent


def test_a_procedure_form_and_its_document_in_the_new_language(galician: str) -> None:
    procedure = REGISTRY["residence_certificate"]
    person = next(p for p in padron() if p["nationality"] == "MA")
    ctx = Context(appointment(START), galician, datetime(2026, 12, 1, tzinfo=UTC), person, council="Concello")

    form = [field.to_json(galician) for field in procedure.fields(ctx)]
    (draft,) = procedure.documents({"certificate_type": "individual", "requester": "holder"}, ctx)

    assert form[0]["label"] == "Tipo de certificado"
    assert [o["label"] for o in form[1]["options"]] == ["A persoa titular", "Un representante"]
    assert draft.title == "Certificado de empadroamento · Individual"
    pdf = render_pdf(
        content_of(
            draft,
            Issuance(
                language=galician,
                council="Concello de Vilademo",
                office_name="OMAC",
                issued_at=datetime(2026, 12, 1, 9, 5, 3, tzinfo=UTC),
                csv="7K3QD-M9XH4-TR8WP-D3JNB-6Y",
                verify_url="https://videoatencio.example/verify",
                kept_until=datetime(2027, 12, 1, tzinfo=UTC),
            ),
            ZoneInfo("Europe/Madrid"),
        )
    )
    page = PdfReader(BytesIO(pdf)).pages[0].extract_text()
    assert "Nacionalidade" in page
    assert "Data e hora de emisión: 01/12/2026 10:05:03 CET" in page
    assert "Páxina 1/1" in page
    assert "O Concello conserva este documento ata o 01/12/2027" in page


def test_data_not_yet_translated_reads_in_the_councils_language(galician: str) -> None:
    name = Text.parse({"ca": "Carta de pagament", "es": "Carta de pago"}, "name")

    assert name.in_language(galician) == "Carta de pagament"
