"""Procedures and issued documents on DynamoDB, and the documents' PDFs in S3 (SSE-KMS, Object Lock by default)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.dynamo.items import from_item as _plain
from chalicelib.adapters.dynamo.items import to_item as _item
from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.domain.files import content_disposition


class DynamoProcedureStore:
    def __init__(self, dynamodb: Any, s3: Any, procedures: str, documents: str, bucket: str, kms_key: str) -> None:
        self._db = dynamodb
        self._s3 = s3
        self._procedures = procedures
        self._documents = documents
        self._bucket = bucket
        self._kms_key = kms_key

    # --- procedures -----------------------------------------------------------------------------------------------
    def put_procedure(self, record: Mapping[str, Any], expected_status: str | None = None) -> bool:
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(id)"}
        if expected_status is not None:
            condition = {
                "ConditionExpression": "#s = :s",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":s": {"S": expected_status}},
            }
        try:
            self._db.put_item(TableName=self._procedures, Item=_item(record), **condition)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable("The procedure could not be saved.") from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable("The procedure could not be saved.") from exc
        return True

    def get_procedure(self, procedure_id: str) -> dict[str, Any] | None:
        return self._get(self._procedures, procedure_id)

    def procedures_of(self, appointment_id: str) -> list[dict[str, Any]]:
        return self._query(self._procedures, "by_appointment", "appointment_id", appointment_id)

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
        try:
            self._db.put_item(
                TableName=self._documents, Item=_item(record), ConditionExpression="attribute_not_exists(id)"
            )
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The document could not be registered.") from exc

    def get_document(self, document_id: str) -> dict[str, Any] | None:
        return self._get(self._documents, document_id)

    def document_by_csv(self, csv: str) -> dict[str, Any] | None:
        found = self._query(self._documents, "by_csv", "csv", csv)
        return found[0] if found else None

    def documents_of_owner(self, owner: str) -> list[dict[str, Any]]:
        return self._query(self._documents, "by_owner", "owner", owner)

    def documents_of_appointment(self, appointment_id: str) -> list[dict[str, Any]]:
        return self._query(self._documents, "by_appointment", "appointment_id", appointment_id)

    # --- helpers --------------------------------------------------------------------------------------------------
    def _get(self, table: str, key: str) -> dict[str, Any] | None:
        try:
            found = self._db.get_item(TableName=table, Key={"id": {"S": key}}, ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The record could not be read.") from exc
        item = found.get("Item")
        return _plain(item) if item else None

    def _query(self, table: str, index: str, key: str, value: str) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": table,
            "IndexName": index,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": key},
            "ExpressionAttributeValues": {":v": {"S": value}},
        }
        items: list[dict[str, Any]] = []
        try:
            while True:
                answer = self._db.query(**request)
                items.extend(_plain(raw) for raw in answer.get("Items", []))
                if "LastEvaluatedKey" not in answer:
                    return items
                request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("The records could not be read.") from exc
