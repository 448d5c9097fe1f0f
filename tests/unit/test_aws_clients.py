"""Presigned download links must work for buckets in an opt-in region such as eu-south-2."""

from __future__ import annotations

import pytest

from chalicelib.adapters import aws


def test_on_aws_s3_presigns_on_the_buckets_regional_host(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")

    url = aws.client("s3", "eu-south-2").generate_presigned_url(
        "get_object", Params={"Bucket": "videoatencion-prod-documents", "Key": "d.pdf"}, ExpiresIn=60
    )

    assert url.startswith("https://videoatencion-prod-documents.s3.eu-south-2.amazonaws.com/d.pdf?")


def test_locally_s3_stays_on_the_given_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    url = aws.client("s3", "eu-south-2", "http://127.0.0.1:5000").generate_presigned_url(
        "get_object", Params={"Bucket": "b", "Key": "k"}, ExpiresIn=60
    )

    assert url.startswith("http://127.0.0.1:5000/b/k?")
