"""Supporting documents through the API: names stored safe, images kept as clean copies, active PDFs refused."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from typing import Any

import boto3
import pytest
from chalice.test import Client
from PIL import Image

from chalicelib.bootstrap import get_container
from chalicelib.texts import say
from dev.seed import DemoCounts
from infra.resources import physical_name
from tests.api.test_identity import body, post, staff_token
from tests.api.test_procedures import appointment, blank_pdf


@pytest.fixture
def omac(demo: DemoCounts) -> str:
    return appointment("residence-certificate", "OMAC")


def attach(client: Client, appointment: str, token: str, filename: str, content_type: str, data: bytes) -> Any:
    payload = {"filename": filename, "content_type": content_type, "data_base64": base64.b64encode(data).decode()}
    return post(client, f"/appointments/{appointment}/attachments", payload, token)


def stored(attachment_id: str) -> tuple[dict[str, Any], bytes]:
    record = get_container().procedures._store.get_document(attachment_id)
    assert record is not None
    data = boto3.client("s3").get_object(Bucket=physical_name("dev", "documents"), Key=record["key"])["Body"].read()
    return record, data


def test_a_name_with_folders_and_line_breaks_is_stored_safe(client: Client, omac: str) -> None:
    agent = staff_token(client, "agent.omac")
    added = attach(
        client, omac, agent, "../../secret\r\nX-Injected: 1\r\n/autorització.PDF", "application/pdf", blank_pdf()
    )
    assert added.status_code == 201, added.body
    assert body(added)["filename"] == "autorització.pdf"
    record, _ = stored(body(added)["id"])
    assert record["title"] == "autorització.pdf"


def test_a_polyglot_photo_is_kept_as_a_clean_copy(client: Client, omac: str) -> None:
    agent = staff_token(client, "agent.omac")
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(photo, "JPEG")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("run.html", "<script>alert(1)</script>")
    polyglot = photo.getvalue() + archive.getvalue()

    added = attach(client, omac, agent, "dni.jpeg", "image/jpeg", polyglot)

    assert added.status_code == 201, added.body
    _, kept = stored(body(added)["id"])
    assert not zipfile.is_zipfile(io.BytesIO(kept))
    assert body(added)["sha256"] == hashlib.sha256(kept).hexdigest()  # the hash names what is kept
    assert body(added)["filename"] == "dni.jpg"
    with Image.open(io.BytesIO(kept)) as image:
        assert image.size == (64, 48)


def test_a_pdf_with_javascript_is_refused_in_plain_words(client: Client, omac: str) -> None:
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    script = {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(DictionaryObject(script))
    out = io.BytesIO()
    writer.write(out)
    agent = staff_token(client, "agent.omac")

    refused = attach(client, omac, agent, "a.pdf", "application/pdf", out.getvalue())

    assert refused.status_code == 422
    (error,) = body(refused)["errors"]
    assert error["field"] == "data_base64"
    assert error["code"] in ("pdf_javascript", "pdf_actions")
    assert error["message"] == say(f"validation.{error['code']}", "ca")


def test_a_pdf_carrying_files_and_one_cut_short_are_refused(client: Client, omac: str) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.add_attachment("tool.exe", b"MZ")
    out = io.BytesIO()
    writer.write(out)
    agent = staff_token(client, "agent.omac")

    carrying = attach(client, omac, agent, "a.pdf", "application/pdf", out.getvalue())
    cut = attach(client, omac, agent, "b.pdf", "application/pdf", blank_pdf()[:-200])

    assert carrying.status_code == cut.status_code == 422
    assert body(carrying)["errors"][0]["code"] == "pdf_files"
    assert [e["field"] for e in body(cut)["errors"]] == ["data_base64"]
