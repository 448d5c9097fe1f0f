"""The Chalice application class, with the current request kept per thread.

Chalice keeps the request being served in one attribute of the app. Lambda serves one request at a time per
process, so that is safe there; Chalice's local server serves requests in threads, and two concurrent requests
would read each other's headers and bodies (a race test found a booking made with another request's token).
Keeping the attribute per thread makes the local server behave like many Lambda processes.
"""

from __future__ import annotations

import threading
from typing import Any

from chalice.app import Chalice, Request


class ThreadSafeChalice(Chalice):
    _per_thread = threading.local()

    @property
    def current_request(self) -> Request | None:
        return getattr(self._per_thread, "request", None)

    @current_request.setter
    def current_request(self, value: Request | None) -> None:
        self._per_thread.request = value

    @property
    def lambda_context(self) -> Any:
        return getattr(self._per_thread, "context", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._per_thread.context = value
