"""Join tokens: the API's ES256 JWTs that let one person into one room (calls contract, "Join token").

The node trusts only the API's public keys, fetched from its JWKS and cached; the algorithm is fixed here and never read
from the token, so neither ``alg: none`` nor an HS256 token "signed" with the public key gets in.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jwt
from aiohttp import ClientError, ClientSession, ClientTimeout
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, EllipticCurvePublicKey

from videoatencion_media.rooms import Role

ALGORITHM = "ES256"
AUDIENCE = "videoatencion-media"
LEEWAY_SECONDS = 30
JWKS_CACHE_SECONDS = 300.0
JWKS_MIN_REFETCH_SECONDS = 10.0
MAX_NAME_LENGTH = 60
_MAX_ID_LENGTH = 128
_REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "nbf", "iat", "jti", "room", "role", "apt", "office", "name", "sid"]

logger = logging.getLogger(__name__)


class InvalidTokenError(Exception):
    """The token is missing, malformed, expired, not ours or not for the media node (the protocol's 401)."""


@dataclass(frozen=True, slots=True)
class JoinClaims:
    participant_id: str
    room_id: str
    role: Role
    appointment_id: str
    office: str
    name: str
    issued_at: float
    expires_at: float
    # The API session the token was fetched with; the node puts the participant out once the API revokes it.
    session_id: str


class KeySource(Protocol):
    async def key(self, kid: str) -> EllipticCurvePublicKey | None: ...


class JwksClient:
    """The API's signing keys by key id: cached for five minutes, fetched again for an unknown key id at most every
    ten seconds, so a flood of tokens with made-up key ids cannot turn the node into a JWKS hammer."""

    def __init__(
        self,
        url: str | None,
        *,
        cache_seconds: float = JWKS_CACHE_SECONDS,
        min_refetch_seconds: float = JWKS_MIN_REFETCH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._cache_seconds = cache_seconds
        self._min_refetch_seconds = min_refetch_seconds
        self._clock = clock
        self._keys: dict[str, EllipticCurvePublicKey] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self._session: ClientSession | None = None
        self.fetches = 0

    async def key(self, kid: str) -> EllipticCurvePublicKey | None:
        if self._url is None:
            return None
        now = self._clock()
        fresh = self._fetched_at is not None and now - self._fetched_at < self._cache_seconds
        if fresh and kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            now = self._clock()
            recently = self._fetched_at is not None and now - self._fetched_at < self._min_refetch_seconds
            stale = self._fetched_at is None or now - self._fetched_at >= self._cache_seconds
            if stale or (kid not in self._keys and not recently):
                await self._fetch()
        return self._keys.get(kid)

    async def _fetch(self) -> None:
        assert self._url is not None  # noqa: S101 - key() returns early without a URL
        # Counted as a fetch even when it fails, so an unreachable API is not asked again on every request.
        self._fetched_at = self._clock()
        self.fetches += 1
        if self._session is None or self._session.closed:
            self._session = ClientSession(timeout=ClientTimeout(total=5))
        try:
            async with self._session.get(self._url) as response:
                response.raise_for_status()
                document = await response.json(content_type=None)
        except (ClientError, TimeoutError, ValueError):
            logger.warning("could not fetch the API's JWKS", extra={"url": self._url}, exc_info=True)
            return
        self._keys = _parse_jwks(document)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _parse_jwks(document: object) -> dict[str, EllipticCurvePublicKey]:
    keys: dict[str, EllipticCurvePublicKey] = {}
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        logger.warning("JWKS without a keys list")
        return keys
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("kty") != "EC" or entry.get("crv") != "P-256":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or entry.get("alg", ALGORITHM) != ALGORITHM or entry.get("use", "sig") != "sig":
            continue
        try:
            public = jwt.PyJWK(dict(entry), algorithm=ALGORITHM).key
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            logger.warning("unusable key in the JWKS", extra={"kid": kid})
            continue
        if isinstance(public, EllipticCurvePublicKey) and isinstance(public.curve, SECP256R1):
            keys[kid] = public
    return keys


class TokenVerifier:
    def __init__(self, keys: KeySource, *, issuer: str, audience: str = AUDIENCE, leeway: float = LEEWAY_SECONDS):
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway

    async def verify(self, token: str | None) -> JoinClaims:
        if not token:
            raise InvalidTokenError("no join token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidTokenError("malformed token") from error
        kid = header.get("kid")
        # Checked before any key lookup: an HS256 or "none" token must not even cause a JWKS fetch.
        if header.get("alg") != ALGORITHM or not isinstance(kid, str) or not kid:
            raise InvalidTokenError("token not signed with ES256 and a key id")
        key = await self._keys.key(kid)
        if key is None:
            raise InvalidTokenError("token signed with an unknown key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as error:
            raise InvalidTokenError(str(error)) from error
        return _join_claims(claims)


def _join_claims(claims: Mapping[str, Any]) -> JoinClaims:
    strings = {name: claims.get(name) for name in ("sub", "room", "apt", "office", "name", "sid")}
    for name, value in strings.items():
        if not isinstance(value, str) or not value.strip() or len(value) > _MAX_ID_LENGTH:
            raise InvalidTokenError(f"claim {name} must be a non-empty string")
    name = str(strings["name"]).strip()
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidTokenError("claim name is too long")
    try:
        role = Role(str(claims.get("role")))
    except ValueError as error:
        raise InvalidTokenError("unknown role") from error
    return JoinClaims(
        participant_id=str(strings["sub"]),
        room_id=str(strings["room"]),
        role=role,
        appointment_id=str(strings["apt"]),
        office=str(strings["office"]),
        name=name,
        issued_at=float(claims["iat"]),
        expires_at=float(claims["exp"]),
        session_id=str(strings["sid"]),
    )
