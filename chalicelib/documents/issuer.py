"""Issuing a document: a procedure's draft rendered to PDF (A4, CSV + verification URL + QR on every page) and sealed
with the council's key (PAdES; the signature is made by KMS, so the private key never leaves it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from chalicelib import texts
from chalicelib.domain.procedures import base

if TYPE_CHECKING:
    from chalicelib.documents import pdf
    from chalicelib.documents.seal import Sealer
    from chalicelib.settings import Settings

# reportlab (~0.3 s) and pyHanko (~0.7 s) are imported on the first issue, never at the API's cold start.


def content_of(draft: base.DocumentDraft, issuance: base.Issuance, zone: ZoneInfo) -> pdf.DocumentContent:
    """The PDF's content: the draft's title and blocks as they are, its times in the council's ``zone``."""
    from chalicelib.documents import pdf

    kept_until = issuance.kept_until
    return pdf.DocumentContent(
        title=draft.title,
        language=texts.language(issuance.language),
        council=issuance.council,
        office=issuance.office_name,
        blocks=draft.blocks,
        issued_at=issuance.issued_at.astimezone(zone),
        csv=issuance.csv,
        verify_url=issuance.verify_url,
        subject=draft.kind,
        kept_until=None if kept_until is None else kept_until.astimezone(zone),
    )


class SealedPdfIssuer:
    def __init__(self, sealer: Sealer, location: str, zone: ZoneInfo) -> None:
        self._sealer = sealer
        self._location = location
        self._zone = zone

    @classmethod
    def from_settings(cls, kms: Any, settings: Settings, council: str) -> SealedPdfIssuer:
        from chalicelib.documents.seal import Sealer

        key = settings.seal_key or settings.signing_key
        return cls(Sealer(kms, key, signer_name=council, organisation=council), council, ZoneInfo(settings.timezone))

    def issue(self, draft: base.DocumentDraft, issuance: base.Issuance) -> bytes:
        content = content_of(draft, issuance, self._zone)
        from chalicelib.documents import pdf

        return self._sealer.seal(pdf.render_pdf(content), reason=draft.title, location=self._location)
