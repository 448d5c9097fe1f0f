"""Document use cases: issuing a procedure's sealed documents, the supporting documents an agent attaches, and
showing, downloading and publicly verifying them.

Every issued document is stored (SSE-KMS, Object Lock) with its CSV and SHA-256 and enters the audit trail by that
hash; a document with personal data opens only for its holder identified well enough.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.auth.policy import Action, Decision, Resource, ResourceKind, decide, require
from chalicelib.auth.principal import Principal
from chalicelib.documents.uploads import clean_upload
from chalicelib.domain.appointments import Appointment
from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext
from chalicelib.domain.catalogue import Assurance, OfficeId
from chalicelib.domain.csv_code import new_csv, normalise_csv, valid_csv
from chalicelib.domain.document_view import AttachmentAdded, DocumentDownload, DocumentView
from chalicelib.domain.errors import FieldError, Forbidden, NotFound, RateLimited, ValidationFailed
from chalicelib.domain.files import safe_filename
from chalicelib.domain.procedures import REGISTRY
from chalicelib.domain.procedures.base import Context, Issuance, Procedure
from chalicelib.services.booking import BookingService, looks_like_id
from chalicelib.services.commands import AddAttachment, Parsed
from chalicelib.services.ports import AuditLog, AuthStore, DocumentIssuer, ProcedureStore
from chalicelib.services.records import RecordsService

VERIFY_WINDOW_SECONDS = 15 * 60
VERIFY_PER_IP = 30
ATTACHMENT_MAX_BYTES = 4 * 1024 * 1024
ATTACHMENT_MAX_BASE64 = (ATTACHMENT_MAX_BYTES + 2) // 3 * 4
# Accepted supporting documents, by the first bytes their content must start with.
ATTACHMENT_TYPES = {"application/pdf": b"%PDF", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}


@dataclass(frozen=True)
class DocumentSettings:
    public_base_url: str
    available_days: int = 365


class DocumentService:
    def __init__(
        self,
        booking: BookingService,
        store: ProcedureStore,
        issuer: DocumentIssuer,
        audit: AuditLog,
        limits: AuthStore,
        pepper: Callable[[], bytes],
        settings: DocumentSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        records: RecordsService | None = None,
    ) -> None:
        self._booking = booking
        self._store = store
        self._issuer = issuer
        self._audit = audit
        self._limits = limits
        self._pepper = pepper
        self._settings = settings
        self._clock = clock
        self._records = records

    # --- issuing a procedure's documents ---------------------------------------------------------------------------
    def issue(
        self,
        procedure: Procedure,
        clean: dict[str, Any],
        ctx: Context,
        record: dict[str, Any],
        caller: Principal,
        context: RequestContext,
    ) -> list[DocumentView]:
        issued = []
        for draft in procedure.documents(clean, ctx):
            now = self._clock()
            csv = new_csv()
            verify_url = f"{self._settings.public_base_url.rstrip('/')}/verify/{csv}"
            issuance = Issuance(
                language=ctx.language,
                council=ctx.council,
                office_name=ctx.office_name,
                issued_at=now,
                csv=csv,
                verify_url=verify_url,
                kept_until=self._records.document_until(now, procedure.type) if self._records is not None else None,
            )
            pdf = self._issuer.issue(draft, issuance)
            digest = hashlib.sha256(pdf).digest()
            document_id = str(uuid.uuid4())
            key = f"documents/{record['appointment_id']}/{document_id}.pdf"
            self._store.store_pdf(key, pdf, base64.b64encode(digest).decode())
            document = {
                "id": document_id,
                "csv": csv,
                "kind": draft.kind,
                "title": draft.title,
                "appointment_id": record["appointment_id"],
                "procedure_id": record["id"],
                "owner": record["owner"],
                "owner_contact": record.get("owner_contact"),
                "office": record["office"],
                "holder": self._holder_digest(draft.holder_id_number) if draft.holder_id_number else None,
                "key": key,
                "sha256": digest.hex(),
                "size": len(pdf),
                "issued_at": now.isoformat(),
                "available_until": (now + timedelta(days=self._settings.available_days)).isoformat(),
                # What proved the holder's identity when it was issued: an eID level or the agent's check.
                **({"identity": record["identity"]} if record.get("identity") else {}),
            }
            if self._records is not None:
                # Before the document exists for anyone: a failure here issues nothing, and leaves no PDF unregistered.
                self._records.register_document(document, procedure.type)
            self._store.put_document(document)
            audited(
                self._audit,
                caller,
                "document.issue",
                f"document:{document_id}",
                context,
                procedure.purpose,
                {
                    "appointment": record["appointment_id"],
                    "kind": draft.kind,
                    "sha256": document["sha256"],
                    "csv_digest": hashlib.sha256(csv.encode()).hexdigest()[:16],
                },
                str(record["owner"]),
            )
            issued.append(DocumentView.of(document))
        return issued

    # --- supporting documents the citizen shows (a representative's signed authorisation, an ID copy) --------------
    def attach(
        self, caller: Principal, appointment_id: str, request: Parsed[AddAttachment], context: RequestContext
    ) -> AttachmentAdded:
        appointment = self._booking.get(caller, appointment_id, Action.RUN_PROCEDURE)
        command = request.command()
        content_type = command.content_type
        # Kept as a clean copy: images re-encoded from their pixels, PDFs refused if they run or carry anything.
        data = clean_upload(command.data, content_type)
        name = safe_filename(command.filename, content_type)
        digest = hashlib.sha256(data).digest()
        now = self._clock()
        attachment_id = str(uuid.uuid4())
        key = f"attachments/{appointment.id}/{attachment_id}"
        self._store.store_pdf(key, data, base64.b64encode(digest).decode(), str(content_type))
        record = {
            "id": attachment_id,
            "kind": "attachment",
            "title": name,
            "content_type": content_type,
            "appointment_id": appointment.id,
            "owner": appointment.citizen,
            "owner_contact": appointment.citizen_contact,
            "office": appointment.office,
            "key": key,
            "sha256": digest.hex(),
            "size": len(data),
            "issued_at": now.isoformat(),
            "added_by": f"{caller.kind}:{caller.subject}",
        }
        if self._records is not None:
            procedure = self._booking.catalogue.procedure_of(appointment.service_id)
            self._records.register_document(record, procedure.type if procedure else None)
        self._store.put_document(record)
        audited(
            self._audit,
            caller,
            "attachment.add",
            f"attachment:{attachment_id}",
            context,
            "supporting document",
            {"appointment": appointment.id, "sha256": digest.hex()},
            appointment.citizen,
        )
        return AttachmentAdded(attachment_id, name, digest.hex(), len(data))

    # --- reading ---------------------------------------------------------------------------------------------------
    def documents(self, caller: Principal, appointment_id: str | None) -> list[DocumentView]:
        if appointment_id:
            appointment = self._booking.get(caller, appointment_id)
            opens = self.opener(caller, appointment)
            found = [d for d in self._store.documents_of_appointment(appointment.id) if d.get("kind") != "attachment"]
            found = [d for d in found if opens(d)]
        else:
            if not caller.is_citizen:
                raise ValidationFailed([FieldError("appointment", "one_appointment")])
            found = [
                d
                for d in self._store.documents_of_owner(caller.subject)
                if d.get("kind") != "attachment"
                and _decide_view(caller, resource_of_record(ResourceKind.DOCUMENT, d))
                and self.may_open(caller, d)
            ]
        found.sort(key=lambda d: str(d.get("issued_at")), reverse=True)
        return [DocumentView.of(d) for d in found]

    def document(self, caller: Principal, document_id: str, context: RequestContext) -> DocumentDownload:
        record = self._store.get_document(document_id) if looks_like_id(document_id) else None
        if record is None or record.get("kind") == "attachment":
            raise NotFound("There is no such document.")
        require(caller, Action.VIEW, resource_of_record(ResourceKind.DOCUMENT, record))
        if not self.may_open(caller, record):
            raise Forbidden(
                "This document holds your personal data and your identity was not checked in the call. To download "
                "it, sign in with your digital identity (idCAT Mòbil, Cl@ve or a digital certificate), or ask the "
                "office for it in person.",
                code="identity_not_checked",
            )
        audited(
            self._audit,
            caller,
            "document.download",
            f"document:{record['id']}",
            context,
            "document access",
            {"appointment": str(record.get("appointment_id"))},
            str(record["owner"]),
        )
        return DocumentDownload(DocumentView.of(record), self._url(record))

    def verify(self, csv: str, id_number: str | None, context: RequestContext) -> DocumentDownload:
        """Public: anyone holding a CSV may check the document (padrón documents also need the holder's ID number)."""
        now = int(self._clock().timestamp())
        window = now - now % VERIFY_WINDOW_SECONDS
        # Its own bucket: checking documents must never spend the allowance for signing in from the same address.
        if not self._limits.hit(
            "document-check-ip", context.source_ip or "unknown", window, VERIFY_WINDOW_SECONDS, VERIFY_PER_IP
        ):
            raise RateLimited(window + VERIFY_WINDOW_SECONDS - now)
        code = normalise_csv(csv)
        record = self._store.document_by_csv(code) if valid_csv(code) else None
        found = record is not None and str(record.get("available_until", "")) >= self._clock().isoformat()
        # A document with personal data (a residence certificate) is shown only with its holder's ID number too: when
        # it is missing, the answer says so at that field (the code itself is the secret, so this reveals nothing).
        needs_id = False
        if found and record is not None and record.get("holder"):
            given = (id_number or "").strip().upper()
            needs_id = not given
            found = bool(given) and hmac.compare_digest(self._holder_digest(given), str(record["holder"]))
        self._audit.record(
            AuditEvent(
                actor=Actor(f"public:{context.source_ip or 'unknown'}", "public"),
                action="document.verify",
                subject=f"document:{record['id']}" if found and record else "document:unknown",
                outcome=Outcome.SUCCESS if found else Outcome.FAILURE,
                context=context,
                purpose="document verification",
                data_subject=str(record["owner"]) if found and record and record.get("owner") else None,
            )
        )
        if needs_id:
            raise ValidationFailed([FieldError("id_number", "holder_id_needed")])
        if not found or record is None:
            raise NotFound("No document has this code (or the ID number does not match).")
        return DocumentDownload(DocumentView.of(record), self._url(record))

    def may_open(self, caller: Principal, document: dict[str, Any]) -> bool:
        """A citizen signed in below the substantial level (a one-time code proves only an address) opens a document
        with personal data only when the agent checked their identity in its appointment's call."""
        if not caller.is_citizen or caller.assurance.satisfies(Assurance.SUBSTANTIAL):
            return True
        if not _personal(document):
            return True
        appointment = self._booking.lookup(str(document.get("appointment_id")))
        return appointment is not None and appointment.identity_check is not None

    def opener(self, caller: Principal, appointment: Appointment | None) -> Callable[[dict[str, Any]], bool]:
        """``may_open`` for the documents of one appointment, read once."""
        if not caller.is_citizen or caller.assurance.satisfies(Assurance.SUBSTANTIAL):
            return lambda _document: True
        checked = appointment is not None and appointment.identity_check is not None
        return lambda document: checked or not _personal(document)

    def _holder_digest(self, id_number: str) -> str:
        return hmac.new(self._pepper(), f"holder:{id_number.upper()}".encode(), hashlib.sha256).hexdigest()[:32]

    def _url(self, record: dict[str, Any]) -> str:
        return self._store.download_url(str(record["key"]), document_file_name(record))


def audited(
    audit: AuditLog,
    caller: Principal,
    action: str,
    subject: str,
    context: RequestContext,
    purpose: str,
    details: dict[str, str],
    data_subject: str,
) -> None:
    """One audit event of a successful action by the caller on a citizen's data."""
    audit.record(
        AuditEvent(
            actor=caller.actor,
            action=action,
            subject=subject,
            outcome=Outcome.SUCCESS,
            context=context,
            purpose=purpose,
            details={**details, **({"office": caller.office} if caller.office else {})},
            data_subject=data_subject,
        )
    )


def resource_of_record(kind: ResourceKind, record: dict[str, Any]) -> Resource:
    return Resource(
        kind,
        str(record["id"]),
        owner=str(record.get("owner")),
        owner_contact=record.get("owner_contact"),
        office=OfficeId(str(record["office"])),
    )


def _personal(document: dict[str, Any]) -> bool:
    """Whether a document holds personal data: by its procedure's flag (every issued kind so far)."""
    procedure = REGISTRY.get(str(document.get("kind")))
    return procedure is None or procedure.personal_data


def _decide_view(caller: Principal, resource: Resource) -> bool:
    return decide(caller, Action.VIEW, resource) is Decision.ALLOW


def document_file_name(record: dict[str, Any]) -> str:
    """The name a document is saved under: its title in the citizen's language (the one it was issued in), in plain
    letters for every file system, then its CSV ("certificat-d-empadronament-7K3QD-….pdf")."""
    title = str(record.get("title") or "") if record.get("kind") != "attachment" else ""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60].rstrip("-") or str(record.get("kind") or "document")
    return f"{slug}-{record['csv']}.pdf"
