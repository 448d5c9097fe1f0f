"""Supporting documents: safe names, one Content-Disposition, clean images, PDFs without active content (item 8)."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from chalicelib.documents.uploads import MAX_PIXELS, clean_upload
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.files import MAX_FILENAME, content_disposition, safe_filename

# --- names ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "content_type", "stored"),
    [
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("C:\\Users\\rosa\\Escritori\\autorització.PDF", "application/pdf", "autorització.pdf"),
        ("line\r\nContent-Type: text\r\n.pdf", "application/pdf", "line Content-Type: text.pdf"),
        ("foto\u202egpj.exe", "image/jpeg", "foto gpj.exe.jpg"),
        ("DNI.jpeg", "image/jpeg", "DNI.jpg"),
        ("scan.png.html", "image/png", "scan.png.html.png"),
        ("...", "application/pdf", "document.pdf"),
        ("   ", "image/png", "document.png"),
        (".htaccess", "application/pdf", "htaccess.pdf"),
        ("x" * 500 + ".pdf", "application/pdf", "x" * (MAX_FILENAME - 4) + ".pdf"),
    ],
)
def test_names_keep_only_a_visible_last_part_with_the_real_types_extension(
    raw: str, content_type: str, stored: str
) -> None:
    assert safe_filename(raw, content_type) == stored


@given(raw=st.text(max_size=400), content_type=st.sampled_from(["application/pdf", "image/jpeg", "image/png"]))
def test_any_name_becomes_a_short_visible_name_with_the_types_extension(raw: str, content_type: str) -> None:
    name = safe_filename(raw, content_type)
    assert 1 <= len(name) <= MAX_FILENAME
    assert "/" not in name
    assert "\\" not in name
    assert name.isprintable()
    assert name.endswith({"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[content_type])
    assert not name.startswith(".")


@given(name=st.text(max_size=200))
def test_a_content_disposition_never_breaks_out_of_its_header(name: str) -> None:
    header = content_disposition(name)
    assert header.isascii()
    assert header.isprintable()
    disposition, plain, exact = header.split("; ")
    assert disposition == "attachment"
    assert plain.startswith('filename="')
    assert plain.endswith('"')
    assert '"' not in plain[10:-1]
    assert exact.startswith("filename*=UTF-8''")
    decoded = unquote(exact.removeprefix("filename*=UTF-8''"))
    assert "/" not in decoded
    assert "\\" not in decoded
    assert decoded.isprintable()


def test_a_content_disposition_gives_the_exact_name_and_an_ascii_one() -> None:
    assert content_disposition('Certificat d\'empadronament "Rosa".pdf') == (
        'attachment; filename="Certificat d_empadronament _Rosa_.pdf"; '
        "filename*=UTF-8''Certificat%20d%27empadronament%20%22Rosa%22.pdf"
    )
    assert content_disposition("volant-conviència.pdf").startswith('attachment; filename="volant-conviencia.pdf"; ')


# --- images -------------------------------------------------------------------------------------------------------


def _image(fmt: str, size: tuple[int, int] = (40, 30), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **save)
    return out.getvalue()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return out.getvalue()


@pytest.mark.parametrize(("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_a_polyglot_image_loses_its_payload_and_keeps_its_pixels(fmt: str, content_type: str) -> None:
    original = _image(fmt)
    polyglot = original + _zip() + b"<html><script>alert(1)</script></html>"
    assert zipfile.is_zipfile(io.BytesIO(polyglot))  # the file is also an archive

    kept = clean_upload(polyglot, content_type)

    assert not zipfile.is_zipfile(io.BytesIO(kept))
    assert b"<script>" not in kept
    assert b"payload.html" not in kept
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == fmt
        assert image.size == (40, 30)
        pixel = image.convert("RGB").getpixel((5, 5))
        assert isinstance(pixel, tuple)
        assert max(abs(a - b) for a, b in zip(pixel, (200, 30, 30), strict=True)) < 8


def test_an_images_metadata_is_not_kept() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker <script>"  # Make
    kept = clean_upload(_image("JPEG", exif=exif.tobytes(), comment=b"GPS 41.38,2.17"), "image/jpeg")
    assert b"PhoneMaker" not in kept
    assert b"GPS 41.38" not in kept


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"\xff\xd8\xff" + b"not really a jpeg", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png"),
        (_image("PNG"), "image/jpeg"),  # a PNG sent as a JPEG
        (_image("JPEG")[:200], "image/jpeg"),  # cut short
    ],
)
def test_an_image_that_does_not_decode_as_its_type_is_refused(data: bytes, content_type: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        clean_upload(data, content_type)
    assert [e.field for e in refused.value.errors] == ["data_base64"]


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    side = int(MAX_PIXELS**0.5) + 100
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")  # a few kilobytes that decode to ~50 million pixels
    with pytest.raises(ValidationFailed) as refused:
        clean_upload(out.getvalue(), "image/png")
    assert refused.value.errors[0].key in ("image_too_large", "image_type", "image_damaged")


# --- PDFs ---------------------------------------------------------------------------------------------------------


def _pdf(change: object = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if callable(change):
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _javascript(writer: PdfWriter) -> None:
    script = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("1")})
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("x"), writer._add_object(script)])})
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})


def _open_action(writer: PdfWriter) -> None:
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject("https://evil.example")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def _page_action(writer: PdfWriter) -> None:
    launch = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd")})
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): writer._add_object(launch)})


def _embedded(writer: PdfWriter) -> None:
    writer.add_attachment("invoice.exe", b"MZ\x90\x00 not a document")


def _link_that_launches(writer: PdfWriter) -> None:
    launch = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc")})
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(50), NumberObject(50)]),
            NameObject("/A"): launch,
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def _hidden_in_a_stream_object(writer: PdfWriter) -> None:
    stream = DecodedStreamObject()
    stream.set_data(b"app.launchURL('https://evil.example')")
    script = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): writer._add_object(stream)}
    )
    writer._add_object(script)  # not reachable from the catalog: still refused


def test_a_plain_pdf_is_kept_byte_for_byte() -> None:
    pdf = _pdf()
    assert clean_upload(pdf, "application/pdf") == pdf


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (_javascript, "pdf_javascript"),
        (_open_action, "pdf_actions"),
        (_page_action, "pdf_actions"),
        (_embedded, "pdf_files"),
        (_link_that_launches, "pdf_launch"),
        (_hidden_in_a_stream_object, "pdf_javascript"),
    ],
)
def test_a_pdf_that_runs_or_carries_something_is_refused_in_plain_words(change: object, key: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        clean_upload(_pdf(change), "application/pdf")
    (error,) = refused.value.errors
    assert error.field == "data_base64"
    assert error.key == key


def test_a_pdf_with_an_archive_after_its_end_or_a_password_is_refused() -> None:
    with pytest.raises(ValidationFailed) as trailing:
        clean_upload(_pdf() + _zip(), "application/pdf")
    assert trailing.value.errors[0].key == "pdf_trailing"

    def protect(writer: PdfWriter) -> None:
        writer.encrypt("secret")

    with pytest.raises(ValidationFailed) as locked:
        clean_upload(_pdf(protect), "application/pdf")
    assert locked.value.errors[0].key == "pdf_password"


@given(tail=st.binary(max_size=300))
def test_any_bytes_after_a_pdf_header_are_kept_or_refused_never_crash(tail: bytes) -> None:
    refused: list[str] = []
    try:
        clean_upload(b"%PDF-1.7\n" + tail + b"\n%%EOF\n", "application/pdf")
    except ValidationFailed as exc:
        refused = [e.field for e in exc.errors]
    assert refused in ([], ["data_base64"])
