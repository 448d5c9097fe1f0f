"""Issuing a document: a procedure's draft rendered to PDF (A4, CSV + verification URL + QR on every page) and sealed
with the council's key (PAdES; the signature is made by KMS, so the private key never leaves it)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from chalicelib import texts
from chalicelib.domain.procedures import base

if TYPE_CHECKING:
    from chalicelib.documents import pdf
    from chalicelib.documents.seal import Sealer
    from chalicelib.settings import Settings

# reportlab (~0.3 s) and pyHanko (~0.7 s) are imported on the first issue, never at the API's cold start.


def content_of(
    draft: base.DocumentDraft,
    *,
    language: str,
    council: str,
    office_name: str,
    issued_at: datetime,
    csv: str,
    verify_url: str,
    zone: ZoneInfo,
    kept_until: datetime | None = None,
) -> pdf.DocumentContent:
    """The PDF's content: the draft's title and blocks as they are, its times in the council's ``zone``."""
    from chalicelib.documents import pdf

    return pdf.DocumentContent(
        title=draft.title,
        language=texts.language(language),
        council=council,
        office=office_name,
        blocks=draft.blocks,
        issued_at=issued_at.astimezone(zone),
        csv=csv,
        verify_url=verify_url,
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

    def issue(
        self,
        draft: base.DocumentDraft,
        *,
        language: str,
        council: str,
        office_name: str,
        issued_at: datetime,
        csv: str,
        verify_url: str,
        kept_until: datetime | None = None,
    ) -> bytes:
        content = content_of(
            draft,
            language=language,
            council=council,
            office_name=office_name,
            issued_at=issued_at,
            csv=csv,
            verify_url=verify_url,
            zone=self._zone,
            kept_until=kept_until,
        )
        from chalicelib.documents import pdf

        return self._sealer.seal(pdf.render_pdf(content), reason=draft.title, location=self._location)
