"""Tripwire: the node stays a separate deployable; the supervisor process (several workers) never loads WebRTC."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _loaded(module: str) -> list[str]:
    probe = (
        f"import json, sys, {module}; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('chalicelib', 'aiortc', 'av'))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=10)
    loaded: list[str] = json.loads(result.stdout)
    return loaded


@pytest.mark.integration
def test_entry_point_imports_neither_the_api_nor_aiortc() -> None:
    assert _loaded("videoatencion_media.__main__") == []


@pytest.mark.integration
def test_the_node_never_imports_the_api() -> None:
    loaded = _loaded("videoatencion_media.app")
    assert not any(module.startswith("chalicelib") for module in loaded)
    assert "aiortc" in loaded
