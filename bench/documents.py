"""Document issue: a sealed residence certificate (render + seal + store) against the same PDF rendered unsealed.

On moto in-process (``mock_aws``) with the dev stage provisioned: the seal's signature is made by the stage's KMS key
(moto's, in-process) and the sealed PDF is put to the documents bucket (SSE-KMS, Object Lock). The BASELINE is the
same two-page household certificate rendered without seal or store. After one warm-up (fonts loaded, the seal's
certificate built: both happen once per Lambda container), samples alternate so machine noise hits both alike.
Targets (issue 6): median sealed ≤ twice median unsealed, and the sealed PDF ≤ 150 KB.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import time
from datetime import UTC, datetime
from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader

from bench.availability import bench_environment, percentile
from chalicelib.documents.pdf import DocumentContent, render_pdf
from chalicelib.documents.seal import Sealer, check_seal
from chalicelib.domain.procedures.base import Facts, Heading, Paragraph, Table
from dev.provision import provision
from dev.run import REGION
from infra.resources import RESOURCES, key_alias, physical_name

RUNS = int(os.environ.get("BENCH_DOCUMENTS_RUNS", "30"))
STAGE = "dev"
SEAL_KEY = next((key.name for key in RESOURCES.keys if key.name == "seal"), "signing")
MEMBERS = 24  # co-residents listed: enough for the certificate to run onto a second page
TARGET_RATIO = 2.0
TARGET_BYTES = 150 * 1024


def certificate(csv: str) -> DocumentContent:
    household = [
        [f"Persona {n} Puig i Ferrer", f"{10000000 + n}X", "01/01/1980", "12/03/2015", "Autoritza"]
        for n in range(MEMBERS)
    ]
    return DocumentContent(
        title="Certificat d'empadronament i convivència",
        language="ca",
        council="Ajuntament de Vilademo",
        office="Oficina Municipal d'Atenció Ciutadana (OMAC)",
        blocks=[
            Paragraph(
                "La secretària de l'Ajuntament de Vilademo certifica que, segons les dades que consten al padró "
                "municipal d'habitants, la persona titular figura inscrita en el domicili següent."
            ),
            Heading("Persona titular"),
            Facts(
                [
                    ("Nom i cognoms", "Núria Puig i Farré"),
                    ("Document", "12345678Z"),
                    ("Data i lloc de naixement", "04/07/1985, Lleida"),
                    ("Nacionalitat", "Espanyola"),
                    ("Domicili", "Carrer de la Il·lustració, 12, 3r 2a, 08999 Vilademo"),
                    ("Alta en aquest domicili", "12/03/2015"),
                    ("Alta al municipi", "01/02/2010"),
                ]
            ),
            Heading("Persones que hi conviuen"),
            Table(["Nom i cognoms", "Document", "Naixement", "Alta", "Dades"], household),
            Paragraph("I perquè consti, a petició de la persona interessada, expedeixo aquest certificat."),
        ],
        issued_at=datetime.now(UTC),
        csv=csv,
        verify_url=f"https://seu.vilademo.cat/verificar/{csv.replace('-', '')}",
    )


def main() -> int:
    from moto import mock_aws

    from chalicelib.adapters import aws

    with bench_environment(), mock_aws():
        provision(STAGE, REGION)
        kms, s3 = aws.client("kms", REGION), aws.client("s3", REGION)
        bucket = physical_name(STAGE, "documents")
        sealer = Sealer(kms, key_alias(STAGE, SEAL_KEY), signer_name="Segell electrònic de l'Ajuntament de Vilademo")

        def issue(n: int) -> tuple[bytes, float, float]:
            csv = f"7K3M-9QXT-4HWD-{n:04d}-8C"
            started = time.perf_counter()
            rendered = render_pdf(certificate(csv))
            rendered_at = time.perf_counter()
            sealed = sealer.seal(rendered, reason="Certificat d'empadronament", location="Vilademo")
            sealed_at = time.perf_counter()
            s3.put_object(
                Bucket=bucket,
                Key=f"documents/{csv}.pdf",
                Body=sealed,
                ContentType="application/pdf",
                ChecksumAlgorithm="SHA256",
                Metadata={"csv": csv, "sha256": hashlib.sha256(sealed).hexdigest()},
            )
            return sealed, rendered_at - started, sealed_at - rendered_at

        warm_started = time.perf_counter()
        sealed, _, _ = issue(0)  # fonts registered, the seal's certificate built by KMS
        warm = time.perf_counter() - warm_started
        unsealed_pdf = render_pdf(certificate("7K3M-9QXT-4HWD-0000-8C"))
        check = check_seal(sealed, sealer.certificate())
        if not check.valid:
            raise RuntimeError("the sealed PDF does not validate")

        unsealed: list[float] = []
        issued: list[float] = []
        render_part: list[float] = []
        seal_part: list[float] = []
        for n in range(1, RUNS + 1):
            started = time.perf_counter()
            render_pdf(certificate(f"7K3M-9QXT-4HWD-{n:04d}-8C"))
            unsealed.append(time.perf_counter() - started)
            started = time.perf_counter()
            sealed, rendering, sealing = issue(n)
            issued.append(time.perf_counter() - started)
            render_part.append(rendering)
            seal_part.append(sealing)
        store_part = [total - r - s for total, r, s in zip(issued, render_part, seal_part, strict=True)]

    pages = int(PdfFileReader(BytesIO(sealed)).root["/Pages"]["/Count"])
    print("Document issue: two-page household certificate (ca), moto in-process (KMS signs, S3 stores):")
    print(f"  first issue (fonts, seal certificate built by KMS): {warm * 1000:.0f} ms")
    print(f"  {RUNS} samples each, alternating:                {'median':>9} {'p95':>9}")
    rows = (
        ("sealed: render + seal + put to S3", issued),
        ("  of which render", render_part),
        ("  of which seal (pyHanko + KMS sign)", seal_part),
        ("  of which put to S3 (SSE-KMS)", store_part),
        ("baseline: the same PDF rendered unsealed", unsealed),
    )
    for label, samples in rows:
        print(f"  {label:44} {statistics.median(samples) * 1000:6.1f} ms {percentile(samples, 0.95) * 1000:6.1f} ms")
    ratio = statistics.median(issued) / statistics.median(unsealed)
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(f"  ratio sealed / unsealed: {ratio:.2f} (medians); target ≤ {TARGET_RATIO:g}: {verdict}")
    verdict = "met" if len(sealed) <= TARGET_BYTES else "MISSED"
    print(
        f"  size: sealed {len(sealed) / 1024:.1f} KB ({pages} pages), unsealed {len(unsealed_pdf) / 1024:.1f} KB;"
        f" target ≤ {TARGET_BYTES // 1024} KB: {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
