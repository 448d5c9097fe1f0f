"""The messages we send — one-time codes, appointment emails and SMS, consent codes — in the person's language.

Their words are the catalogues' (``chalicelib/texts/<language>.json``: ``email.*``, ``sms.*``, ``calendar.*``,
``when.*``); this module fills them in and keeps every SMS within its segments.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain import sms
from chalicelib.texts import DEFAULT_LANGUAGE, from_accept_language, language, say

# ``language`` and ``from_accept_language`` are the catalogues' own: the API and the services import them from here.
__all__ = [
    "APPOINTMENT_KINDS",
    "appointment_message",
    "appointment_sms",
    "code_message",
    "code_sms",
    "consent_message",
    "from_accept_language",
    "language",
    "plain",
    "short_when",
    "staff_code_message",
    "waitlist_message",
    "waitlist_sms",
    "when",
]

APPOINTMENT_KINDS = ("booked", "changed", "cancelled", "reminder", "needs_rebooking", "withdrawn", "preflight")
# The one-tap links an email lists after its text, in this order (``email.link.<action>``).
EMAIL_LINK_ORDER = ("join", "change", "cancel")


def code_message(code: str, minutes: int, lang: str) -> tuple[str, str]:
    """(subject, body) of a one-time code message."""
    return say("email.code.subject", lang), say("email.code.body", lang, code=code, minutes=minutes)


def code_sms(code: str, minutes: int, lang: str) -> str:
    """A one-time code by SMS: its own short text in the GSM alphabet, one segment (the email's is UCS-2 and longer)."""
    return plain(say("sms.code", lang, code=code, minutes=minutes))


def staff_code_message(code: str, minutes: int, lang: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
    return say("email.staff_code.subject", lang), say("email.code.body", lang, code=code, minutes=minutes)


def when(local: datetime, lang: str) -> str:
    """A date and time as people say it, in the council's time (the caller passes a Europe/Madrid datetime)."""
    return say(
        "when.long",
        lang,
        weekday=say(f"calendar.weekday.{local.weekday()}", lang),
        day=local.day,
        month_of=say(f"calendar.month_of.{local.month}", lang),
        year=local.year,
        time=local.strftime("%H:%M"),
    )


def appointment_message(
    kind: str, lang: str, service: str, local: datetime, link: str, links: dict[str, str] | None = None
) -> tuple[str, str]:
    """(subject, body); ``links``: the one-tap links (join, change, cancel) listed after the text, one a line."""
    values = {"service": service, "when": when(local, lang), "link": link}
    subject = say(f"email.appointment.{kind}.subject", lang, **values)
    body = say(f"email.appointment.{kind}.body", lang, **values)
    given = links or {}
    lines = [say(f"email.link.{action}", lang, link=given[action]) for action in EMAIL_LINK_ORDER if action in given]
    return subject, "\n\n".join([body, "\n".join(lines)]) if lines else body


# --- SMS ---------------------------------------------------------------------------------------------------------
# Short on purpose: every SMS must fit in two segments (chalicelib/domain/sms.py), and a Catalan or Spanish text is
# usually UCS-2 (ó, í, ·), so 134 characters. The fixed words use only the GSM alphabet, and no guillemets or curly
# quotes; a service name that would not fit is written in the GSM alphabet, then shortened (never the date, code or
# link). The link is the list of the person's appointments: one appointment's is too long for an SMS. The
# templates are the catalogues' ``sms.appointment.<kind>`` and ``sms.consent``.
_PLAIN_QUOTES = str.maketrans(
    {
        "\u00ab": '"',
        "\u00bb": '"',
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u2026": "...",
    }
)


def plain(text: str) -> str:
    """Straight quotes and three dots for the typographic ones, which are outside the GSM alphabet."""
    return text.translate(_PLAIN_QUOTES)


def short_when(local: datetime, lang: str) -> str:
    return say("when.short", lang, at=local)


def appointment_sms(kind: str, lang: str, service: str, local: datetime, link: str) -> str:
    """The SMS for an appointment (booked, changed, cancelled, reminder...): one GSM-7 segment when the name allows
    it, at most two always."""
    when_text = short_when(local, lang)
    return sms.fit_short(
        lambda name: plain(say(f"sms.appointment.{kind}", lang, service=name, when=when_text, link=link)),
        plain(service),
    )


def consent_message(code: str, title: str, minutes: int, lang: str) -> str:
    """The code a citizen confirms a procedure with (by SMS or email): at most two SMS segments."""
    return sms.fit(lambda name: plain(say("sms.consent", lang, code=code, title=name, minutes=minutes)), plain(title))


# --- the waitlist ----------------------------------------------------------------------------------------------------
WAITLIST_KINDS = ("offer", "taken")


def waitlist_message(kind: str, lang: str, service: str, local: datetime, link: str, minutes: int) -> tuple[str, str]:
    """(subject, body) of a waitlist email: ``offer`` (a freed slot, held ``minutes``) or ``taken`` (it is gone)."""
    values = {"service": service, "when": when(local, lang), "link": link, "minutes": minutes}
    return say(f"email.waitlist.{kind}.subject", lang, **values), say(f"email.waitlist.{kind}.body", lang, **values)


def waitlist_sms(kind: str, lang: str, service: str, local: datetime, link: str, minutes: int) -> str:
    """The waitlist SMS (the offer carries its one-tap link): at most two segments."""
    when_text = short_when(local, lang)
    return sms.fit(
        lambda name: plain(say(f"sms.waitlist.{kind}", lang, service=name, when=when_text, link=link, minutes=minutes)),
        plain(service),
    )
