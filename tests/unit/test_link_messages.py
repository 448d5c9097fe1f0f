"""The one-tap links in the messages (issue 16): every SMS that carries one is one GSM-7 segment with the demo's
services and a council's ordinary address, two at most with the longest name and address, in every language and
of every kind; its fixed words are all in the GSM alphabet (no guillemets, no curly quotes, no ó or ·); the emails
list join, change and cancel, one a line."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain import sms
from chalicelib.domain.messages import appointment_message, appointment_sms, code_sms, short_when
from chalicelib.texts import LANGUAGES, catalogue

ROOT = Path(__file__).resolve().parents[2]
LATE = datetime(2026, 9, 30, 23, 45, tzinfo=ZoneInfo("Europe/Madrid"))
TOKEN = "Zm9vYmFyYmF6cXV4MTIzND"  # 22 characters, as codes.new_link_token(16) makes
SHORT = f"https://cita.vilademo.cat/l#token={TOKEN}"
LONG = f"https://videoatencio.ajuntament-de-sant-cugat-del-valles.cat/l#token={TOKEN}"
LINK_KINDS = ("booked", "changed", "reminder", "preflight", "needs_rebooking")
LONGEST_NAME = "Sol·licitud d'ajut «Habitatge digne» per a la rehabilitació d'edificis d'ús residencial"


def _demo_names(lang: str) -> list[str]:
    services = json.loads((ROOT / "dev" / "demo" / "catalogue.json").read_text(encoding="utf-8"))["services"]
    return [service["name"][lang] for service in services]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_sms_text_has_its_words_in_the_gsm_alphabet(lang: str) -> None:
    """Every SMS the service sends (appointments, codes, consent, waitlist): one character outside the alphabet (an
    ó, a ·) makes the whole message UCS-2, 70 characters a segment instead of 160."""
    texts = {key: text for key, text in catalogue(lang).items() if key.startswith("sms.")}
    assert {f"sms.appointment.{kind}" for kind in LINK_KINDS} <= set(texts)
    for key, text in texts.items():
        words = re.sub(r"\{[a-z]+\}", "", text)
        assert sms.is_gsm7(words), (key, words)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_code_by_sms_is_one_gsm7_segment(lang: str) -> None:
    text = code_sms("123456", 10, lang)

    assert "123456" in text
    assert sms.encoding(text) == "GSM-7", text
    assert sms.segments(text) == 1, (sms.units(text), text)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("kind", LINK_KINDS)
def test_an_sms_with_its_link_is_one_gsm7_segment_for_every_demo_service(lang: str, kind: str) -> None:
    for name in _demo_names(lang):
        text = appointment_sms(kind, lang, name, LATE, SHORT)

        assert sms.encoding(text) == "GSM-7", text
        assert sms.segments(text) == 1, (sms.units(text), text)
        assert SHORT in text
        assert short_when(LATE, lang) in text


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("kind", LINK_KINDS)
def test_an_sms_with_its_link_is_never_more_than_two_segments(lang: str, kind: str) -> None:
    for name in [*_demo_names(lang), LONGEST_NAME]:
        text = appointment_sms(kind, lang, name, LATE, LONG)

        assert sms.segments(text) <= 2, (sms.encoding(text), sms.units(text), text)
        assert LONG in text  # the link is never cut
        assert not set("\u00ab\u00bb\u201c\u201d\u201e\u2018\u2019\u2026") & set(text)  # « » curly quotes …


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("kind", ["booked", "changed", "reminder"])
def test_the_email_lists_join_change_and_cancel(lang: str, kind: str) -> None:
    links = {"join": SHORT + "j", "change": SHORT + "c", "cancel": SHORT + "x"}
    _, body = appointment_message(kind, lang, "Carta de pagament", LATE, "https://cita.vilademo.cat/a/1", links)

    lines = [line for line in body.splitlines() if "/l#token=" in line]
    assert [line.rsplit(" ", 1)[1] for line in lines] == [links["join"], links["change"], links["cancel"]]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_rebooking_email_lists_change_and_cancel(lang: str) -> None:
    links = {"change": SHORT + "c", "cancel": SHORT + "x"}
    _, body = appointment_message("needs_rebooking", lang, "Carta de pagament", LATE, SHORT + "m", links)

    lines = [line for line in body.splitlines() if "/l#token=" in line]
    assert [line.rsplit(" ", 1)[1] for line in lines] == [links["change"], links["cancel"]]
    assert "14" in body  # how long the links work


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_preflight_email_carries_its_link(lang: str) -> None:
    subject, body = appointment_message("preflight", lang, "Carta de pagament", LATE, SHORT)

    assert "Carta de pagament" in subject
    assert SHORT in body
