"""Procedures and issued documents on DynamoDB, and the documents' PDFs in S3 (SSE-KMS, Object Lock by default)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.dynamo.errors import unavailable, written
from chalicelib.adapters.dynamo.models import DocumentItem, OpenItem, ProcedureItem
from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.domain.files import content_disposition


class DynamoProcedureStore:
    def __init__(
        self, procedures: type[ProcedureItem], documents: type[DocumentItem], s3: Any, bucket: str, kms_key: str
    ) -> None:
        self._procedures = procedures
        self._documents = documents
        self._s3 = s3
        self._bucket = bucket
        self._kms_key = kms_key

    # --- procedures -----------------------------------------------------------------------------------------------
    def put_procedure(self, record: Mapping[str, Any], expected_status: str | None = None) -> bool:
        model = self._procedures
        condition = model.id.does_not_exist() if expected_status is None else model.status == expected_status
        return written(lambda: model(**record).save(condition=condition), "The procedure could not be saved.")

    def get_procedure(self, procedure_id: str) -> dict[str, Any] | None:
        return _get(self._procedures, procedure_id)

    def procedures_of(self, appointment_id: str) -> list[dict[str, Any]]:
        with unavailable("The records could not be read."):
            return [item.as_dict() for item in self._procedures.by_appointment.query(appointment_id)]

    # --- documents ------------------------------------------------------------------------------------------------
    def store_pdf(self, key: str, pdf: bytes, sha256_b64: str, content_type: str = "application/pdf") -> None:
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=pdf,
                ContentType=content_type,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self._kms_key,
                # S3 checks the bytes against our SHA-256 (and Object Lock buckets require a checksum).
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=sha256_b64,
            )
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The document could not be stored; nothing was issued.") from exc

    def read_pdf(self, key: str) -> bytes:
        try:
            body: bytes = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The document could not be read.") from exc
        return body

    def download_url(self, key: str, filename: str, seconds: int = 60) -> str:
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ResponseContentType": "application/pdf",
                "ResponseContentDisposition": content_disposition(filename),
            },
            ExpiresIn=seconds,
        )
        return url

    def put_document(self, record: Mapping[str, Any]) -> None:
        model = self._documents
        with unavailable("The document could not be registered."):
            model(**record).save(condition=model.id.does_not_exist())

    def get_document(self, document_id: str) -> dict[str, Any] | None:
        return _get(self._documents, document_id)

    def document_by_csv(self, csv: str) -> dict[str, Any] | None:
        with unavailable("The records could not be read."):
            found = [item.as_dict() for item in self._documents.by_csv.query(csv)]
        return found[0] if found else None

    def documents_of_owner(self, owner: str) -> list[dict[str, Any]]:
        with unavailable("The records could not be read."):
            return [item.as_dict() for item in self._documents.by_owner.query(owner)]

    def documents_of_appointment(self, appointment_id: str) -> list[dict[str, Any]]:
        with unavailable("The records could not be read."):
            return [item.as_dict() for item in self._documents.by_appointment.query(appointment_id)]


def _get(model: type[OpenItem], key: str) -> dict[str, Any] | None:
    with unavailable("The record could not be read."):
        try:
            return model.get(key, consistent_read=True).as_dict()
        except model.DoesNotExist:
            return None
