"""Issued documents: the PDF's layout in the three languages, its QR and barcode, and the KMS-made seal (with a fake
KMS here; tests/api/test_seal.py runs the same seal against moto's KMS and S3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

import pypdfium2  # type: ignore[import-untyped]
import pytest
import zxingcpp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pypdf import PdfReader

from chalicelib.documents.pdf import DocumentContent, render_pdf
from chalicelib.documents.seal import Sealer, check_seal
from chalicelib.domain.procedures.base import Barcode, Facts, Heading, Paragraph, Table

CSV = "7K3M-9QXT-4HWD-2NBR-8C"
URL = "https://seu.vilademo.cat/verificar/7K3M9QXT4HWD2NBR8C"
ISSUED = datetime(2026, 3, 14, 10, 5, 3, tzinfo=ZoneInfo("Europe/Madrid"))  # the council's time, as printed
# Cuaderno 60 modalidad 2: 90 521 emisora referencia identificación importe 0 (DOMAIN.md's first worked example).
LETTER_DIGITS = "90521" + "481166" + "123456789016" + "1002188121" + "00001160" + "0"

TITLES = {
    "ca": "Certificat d'empadronament i convivència",
    "es": "Certificado de empadronamiento y convivencia",
    "en": "Certificate of registered residence and household",
}
PAGE = {"ca": "Pàgina", "es": "Página", "en": "Page"}


class FakeKms:
    """The three KMS calls the seal makes, on a local P-256 key: RAW messages are hashed with SHA-256 as KMS does."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.created = datetime(2026, 1, 1, 8, 0, 0, 123456, tzinfo=UTC)
        self.signed: list[int] = []

    def sign(self, *, KeyId: str, Message: bytes, MessageType: str, SigningAlgorithm: str) -> dict[str, Any]:  # noqa: N803
        assert (MessageType, SigningAlgorithm) == ("RAW", "ECDSA_SHA_256")
        self.signed.append(len(Message))
        return {"KeyId": KeyId, "Signature": self.key.sign(Message, ec.ECDSA(hashes.SHA256()))}

    def get_public_key(self, *, KeyId: str) -> dict[str, Any]:  # noqa: N803
        der = self.key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        return {"KeyId": KeyId, "PublicKey": der}

    def describe_key(self, *, KeyId: str) -> dict[str, Any]:  # noqa: N803
        return {"KeyMetadata": {"KeyId": KeyId, "CreationDate": self.created}}


def certificate_content(language: str = "ca", members: int = 30) -> DocumentContent:
    household = [[f"Ștefan Łukasz Núñez {n}", f"X{n:07d}L", "01/01/1990", "12/03/2015"] for n in range(members)]
    return DocumentContent(
        title=TITLES[language],
        language=language,
        council="Ajuntament de Vilademo",
        office="Oficina Municipal d'Atenció Ciutadana (OMAC)",
        blocks=[
            Heading("Persona titular"),
            Facts(
                [
                    ("Nom i cognoms", "Núria Puig i Farré"),
                    ("DNI", "12345678Z"),
                    ("Adreça", "Carrer de la Il·lustració, 12, 3r 2a, 08999 Vilademo"),
                    ("Alta al municipi", "12/03/2015"),
                ]
            ),
            Paragraph("Plaça de l'Església, Ça va, Españ a, col·legi — <b>not markup</b> & co."),
            Heading("Persones que hi conviuen"),
            Table(["Nom", "Document", "Naixement", "Alta"], household),
        ],
        issued_at=ISSUED,
        csv=CSV,
        verify_url=URL,
    )


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def page_codes(pdf: bytes, dpi: int, formats: Any) -> list[list[Any]]:
    document = pypdfium2.PdfDocument(pdf)
    pages = (document[i].render(scale=dpi / 72).to_pil() for i in range(len(document)))
    return [zxingcpp.read_barcodes(page, formats=formats) for page in pages]


@pytest.mark.parametrize("language", ["ca", "es", "en"])
def test_every_page_carries_the_header_csv_url_and_page_count(language: str) -> None:
    # GIVEN a household certificate long enough for two pages
    content = certificate_content(language)

    # WHEN it is rendered
    pdf = render_pdf(content)

    # THEN each page has the council's header, the CSV, the verification URL and "page x/2" in the document's language
    texts = pages_text(pdf)
    assert len(texts) == 2
    for number, text in enumerate(texts, start=1):
        assert "Ajuntament de Vilademo" in text
        assert "Oficina Municipal d'Atenció Ciutadana (OMAC)" in text
        assert CSV in text
        assert URL in text
        assert f"{PAGE[language]} {number}/2" in text
    assert TITLES[language] in texts[0]
    issued = {"ca": "14/03/2026 10:05:03 CET", "es": "14/03/2026 10:05:03 CET", "en": "2026-03-14 10:05:03 CET"}
    assert issued[language] in texts[0]
    assert PdfReader(BytesIO(pdf)).pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)  # A4


def test_accents_and_foreign_names_come_out_as_written_with_embedded_fonts() -> None:
    pdf = render_pdf(certificate_content())

    text = "\n".join(pages_text(pdf))
    for written in ("Núria Puig i Farré", "Il·lustració", "Plaça de l'Església", "Ça va", "Españ", "col·legi"):
        assert written in text
    assert "Ștefan Łukasz Núñez 29" in text
    assert "<b>not markup</b> & co." in text  # caller text is never read as markup
    resources: Any = PdfReader(BytesIO(pdf)).pages[0]["/Resources"]
    fonts = [font.get_object() for font in resources["/Font"].values()]
    assert {font["/BaseFont"].split("+")[-1] for font in fonts} == {"DejaVuSans", "DejaVuSans-Bold"}
    for font in fonts:
        descriptor = (
            font["/DescendantFonts"][0]["/FontDescriptor"] if "/DescendantFonts" in font else font["/FontDescriptor"]
        )
        assert "/FontFile2" in descriptor  # an embedded TrueType subset, no standard font left to the viewer


def test_the_qr_code_on_every_page_opens_the_verification_url() -> None:
    pdf = render_pdf(certificate_content())

    codes = page_codes(pdf, dpi=150, formats=zxingcpp.BarcodeFormat.QRCode)

    assert len(codes) == 2
    for found in codes:
        assert [code.text for code in found if code.format == zxingcpp.BarcodeFormat.QRCode] == [URL]


def test_a_payment_letter_barcode_reads_back_as_gs1_128_with_its_digits() -> None:
    content = replace(
        certificate_content(members=0),
        blocks=[Heading("Carta de pagament"), Barcode(LETTER_DIGITS, "Emissora 481166 · Mod. 2 · Import 11,60 €")],
    )

    pdf = render_pdf(content)

    # Code 128 bars of 0.3 mm need a few pixels each to be read back.
    [page] = page_codes(pdf, dpi=400, formats=(zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.QRCode))
    [barcode] = [code for code in page if code.format == zxingcpp.BarcodeFormat.Code128]
    assert barcode.symbology_identifier == "]C1"  # FNC1 first: GS1-128
    assert barcode.text.replace("(", "").replace(")", "") == LETTER_DIGITS
    assert f"(90) {LETTER_DIGITS[2:]}" in pages_text(pdf)[0]
    assert "Import 11,60 €" in pages_text(pdf)[0]


def test_bad_content_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        replace(certificate_content(), issued_at=datetime(2026, 3, 14, 10, 0))
    with pytest.raises(ValueError, match="language"):
        replace(certificate_content(), language="fr")
    with pytest.raises(ValueError, match="digits"):
        Barcode("90521", "odd")  # Code set C packs pairs: an odd count is a caller's mistake
    with pytest.raises(ValueError, match="digits"):
        Barcode("9052A1", "letters")


def test_a_sealed_two_page_certificate_validates_and_stays_small() -> None:
    # GIVEN the council's seal on a (fake) KMS key, with its self-signed development certificate
    kms = FakeKms()
    sealer = Sealer(kms, "alias/seal", signer_name="Segell de l'Ajuntament de Vilademo", organisation="Vilademo")
    pdf = render_pdf(certificate_content())

    # WHEN the certificate is sealed
    sealed = sealer.seal(pdf, reason="Certificat d'empadronament", location="Vilademo")

    # THEN pyHanko finds the seal intact, over the whole file, by our certificate (trusted explicitly)
    check = check_seal(sealed, sealer.certificate())
    assert check.intact
    assert check.trusted
    assert check.whole_file
    assert check.valid
    assert check.certificate == sealer.certificate()
    assert check.signed_at is not None
    assert sealed.startswith(pdf)  # an incremental update: the rendered bytes are kept as they were
    assert len(sealed) <= 150 * 1024
    assert all(size <= 4096 for size in kms.signed)  # every KMS message fits a RAW request


def test_the_development_certificate_carries_the_kms_key_and_is_signed_by_it() -> None:
    kms = FakeKms()

    certificate = x509.load_der_x509_certificate(Sealer(kms, "alias/seal", signer_name="Segell").certificate())

    certificate.verify_directly_issued_by(certificate)  # its own signature, made through KMS, verifies
    spki = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert spki == kms.get_public_key(KeyId="alias/seal")["PublicKey"]
    assert certificate.not_valid_before_utc == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.content_commitment
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # Built again (a cold start): the same subject, serial number and validity.
    again = x509.load_der_x509_certificate(Sealer(kms, "alias/seal", signer_name="Segell").certificate())
    assert (again.subject, again.serial_number, again.not_valid_after_utc) == (
        certificate.subject,
        certificate.serial_number,
        certificate.not_valid_after_utc,
    )


def test_the_certificate_built_once_serves_every_seal() -> None:
    kms = FakeKms()
    sealer = Sealer(kms, "alias/seal")
    pdf = render_pdf(certificate_content(members=2))

    first, second = sealer.seal(pdf, "r", "l"), sealer.seal(pdf, "r", "l")

    assert check_seal(first, sealer.certificate()).certificate == check_seal(second, sealer.certificate()).certificate
    assert len(kms.signed) == 3  # one certificate, two seals


def test_a_given_certificate_is_the_one_embedded() -> None:
    kms = FakeKms()
    given = Sealer(kms, "alias/seal", signer_name="Issued elsewhere").certificate()
    sealer = Sealer(kms, "alias/seal", certificate=x509.load_der_x509_certificate(given))

    sealed = sealer.seal(render_pdf(certificate_content(members=2)), "r", "l")

    assert sealer.certificate() == given
    assert check_seal(sealed, given).valid


def test_changing_one_byte_after_sealing_breaks_the_seal() -> None:
    kms = FakeKms()
    sealer = Sealer(kms, "alias/seal")
    sealed = sealer.seal(render_pdf(certificate_content()), "r", "l")
    # One byte inside the first page's (compressed) content stream: the file still parses, its digest no longer matches.
    position = sealed.index(b"stream", 1000) + 40
    tampered = sealed[:position] + bytes([sealed[position] ^ 0x01]) + sealed[position + 1 :]

    check = check_seal(tampered, sealer.certificate())

    assert not check.intact
    assert not check.valid


def test_bytes_appended_after_the_seal_are_not_covered() -> None:
    sealer = Sealer(FakeKms(), "alias/seal")
    sealed = sealer.seal(render_pdf(certificate_content(members=2)), "r", "l")

    check = check_seal(sealed + b"\n% appended\n", sealer.certificate())

    assert check.intact
    assert not check.whole_file
    assert not check.valid


def test_another_certificate_is_not_trusted() -> None:
    sealer = Sealer(FakeKms(), "alias/seal")
    sealed = sealer.seal(render_pdf(certificate_content(members=2)), "r", "l")
    stranger = Sealer(FakeKms(), "alias/other").certificate()

    check = check_seal(sealed, stranger)

    assert check.intact
    assert not check.trusted


def test_an_unsealed_pdf_has_no_seal_to_check() -> None:
    with pytest.raises(ValueError, match="no signature"):
        check_seal(render_pdf(certificate_content(members=2)), Sealer(FakeKms(), "k").certificate())
