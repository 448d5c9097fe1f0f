"""The council's electronic seal on issued PDFs: PAdES baseline B-B (pyHanko), the signature value made by KMS.

The private key never leaves KMS (an ECC_NIST_P256 SIGN_VERIFY key): pyHanko builds the CMS signed attributes and
this module's signer has KMS sign them. The seal's X.509 certificate is either given (in production, a qualified seal
certificate for that key issued by a trust service provider) or, for development and tests, a self-signed one whose
public key is the KMS key's and whose own signature is made by KMS as well, built once per key and cached.

KMS is asked with MessageType RAW (KMS hashes the bytes with SHA-256): CMS signed attributes and certificate bodies are
a few hundred bytes, well under KMS's 4 KiB limit for RAW messages, and moto hashes DIGEST messages a second time (so
a DIGEST signature made there would not verify); RAW gives the same signature with the same code on both.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

from asn1crypto import algos, keys  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

KMS_RAW_LIMIT = 4096
ECDSA_P256_MAX_SIGNATURE = 72  # DER SEQUENCE of two INTEGERs of up to 33 bytes each
CERTIFICATE_YEARS = 10
SIGNATURE_ROOM = 2048  # CMS bytes besides the certificates: signed attributes, algorithms, signature


class KmsSealSigner(signers.Signer):
    """pyHanko's signer with the signature value computed by KMS (ECDSA P-256 with SHA-256)."""

    def __init__(self, kms_client: Any, key_id: str, certificate: asn1_x509.Certificate) -> None:
        # pyHanko always embeds the signer's certificate; a real deployment's issuing chain would join the registry.
        super().__init__(
            signing_cert=certificate,
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
        )
        self._kms = kms_client
        self._key_id = key_id
        self.certificate = certificate

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if digest_algorithm != "sha256":
            raise ValueError(f"the seal key signs with SHA-256 only, not {digest_algorithm}")
        if dry_run:  # pyHanko sizes the signature's placeholder with this
            return bytes(ECDSA_P256_MAX_SIGNATURE)
        return kms_sign(self._kms, self._key_id, data)


def kms_sign(kms_client: Any, key_id: str, message: bytes) -> bytes:
    """A DER ECDSA signature over SHA-256(message), made by KMS."""
    if len(message) > KMS_RAW_LIMIT:
        raise ValueError(f"{len(message)} bytes is over KMS's limit for a RAW message")
    response = kms_client.sign(KeyId=key_id, Message=message, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256")
    return bytes(response["Signature"])


def self_signed_certificate(kms_client: Any, key_id: str, signer_name: str, organisation: str) -> bytes:
    """A self-signed seal certificate (DER) for the KMS key, its signature made by the same key.

    Deterministic apart from the ECDSA signature: the serial number comes from the public key and the validity starts
    when the key was created, so the certificate describes the same seal however often a cold start builds it.
    """
    public_key = keys.PublicKeyInfo.load(bytes(kms_client.get_public_key(KeyId=key_id)["PublicKey"]))
    created = kms_client.describe_key(KeyId=key_id)["KeyMetadata"]["CreationDate"]
    not_before = created.astimezone(UTC).replace(microsecond=0)
    not_after = not_before + timedelta(days=365 * CERTIFICATE_YEARS)
    name = asn1_x509.Name.build(
        {"country_name": "ES", "organization_name": organisation, "common_name": signer_name}, use_printable=False
    )
    key_identifier = hashlib.sha1(public_key["public_key"].native, usedforsecurity=False).digest()
    serial = int.from_bytes(hashlib.sha256(public_key.dump()).digest()[:16], "big") >> 1  # positive, ≤ 20 octets
    tbs = asn1_x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": {"algorithm": "sha256_ecdsa"},
            "issuer": name,
            "validity": {
                "not_before": asn1_x509.Time({"utc_time": not_before}),
                "not_after": asn1_x509.Time({"utc_time": not_after}),
            },
            "subject": name,
            "subject_public_key_info": public_key,
            "extensions": [
                {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": False}},
                {
                    "extn_id": "key_usage",
                    "critical": True,
                    "extn_value": {"digital_signature", "non_repudiation"},
                },
                {"extn_id": "key_identifier", "critical": False, "extn_value": key_identifier},
                {
                    "extn_id": "authority_key_identifier",
                    "critical": False,
                    "extn_value": {"key_identifier": key_identifier},
                },
            ],
        }
    )
    certificate = asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature_value": kms_sign(kms_client, key_id, tbs.dump()),
        }
    )
    return bytes(certificate.dump())


class Sealer:
    """Seals PDFs with the council's KMS key: ``seal(pdf, reason, location)`` → the sealed PDF (incremental update)."""

    def __init__(
        self,
        kms_client: Any,
        key_id: str,
        certificate: x509.Certificate | bytes | None = None,
        signer_name: str = "Segell electrònic",
        organisation: str = "",
    ) -> None:
        self._kms = kms_client
        self._key_id = key_id
        self._signer_name = signer_name
        self._organisation = organisation or signer_name
        self._lock = threading.Lock()
        self._der: bytes | None = (
            certificate.public_bytes(Encoding.DER) if isinstance(certificate, x509.Certificate) else certificate
        )
        self._signer: KmsSealSigner | None = None

    def certificate(self) -> bytes:
        """The seal's certificate (DER): the one given, or the self-signed one for the key (built once)."""
        return bytes(self._kms_signer().certificate.dump())

    def _kms_signer(self) -> KmsSealSigner:
        with self._lock:
            if self._signer is None:
                if self._der is None:
                    self._der = self_signed_certificate(self._kms, self._key_id, self._signer_name, self._organisation)
                self._signer = KmsSealSigner(self._kms, self._key_id, asn1_x509.Certificate.load(self._der))
            return self._signer

    def seal(self, pdf: bytes, reason: str, location: str) -> bytes:
        signer = self._kms_signer()
        metadata = signers.PdfSignatureMetadata(
            field_name="CouncilSeal",
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
            name=self._signer_name,
        )
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        # Reserving the signature's room ourselves spares pyHanko a dry run of the whole CMS just to size it (a third
        # of the seal's time): the signed attributes and the signature are bounded; the certificates are known.
        # pyHanko counts the hex digits of /Contents: two per byte.
        reserved = 2 * (SIGNATURE_ROOM + len(signer.certificate.dump()))
        output = signers.PdfSigner(metadata, signer=signer).sign_pdf(writer, bytes_reserved=reserved)
        return bytes(output.getvalue())


@dataclass(frozen=True)
class SealCheck:
    """What a validator says of a sealed PDF's (last) seal."""

    intact: bool  # the signed bytes hash to the signed digest and the signature verifies with the certificate's key
    trusted: bool  # the certificate chains to the trust anchor given
    whole_file: bool  # the signature covers every byte of the file (nothing was appended after it)
    certificate: bytes  # the signer's certificate, DER
    signed_at: datetime | None

    @property
    def valid(self) -> bool:
        return self.intact and self.trusted and self.whole_file


def check_seal(pdf: bytes, trusted_certificate: bytes) -> SealCheck:
    """Validates the PDF's seal with pyHanko against one explicitly trusted certificate (no network fetching).

    Raises ``ValueError`` when the file holds no signature or cannot be read as a signed PDF.
    """
    try:
        signatures = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
        if not signatures:
            raise ValueError("the PDF carries no signature")
        signature = signatures[-1]
        context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(trusted_certificate)], allow_fetching=False)
        status = validate_pdf_signature(signature, context)
    except PdfReadError as error:
        raise ValueError(f"not a readable signed PDF: {error}") from error
    return SealCheck(
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        certificate=bytes(status.signing_cert.dump()),
        signed_at=status.signer_reported_dt,
    )
