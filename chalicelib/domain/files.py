"""File names that are safe to store and to hand back, and the one way this API names a file it sends.

A name comes from a person's device: it may carry folders (``../../etc/passwd``, ``C:\\Users\\…``), line breaks and
other control characters (which split headers and logs), invisible direction marks (``cod\u202egpj.exe``), hundreds
of characters, or an extension that says another type. ``safe_filename`` keeps only the last path part's visible
characters, at most ``MAX_FILENAME`` of them, with the extension of the type the content really is.
``content_disposition`` writes RFC 6266's header with an ASCII ``filename`` for old clients and the exact name as
RFC 5987 ``filename*`` (UTF-8, percent-encoded), so no name can break out of its quotes.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_FILENAME = 120
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "text/calendar": ".ics"}
_SAME_TYPE = {".jpeg": ".jpg", ".jpe": ".jpg"}
_SPACES = re.compile(r"\s+")
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()+,=@\-]")


def _visible(text: str) -> str:
    """Without control, format (direction marks, zero-width), surrogate, private-use or unassigned characters."""
    return "".join(ch if unicodedata.category(ch)[0] not in "C" else " " for ch in text)


def safe_filename(raw: str, content_type: str, fallback: str = "document") -> str:
    """The name to store and show: last path part, visible characters, ≤ ``MAX_FILENAME``, the type's extension."""
    name = unicodedata.normalize("NFC", raw)
    name = re.split(r"[/\\]", name)[-1]
    name = _SPACES.sub(" ", _visible(name)).strip().strip(".").strip()
    extension = EXTENSIONS.get(content_type, "")
    stem, dot, given = name.rpartition(".")
    if dot and _SAME_TYPE.get("." + given.lower(), "." + given.lower()) == extension:
        name = stem.rstrip(" .")
    if not name:
        name = fallback
    name = name[: MAX_FILENAME - len(extension)].rstrip(" .") or fallback
    return name + extension


def ascii_filename(name: str) -> str:
    """An ASCII stand-in for old clients: accents dropped, anything else that could need quoting replaced by ``_``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = _ASCII_UNSAFE.sub("_", plain).strip(" ._")
    return plain or "download"


def content_disposition(name: str, disposition: str = "attachment") -> str:
    """``attachment; filename="…"; filename*=UTF-8''…`` (RFC 6266 with RFC 5987), from any name."""
    clean = _SPACES.sub(" ", _visible(re.split(r"[/\\]", name)[-1])).strip() or "download"
    return f"{disposition}; filename=\"{ascii_filename(clean)}\"; filename*=UTF-8''{quote(clean, safe='')}"
