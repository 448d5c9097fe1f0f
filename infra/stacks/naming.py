"""Construct and output ids from resource names."""

from __future__ import annotations

import re


def pascal(name: str) -> str:
    """A construct/output id from a resource name: ``tax-ledger`` → ``TaxLedger``, ``eid/client-secret`` → …"""
    return "".join(part.capitalize() for part in re.split(r"[^0-9A-Za-z]+", name) if part)
