"""Join tokens: only the API's ES256 tokens for the media node, with the claims the contract names, get in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from node_fakes import FakeApi, Signer

from videoatencion_media.auth import InvalidTokenError, JwksClient, TokenVerifier
from videoatencion_media.rooms import Role


async def test_good_token_gives_the_participant(verifier: TokenVerifier, signer: Signer) -> None:
    claims = await verifier.verify(signer.token(sub="a-joan", role="agent", name="  Joan  "))

    assert (claims.participant_id, claims.room_id, claims.role, claims.appointment_id) == (
        "a-joan",
        "room-1",
        Role.AGENT,
        "apt-1",
    )
    assert (claims.office, claims.name) == ("omac", "Joan")
    assert claims.session_id == "session-of-a-joan"


def _now() -> int:
    return int(time.time())


class FromNow(int):
    """A time claim given relative to when the test runs (parameters are built at collection, maybe minutes before)."""


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"exp": FromNow(-31)}, id="expired beyond the leeway"),
        pytest.param({"nbf": FromNow(60)}, id="not yet valid"),
        pytest.param({"aud": "videoatencion"}, id="the API's audience"),
        pytest.param({"iss": "someone-else"}, id="other issuer"),
        pytest.param({"room": None}, id="no room"),
        pytest.param({"jti": None}, id="no jti"),
        pytest.param({"exp": None}, id="no exp"),
        pytest.param({"role": "admin"}, id="unknown role"),
        pytest.param({"name": "x" * 61}, id="name too long"),
        pytest.param({"sub": ""}, id="empty subject"),
        pytest.param({"apt": 7}, id="appointment not a string"),
        pytest.param({"sid": None}, id="no session, so nothing could revoke it"),
        pytest.param({"sid": ""}, id="empty session"),
    ],
)
async def test_bad_claims_are_refused(verifier: TokenVerifier, signer: Signer, overrides: dict[str, Any]) -> None:
    claims = {k: _now() + v if isinstance(v, FromNow) else v for k, v in overrides.items()}
    with pytest.raises(InvalidTokenError):
        await verifier.verify(signer.token(**claims))


async def test_expiry_has_thirty_seconds_of_leeway(verifier: TokenVerifier, signer: Signer) -> None:
    assert (await verifier.verify(signer.token(exp=_now() - 10))).participant_id == "c-0001"


async def test_missing_or_garbage_token(verifier: TokenVerifier) -> None:
    for token in (None, "", "garbage", "a.b.c"):
        with pytest.raises(InvalidTokenError):
            await verifier.verify(token)


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


async def test_alg_none_is_refused_without_asking_the_api(
    verifier: TokenVerifier, signer: Signer, api: FakeApi
) -> None:
    token = _unsigned({"alg": "none", "typ": "JWT", "kid": signer.kid}, signer.claims())

    with pytest.raises(InvalidTokenError):
        await verifier.verify(token)
    assert api.jwks_fetches == 0


async def test_hs256_signed_with_the_public_key_is_refused(
    verifier: TokenVerifier, signer: Signer, api: FakeApi
) -> None:
    # The classic confusion attack: the public key (which anyone can fetch) used as an HMAC secret.
    public_pem = signer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": signer.kid}
    signing_input = _unsigned(header, signer.claims())[:-1].encode()
    signature = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    token = f"{signing_input.decode()}.{signature.decode()}"

    with pytest.raises(InvalidTokenError):
        await verifier.verify(token)
    assert api.jwks_fetches == 0


async def test_token_signed_by_another_key_under_a_known_key_id_is_refused(
    verifier: TokenVerifier, signer: Signer
) -> None:
    impostor = Signer(kid=signer.kid)

    with pytest.raises(InvalidTokenError):
        await verifier.verify(impostor.token())


async def test_unknown_key_id_fetches_the_jwks_again_at_most_every_ten_seconds(api: FakeApi, signer: Signer) -> None:
    now = [1000.0]
    jwks = JwksClient(f"{api.url}/.well-known/jwks.json", clock=lambda: now[0])
    verifier = TokenVerifier(jwks, issuer="videoatencion")
    try:
        await verifier.verify(signer.token())
        assert api.jwks_fetches == 1

        # The API rotates its key: the new key id is not cached yet, so the node asks again, once.
        rotated = Signer()
        api.keys.append(rotated.jwk())
        now[0] += 11
        assert (await verifier.verify(rotated.token(sub="c-2"))).participant_id == "c-2"
        assert api.jwks_fetches == 2

        # Made-up key ids right after cannot make it ask again.
        for index in range(5):
            with pytest.raises(InvalidTokenError):
                await verifier.verify(Signer(kid=f"made-up-{index}").token())
        assert api.jwks_fetches == 2
        now[0] += 11
        with pytest.raises(InvalidTokenError):
            await verifier.verify(Signer(kid="made-up").token())
        assert api.jwks_fetches == 3

        # Known keys are served from the cache for five minutes, then fetched again.
        await verifier.verify(signer.token())
        assert api.jwks_fetches == 3
        now[0] += 301
        await verifier.verify(signer.token())
        assert api.jwks_fetches == 4
    finally:
        await jwks.close()


async def test_unusable_keys_in_the_jwks_are_ignored(api: FakeApi, signer: Signer) -> None:
    api.keys[:] = [
        {"kty": "RSA", "kid": "rsa", "n": "AQAB", "e": "AQAB"},
        {**signer.jwk(), "crv": "P-384", "kid": "wrong-curve"},
        {**signer.jwk(), "alg": "ES384", "kid": "wrong-alg"},
        {"kty": "EC", "crv": "P-256", "kid": "broken", "x": "AA", "y": "AA"},
        "not an object",
        signer.jwk(),
    ]
    jwks = JwksClient(f"{api.url}/.well-known/jwks.json")
    try:
        assert (await TokenVerifier(jwks, issuer="videoatencion").verify(signer.token())).room_id == "room-1"
    finally:
        await jwks.close()


async def test_unreachable_api_means_no_token_is_good(signer: Signer) -> None:
    jwks = JwksClient("http://127.0.0.1:9/.well-known/jwks.json")
    try:
        with pytest.raises(InvalidTokenError):
            await TokenVerifier(jwks, issuer="videoatencion").verify(signer.token())
    finally:
        await jwks.close()


async def test_no_api_configured_means_no_token_is_good(signer: Signer) -> None:
    with pytest.raises(InvalidTokenError):
        await TokenVerifier(JwksClient(None), issuer="videoatencion").verify(signer.token())
