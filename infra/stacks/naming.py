"""Construct and output ids from resource names."""

from __future__ import annotations

import re


def pascal(name: str) -> str:
    """A construct/output id from a resource name: ``tax-ledger`` → ``TaxLedger``, ``eid/client-secret`` → …"""
    return "".join(part.capitalize() for part in re.split(r"[^0-9A-Za-z]+", name) if part)


# Nodes and browsers learn their public address from it (a public STUN server; operators may name their own).
DEFAULT_STUN_URLS = "stun:stun.l.google.com:19302"
TURN_PORT = 3478
TURN_TLS_PORT = 443


def turn_urls(media_domain: str | None) -> list[str]:
    """The TURN service's URLs (coturn at ``turn.{media_domain}``): what the media stack serves and the API hands to
    browsers as ICE servers (``MEDIA_TURN_URLS``), computed in one place so the two cannot disagree."""
    host = f"turn.{media_domain}" if media_domain is not None else "turn.invalid"
    return [
        f"turn:{host}:{TURN_PORT}?transport=udp",
        f"turn:{host}:{TURN_PORT}?transport=tcp",
        *([f"turns:{host}:{TURN_TLS_PORT}?transport=tcp"] if media_domain is not None else []),
    ]
