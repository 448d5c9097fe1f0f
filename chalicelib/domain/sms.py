"""SMS length as the networks count it (3GPP TS 23.038), and fitting a text into a number of segments.

A text made only of the GSM 7-bit default alphabet (plus its extension table, whose characters take two septets)
is sent as GSM-7: 160 septets in one message, 153 per segment once it is split. One character outside it — Catalan's
ó, í, ú, ç, ·, Spanish ó, í, á, guillemets « » or curly quotes — makes the whole text UCS-2: 70 UTF-16 units in one
message, 67 per segment once split. Every SMS we send must fit in ``MAX_SEGMENTS``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

MAX_SEGMENTS = 2

# The GSM 03.38 default alphabet (Ç is its only C with a cedilla: lower-case ç is not in it).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each takes an escape septet plus its own.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def encoding(text: str) -> str:
    """``GSM-7`` when every character is in the GSM alphabet (with its extension table), else ``UCS-2``."""
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def units(text: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes."""
    if is_gsm7(text):
        return sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """How many SMS the text is sent as."""
    single, part = (160, 153) if is_gsm7(text) else (70, 67)
    size = units(text)
    if size <= single:
        return 1
    return -(-size // part)


def fits(text: str, max_segments: int = MAX_SEGMENTS) -> bool:
    return segments(text) <= max_segments


def to_gsm7(text: str) -> str:
    """The text in the GSM alphabet: letters outside it lose their accent (ó → o, ç → c), the middle dot of l·l
    becomes a full stop, anything else a question mark."""
    out = []
    for c in text:
        if c in GSM7_BASIC or c in GSM7_EXTENSION:
            out.append(c)
        elif c == "\u00b7":
            out.append(".")
        else:
            base = unicodedata.normalize("NFD", c)[0]
            out.append(base if base in GSM7_BASIC else "?")
    return "".join(out)


def fit(compose: Callable[[str], str], value: str, max_segments: int = MAX_SEGMENTS) -> str:
    """``compose(value)`` in at most ``max_segments``. When the name (a service's or a procedure's) is what makes it
    too long — often by forcing UCS-2 with one accented letter — the name is written in the GSM alphabet, and then
    shortened with "..." word by word; the rest of the text (code, date, link) is never changed. Raises ValueError if
    even an empty name does not fit.
    """
    for candidate in (value, to_gsm7(value)):
        text = compose(candidate)
        if fits(text, max_segments):
            return text
    words = to_gsm7(value).split()
    while words:
        words.pop()
        # Three dots, not "…": the ellipsis character alone would turn a GSM-7 text into UCS-2.
        text = compose((" ".join(words).rstrip(",;:") + "...") if words else "")
        if fits(text, max_segments):
            return text
    raise ValueError("the SMS does not fit even without the name")


def fit_short(compose: Callable[[str], str], value: str) -> str:
    """Like ``fit``, but one GSM-7 segment when the whole name allows it (written in the GSM alphabet if it has to
    be): a text in one segment costs less and never arrives in pieces. Else the name whole, in two."""
    for candidate in (value, to_gsm7(value)):
        text = compose(candidate)
        if segments(text) == 1:
            return text
    return fit(compose, value)
