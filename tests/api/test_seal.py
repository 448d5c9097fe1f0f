"""The council's seal against moto: the dev stage's KMS key (as dev/provision.py builds it from infra/resources.py)
signs the certificate and the seal, and the sealed PDF goes to the documents bucket and comes back byte-identical."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chalicelib.adapters import aws as aws_clients
from chalicelib.documents.pdf import DocumentContent, render_pdf
from chalicelib.documents.seal import Sealer, check_seal
from chalicelib.domain.procedures.base import Facts, Heading, Paragraph, Table
from infra.resources import RESOURCES, key_alias, physical_name

STAGE = "dev"
# The seal has its own key when the resources describe one; otherwise it shares the token-signing key.
SEAL_KEY = next((key.name for key in RESOURCES.keys if key.name == "seal"), "signing")


@pytest.fixture
def kms(aws: None) -> Any:
    return aws_clients.client("kms", os.environ["AWS_REGION"])


def residence_certificate() -> DocumentContent:
    return DocumentContent(
        title="Certificat d'empadronament",
        language="ca",
        council="Ajuntament de Vilademo",
        office="Oficina Municipal d'Atenció Ciutadana (OMAC)",
        blocks=[
            Heading("Persona titular"),
            Facts([("Nom i cognoms", "Núria Puig i Farré"), ("Adreça", "Carrer de la Il·lustració, 12, Vilademo")]),
            Paragraph("Consta inscrita al padró municipal d'habitants en aquest domicili."),
            Table(["Període", "Adreça"], [["2015-2026", "Carrer de la Il·lustració, 12"]]),
        ],
        issued_at=datetime(2026, 3, 14, 9, 5, tzinfo=UTC),
        csv="7K3M-9QXT-4HWD-2NBR-8C",
        verify_url="https://seu.vilademo.cat/verificar/7K3M9QXT4HWD2NBR8C",
    )


def test_a_certificate_sealed_by_kms_validates_and_is_stored_byte_identical(kms: Any) -> None:
    # GIVEN the seal on the stage's KMS key
    sealer = Sealer(kms, key_alias(STAGE, SEAL_KEY), signer_name="Segell de l'Ajuntament de Vilademo")

    # WHEN a certificate is sealed and stored in the documents bucket (encrypted with the data key)
    sealed = sealer.seal(render_pdf(residence_certificate()), reason="Certificat d'empadronament", location="Vilademo")
    s3 = aws_clients.client("s3", os.environ["AWS_REGION"])
    bucket = physical_name(STAGE, "documents")
    s3.put_object(Bucket=bucket, Key="documents/test.pdf", Body=sealed, ContentType="application/pdf")
    stored = s3.get_object(Bucket=bucket, Key="documents/test.pdf")

    # THEN the stored bytes are the sealed ones and pyHanko judges the seal valid, made with our certificate
    body = stored["Body"].read()
    assert hashlib.sha256(body).digest() == hashlib.sha256(sealed).digest()
    assert stored["ServerSideEncryption"] == "aws:kms"
    check = check_seal(body, sealer.certificate())
    assert check.valid
    assert check.certificate == sealer.certificate()


def test_the_certificate_is_the_kms_keys_and_kms_verifies_its_signature(kms: Any) -> None:
    alias = key_alias(STAGE, SEAL_KEY)

    certificate = x509.load_der_x509_certificate(Sealer(kms, alias, signer_name="Segell").certificate())

    kms_public = kms.get_public_key(KeyId=alias)["PublicKey"]
    assert certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo) == kms_public
    certificate.verify_directly_issued_by(certificate)
    verdict = kms.verify(
        KeyId=alias,
        Message=certificate.tbs_certificate_bytes,
        MessageType="RAW",
        Signature=certificate.signature,
        SigningAlgorithm="ECDSA_SHA_256",
    )
    assert verdict["SignatureValid"]


def test_a_byte_changed_in_the_stored_pdf_breaks_the_seal(kms: Any) -> None:
    sealer = Sealer(kms, key_alias(STAGE, SEAL_KEY))
    sealed = sealer.seal(render_pdf(residence_certificate()), reason="r", location="l")
    position = sealed.index(b"Certificat d'empadronament")  # the document's title in its metadata
    tampered = sealed[:position] + b"K" + sealed[position + 1 :]

    assert not check_seal(tampered, sealer.certificate()).valid
