"""Logging and metrics for the API function.

Powertools Logger (JSON, with the API Gateway request id as correlation id) and Metrics (EMF). The Tracer is
loaded only when asked for: importing it costs ~300 ms of cold start (aws_xray_sdk loads botocore data).
The service name differs from the Chalice app name on purpose: equal names make every line print twice.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

SERVICE = "videoatencion-api"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Videoatencion", service=SERVICE)


@functools.cache
def get_tracer() -> Tracer:
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)
