"""Secrets from SSM Parameter Store (SecureString), read once per warm function."""

from __future__ import annotations

import threading
from typing import Any


class SsmSecrets:
    def __init__(self, client: Any) -> None:
        self._client = client
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> str:
        with self._lock:
            if name not in self._cache:
                response = self._client.get_parameter(Name=name, WithDecryption=True)
                self._cache[name] = str(response["Parameter"]["Value"])
            return self._cache[name]
