"""openapi.yaml as the tests read it: the parsed document, each operation's parameters with their ``$ref`` to
``components/parameters`` followed (the tests look at a parameter's name, place and schema)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

SPEC_PATH = Path(__file__).resolve().parents[1] / "openapi.yaml"


@functools.cache
def spec() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    shared = document.get("components", {}).get("parameters", {})
    for item in document["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "parameters" in op:
                op["parameters"] = [
                    shared[p["$ref"].rsplit("/", 1)[-1]] if "$ref" in p else p for p in op["parameters"]
                ]
    return document
