"""One-time codes: six digits from the OS's CSPRNG, stored only as a keyed hash bound to their challenge."""

from __future__ import annotations

import hashlib
import hmac
import secrets

CODE_DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def new_id() -> str:
    return secrets.token_urlsafe(18)


def code_digest(pepper: bytes, challenge_id: str, code: str) -> str:
    """HMAC-SHA256 of the code under a secret key, bound to its challenge (a code is useless with another one)."""
    return hmac.new(pepper, f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


def matches(pepper: bytes, challenge_id: str, code: str, digest: str) -> bool:
    return hmac.compare_digest(code_digest(pepper, challenge_id, code), digest)


def contact_digest(pepper: bytes, destination: str) -> str:
    """A stable keyed hash of a verified email/phone: ownership checks compare it without storing the address."""
    return hmac.new(pepper, f"contact:{destination}".encode(), hashlib.sha256).hexdigest()[:32]


def new_link_token(nbytes: int = 32) -> str:
    """The secret of a link (an invitation, a password reset: 256 bits; a one-tap link or a waitlist offer an SMS
    carries: 128 bits, 22 characters), URL-safe."""
    return secrets.token_urlsafe(nbytes)


def link_digest(pepper: bytes, token: str, purpose: str = "staff-link") -> str:
    """How a link's token is stored and looked up: HMAC-SHA256 under the sign-in pepper, bound to the kind of link
    (a staff link, a one-tap link, a waitlist offer), never the token itself."""
    return hmac.new(pepper, f"{purpose}:{token}".encode(), hashlib.sha256).hexdigest()
