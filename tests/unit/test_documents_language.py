"""Documents speak the citizen's language to the end: the nationality on a residence certificate is a country's name
in that language (not the register's ISO code), and the file is saved under the document's title in that language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.countries import country_name
from chalicelib.domain.procedures import REGISTRY
from chalicelib.domain.procedures.base import Context, Facts
from chalicelib.services.documents import document_file_name
from dev.seed import padron
from tests.unit.test_reminders import START, appointment


@pytest.mark.parametrize(
    ("code", "lang", "name"),
    [
        ("MA", "ca", "Marroc"),
        ("MA", "es", "Marruecos"),
        ("MA", "en", "Morocco"),
        ("ES", "ca", "Espanya"),
        ("IT", "ca", "Itàlia"),
        ("RO", "es", "Rumanía"),
        ("co", "ca", "Colòmbia"),
        ("XX", "ca", "XX"),  # not a country: shown as registered
        ("", "es", ""),
    ],
)
def test_country_names_are_in_the_readers_language(code: str, lang: str, name: str) -> None:
    assert country_name(code, lang) == name


def _facts(lang: str, person: dict[str, Any]) -> dict[str, str]:
    procedure = REGISTRY["residence_certificate"]
    ctx = Context(appointment(START), lang, datetime(2026, 12, 1, tzinfo=UTC), person, household=(person,))
    (draft,) = procedure.documents({"certificate_type": "individual", "requester": "holder"}, ctx)
    rows: dict[str, str] = {}
    for block in draft.blocks:
        if isinstance(block, Facts):
            rows.update(dict(block.rows))
    return rows


@pytest.mark.parametrize(
    ("lang", "label", "name"), [("ca", "Nacionalitat", "Marroc"), ("es", "Nacionalidad", "Marruecos")]
)
def test_the_certificate_prints_the_nationality_in_the_citizens_language(lang: str, label: str, name: str) -> None:
    person = next(p for p in padron() if p["nationality"] == "MA")

    assert _facts(lang, person)[label] == name


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Certificat d'empadronament", "certificat-d-empadronament-7K3QD-M9XH4-TR8WP-D3JNB-6Y.pdf"),
        ("Certificado de empadronamiento", "certificado-de-empadronamiento-7K3QD-M9XH4-TR8WP-D3JNB-6Y.pdf"),
        ("Resolució de fraccionament", "resolucio-de-fraccionament-7K3QD-M9XH4-TR8WP-D3JNB-6Y.pdf"),
        ("", "residence_certificate-7K3QD-M9XH4-TR8WP-D3JNB-6Y.pdf"),
    ],
)
def test_a_document_is_saved_under_its_title_in_the_citizens_language(title: str, name: str) -> None:
    record = {"kind": "residence_certificate", "title": title, "csv": "7K3QD-M9XH4-TR8WP-D3JNB-6Y"}
    assert document_file_name(record) == name
