"""A minimal API Gateway (REST, proxy) event, as Lambda hands it to a Chalice app."""

from __future__ import annotations

import uuid
from typing import Any


def rest_event(method: str, path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Accept": "application/json", "Host": "api.example"},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/api{path}",
            "requestId": str(uuid.uuid4()),
            "stage": "api",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


class FakeContext:
    function_name = "videoatencion-dev"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-south-2:123456789012:function:videoatencion-dev"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000
