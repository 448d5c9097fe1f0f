"""One cold start of OUR API function: import the app, serve the first GET /services. Prints seconds, status."""

import time

started = time.perf_counter()

from app import app  # noqa: E402
from bench.lambda_event import FakeContext, rest_event  # noqa: E402

response = app(rest_event("GET", "/services"), FakeContext())
print(f"{time.perf_counter() - started:.6f} {response['statusCode']}")
