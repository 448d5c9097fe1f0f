"""What an uploaded supporting document may contain, and the clean copy of it that is kept.

The first bytes alone prove little: a file can be a valid JPEG and a ZIP, an HTML page or a script at once (a
polyglot), and a PDF can carry JavaScript, an action that runs on opening, embedded files or a launch of a program.

- Images (JPEG, PNG) are decoded and encoded again from their pixels (Pillow): whatever else the file carried
  (trailing archives, comments, metadata with the phone's location) is gone; the pixels, orientation applied, stay.
  A file that does not decode, or decodes to more than ``MAX_PIXELS``, is refused.
- PDFs are read (pypdf) and refused if any object holds JavaScript, an opening or page action (OpenAction, AA), a
  launch, embedded files, rich media or XFA forms, if they are encrypted (nothing inside can be checked), or if bytes
  follow the end of the file. They are kept byte for byte, so a digital signature on them stays valid.

Each refusal is a ``ValidationFailed`` on ``data_base64`` in plain words.
"""

from __future__ import annotations

import io
import re
import warnings
from typing import Any

from chalicelib.domain.errors import FieldError, ValidationFailed

FIELD = "data_base64"
MAX_PIXELS = 50_000_000  # a 4 MB file that decodes to gigabytes is a decompression bomb
# Names in a PDF that run something or carry other files.
ACTIVE_PDF_KEYS = frozenset(
    {"/JS", "/JavaScript", "/OpenAction", "/AA", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA"}
)
ACTIVE_PDF_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/RichMediaExecute"})
_TRAILER_END = re.compile(rb"%%EOF\s*$")


def _refuse(key: str, **params: object) -> ValidationFailed:
    return ValidationFailed([FieldError(FIELD, key, **params)])


def clean_upload(data: bytes, content_type: str) -> bytes:
    """The bytes to keep for an upload of ``content_type``, or ``ValidationFailed`` saying why not."""
    if content_type == "application/pdf":
        check_pdf(data)
        return data
    if content_type in ("image/jpeg", "image/png"):
        return reencode_image(data, content_type)
    raise _refuse("file_type")


def reencode_image(data: bytes, content_type: str) -> bytes:
    from PIL import Image, ImageOps, UnidentifiedImageError

    expected = {"image/jpeg": "JPEG", "image/png": "PNG"}[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise _refuse("image_too_large", megapixels=MAX_PIXELS // 1_000_000)
                image.load()
                pixels = (ImageOps.exif_transpose(image) or image).copy()
                pixels.info = {}  # comments, EXIF (the phone's location), colour profiles, text chunks: not kept
                out = io.BytesIO()
                if expected == "JPEG":
                    pixels.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
                else:
                    keep = (
                        pixels
                        if pixels.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16")
                        else pixels.convert("RGBA")
                    )
                    keep.save(out, "PNG", optimize=True)
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse("image_type") from None
    except (OSError, ValueError, SyntaxError, EOFError):  # what Pillow raises for truncated or broken files
        raise _refuse("image_damaged") from None
    return out.getvalue()


def check_pdf(data: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not _TRAILER_END.search(data[-1024:]):
        raise _refuse("pdf_trailing")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refuse("pdf_password")
        for found in _objects(reader):
            _check_object(found)
        if len(reader.pages) == 0:
            raise _refuse("pdf_no_pages")
    except ValidationFailed:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        raise _refuse("pdf_damaged") from None


def _objects(reader: Any) -> list[Any]:
    """Every indirect object the file defines, in its cross-reference tables and its object streams."""
    from pypdf.generic import IndirectObject

    found = []
    numbers = {(num, gen) for gen, table in reader.xref.items() for num in table}
    numbers |= {(num, 0) for num in reader.xref_objStm}
    for num, gen in sorted(numbers):
        obj = reader.get_object(IndirectObject(num, gen, reader))
        if obj is not None:
            found.append(obj)
    found.append(reader.trailer)
    return found


def _check_object(obj: Any, depth: int = 0) -> None:
    """Refuse ``obj`` if it, or a dictionary or array written inside it, runs or carries something."""
    from pypdf.generic import ArrayObject, DictionaryObject

    if depth > 50:
        raise _refuse("pdf_damaged")
    if isinstance(obj, DictionaryObject):
        keys = {str(k) for k in obj}
        if keys & ACTIVE_PDF_KEYS:
            raise _refuse(_why(keys & ACTIVE_PDF_KEYS))
        action = obj.get("/S")
        if action in ACTIVE_PDF_ACTIONS:
            raise _refuse(_why({str(action)}))
        if obj.get("/Type") == "/EmbeddedFile" or (obj.get("/Type") == "/Filespec" and "/EF" in obj):
            raise _refuse(_why({"/EmbeddedFile"}))
        children = list(obj.values())
    elif isinstance(obj, ArrayObject):
        children = list(obj)
    else:
        return
    for child in children:  # references are objects of their own, checked in their turn
        if isinstance(child, (DictionaryObject, ArrayObject)):
            _check_object(child, depth + 1)


def _why(keys: set[str]) -> str:
    if keys & {"/JS", "/JavaScript"}:
        return "pdf_javascript"
    if keys & {"/EmbeddedFile", "/EmbeddedFiles", "/RichMedia"}:
        return "pdf_files"
    if "/Launch" in keys:
        return "pdf_launch"
    return "pdf_actions"
