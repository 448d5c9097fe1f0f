"""Tripwire: the node stays a separate deployable and starts without loading the WebRTC stack it does not use yet."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.integration
def test_node_imports_neither_the_api_nor_aiortc() -> None:
    probe = (
        "import json, sys, videoatencion_media.__main__; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('chalicelib', 'aiortc', 'av'))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=5)

    assert json.loads(result.stdout) == []
