"""Every SMS fits in two segments, counted in the encoding its text needs (GSM-7, or UCS-2 for one character outside
the GSM alphabet), in every language and with the longest realistic values; none carries guillemets or curly quotes."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain import sms
from chalicelib.domain.messages import (
    APPOINTMENT_KINDS,
    appointment_sms,
    code_message,
    consent_message,
    short_when,
)
from chalicelib.domain.procedures import REGISTRY
from chalicelib.texts import LANGUAGES, catalogue

ROOT = Path(__file__).resolve().parents[2]
MADRID = ZoneInfo("Europe/Madrid")
# The longest realistic values: a Wednesday in September at 23:45, a council's own long domain, a six-digit code.
LATE = datetime(2026, 9, 30, 23, 45, tzinfo=MADRID)
LINK = "https://videoatencio.ajuntament-de-sant-cugat-del-valles.cat/appointments"
TYPOGRAPHIC = set("«»“”„\u2018\u2019…")  # guillemets, curly quotes, the ellipsis


def _service_names() -> list[str]:
    catalogue = json.loads((ROOT / "dev" / "demo" / "catalogue.json").read_text(encoding="utf-8"))
    names = [name for service in catalogue["services"] for name in service["name"].values()]
    # A council's own long name, with letters outside GSM-7 and guillemets, as an administrator might type it.
    names.append("Sol·licitud d'ajut «Habitatge digne» per a la rehabilitació d'edificis d'ús residencial")
    return names


SERVICE_NAMES = _service_names()
PROCEDURE_TITLES = [p.title(lang) for p in REGISTRY.values() for lang in LANGUAGES] + [
    "Sol·licitud de fraccionament i ajornament de deutes tributaris en període executiu",
]


def test_gsm7_and_ucs2_are_counted_as_the_networks_do() -> None:
    assert sms.encoding("Cita confirmada") == "GSM-7"
    assert sms.encoding("Informació") == "UCS-2"  # ó is not in the GSM alphabet
    assert sms.encoding("Código") == "UCS-2"
    assert sms.encoding("Ça va, à demain, €5 {x}") == "GSM-7"  # extension table: € { } take two septets
    assert sms.encoding("cal «això»") == "UCS-2"
    assert sms.encoding("the “quotes”") == "UCS-2"
    assert sms.segments("a" * 160) == 1
    assert sms.segments("a" * 161) == 2
    assert sms.segments("a" * 306) == 2
    assert sms.segments("a" * 307) == 3
    assert sms.units("€" * 80) == 160
    assert sms.segments("€" * 81) == 2
    assert sms.segments("ó" * 70) == 1
    assert sms.segments("ó" * 71) == 2
    assert sms.segments("ó" * 134) == 2
    assert sms.segments("ó" * 135) == 3


def test_fit_shortens_only_the_name() -> None:
    text = sms.fit(lambda name: f"Codi 123456: {name}. {LINK}", "paraula " * 60)
    assert sms.fits(text)
    assert text.startswith("Codi 123456: paraula")
    assert f"... {LINK}" in text


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("kind", APPOINTMENT_KINDS)
@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_appointment_sms_fits_in_two_segments(lang: str, kind: str, service: str) -> None:
    text = appointment_sms(kind, lang, service, LATE, LINK)

    assert sms.segments(text) <= 2, (sms.encoding(text), sms.units(text), text)
    assert not TYPOGRAPHIC & set(text), text
    assert short_when(LATE, lang) in text  # the date and time are never cut
    if "{link}" in catalogue(lang)[f"sms.appointment.{kind}"]:
        assert LINK in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_short_names_are_kept_whole(lang: str) -> None:
    assert "Carta de pag" in appointment_sms("booked", lang, "Carta de pagament", LATE, LINK)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("minutes", [5, 10, 15])
def test_every_code_sms_fits_in_two_segments(lang: str, minutes: int) -> None:
    _, text = code_message("987654", minutes, lang)

    assert sms.segments(text) <= 2, (sms.encoding(text), sms.units(text), text)
    assert not TYPOGRAPHIC & set(text), text
    assert "987654" in text


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("title", PROCEDURE_TITLES)
def test_every_consent_sms_fits_in_two_segments(lang: str, title: str) -> None:
    text = consent_message("987654", title, 10, lang)

    assert sms.segments(text) <= 2, (sms.encoding(text), sms.units(text), text)
    assert not TYPOGRAPHIC & set(text), text
    assert "987654" in text


def test_a_name_too_long_for_ucs2_is_written_in_the_gsm_alphabet_before_it_is_cut() -> None:
    text = appointment_sms("booked", "ca", "Alta o canvi de domicili al padró", LATE, LINK)

    assert "Alta o canvi de domicili al padro" in text
    assert sms.encoding(text) == "GSM-7"
    assert sms.to_gsm7("Sol·licitud d'informació") == "Sol.licitud d'informacio"
