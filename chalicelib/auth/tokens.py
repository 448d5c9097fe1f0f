"""Access tokens: JWTs signed with an asymmetric key (ES256), verified against an algorithm allowlist.

Signing goes through a ``Signer`` (KMS in AWS and against moto locally: the private key never leaves KMS);
verification uses the public keys, which ``GET /.well-known/jwks.json`` also publishes for the media node.
Rotation: a new signing key signs new tokens while the previous keys stay in the verify set until their tokens
have expired.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, EllipticCurvePublicKey
from jwt.algorithms import ECAlgorithm
from jwt.utils import base64url_encode, der_to_raw_signature

from chalicelib.domain.errors import Unauthenticated
from chalicelib.services.ports import Signer

ALGORITHM = "ES256"
# The only algorithm we accept: never "none", never an HMAC algorithm keyed with a public key.
ALLOWED_ALGORITHMS = [ALGORITHM]
AUDIENCE_API = "videoatencion-api"
AUDIENCE_MEDIA = "videoatencion-media"
LEEWAY_SECONDS = 30
# A key id we do not know makes us fetch the public keys again (another instance may already sign with a new key),
# but never on every request: an unknown key id is remembered for a while (a bounded number of them), and the
# keys are fetched at most once per interval whatever ids arrive, so forged tokens cannot turn into KMS calls.
UNKNOWN_KID_SECONDS = 300
UNKNOWN_KIDS_KEPT = 256
MIN_REFRESH_SECONDS = 5
MAX_KID_LENGTH = 128


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_id: str
    expires_at: datetime

    @property
    def expires_in(self) -> int:
        return max(0, int((self.expires_at - datetime.now(UTC)).total_seconds()))


def _segment(data: dict[str, Any]) -> bytes:
    return base64url_encode(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())


class TokenService:
    def __init__(
        self,
        signer: Signer,
        issuer: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._signer = signer
        self._issuer = issuer
        self._clock = clock
        self._lock = threading.Lock()
        self._unknown: OrderedDict[str, float] = OrderedDict()
        self._refreshed_at: float | None = None

    def issue(self, subject: str, audience: str, lifetime: timedelta, claims: dict[str, Any]) -> IssuedToken:
        now = self._clock().replace(microsecond=0)
        expires = now + lifetime
        token_id = secrets.token_urlsafe(16)
        header = {"alg": ALGORITHM, "typ": "JWT", "kid": self._signer.key_id}
        payload = {
            **claims,
            "iss": self._issuer,
            "sub": subject,
            "aud": audience,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": token_id,
        }
        signing_input = _segment(header) + b"." + _segment(payload)
        signature = der_to_raw_signature(self._signer.sign(signing_input), SECP256R1())
        return IssuedToken((signing_input + b"." + base64url_encode(signature)).decode(), token_id, expires)

    def verify(self, token: str, audience: str) -> dict[str, Any]:
        """The token's claims, or Unauthenticated(invalid_token). Never trusts the token's own ``alg``."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ALLOWED_ALGORITHMS:
                raise jwt.InvalidAlgorithmError("algorithm not allowed")
            key = self._key(str(header.get("kid", "")))
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=ALLOWED_ALGORITHMS,
                audience=audience,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "nbf", "sub", "aud", "iss", "jti"]},
            )
        except (jwt.PyJWTError, ValueError) as exc:
            raise Unauthenticated("invalid_token", "The access token is not valid; sign in again.") from exc
        return claims

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, public in sorted(self._signer.public_keys().items()):
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM})
        return {"keys": keys}

    def _key(self, kid: str) -> EllipticCurvePublicKey:
        keys = self._signer.public_keys()
        if kid in keys:
            return keys[kid]
        if len(kid) > MAX_KID_LENGTH or not self._may_refresh(kid):
            raise jwt.InvalidKeyError("unknown key id")
        keys = self._signer.public_keys(refresh=True)
        if kid not in keys:
            with self._lock:
                self._unknown[kid] = self._clock().timestamp()
                while len(self._unknown) > UNKNOWN_KIDS_KEPT:
                    self._unknown.popitem(last=False)
            raise jwt.InvalidKeyError("unknown key id")
        return keys[kid]

    def _may_refresh(self, kid: str) -> bool:
        now = self._clock().timestamp()
        with self._lock:
            refused_at = self._unknown.get(kid)
            if refused_at is not None and now - refused_at < UNKNOWN_KID_SECONDS:
                return False
            if self._refreshed_at is not None and now - self._refreshed_at < MIN_REFRESH_SECONDS:
                return False
            self._refreshed_at = now
            return True
