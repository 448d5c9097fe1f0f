"""Access tokens: what we issue verifies, anything forged, stale or meant for someone else does not, keys rotate."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import ECAlgorithm

from chalicelib.auth.tokens import AUDIENCE_API, AUDIENCE_MEDIA, TokenService
from chalicelib.domain.errors import Unauthenticated

ISSUER = "https://cita.example.cat"
LIFETIME = timedelta(minutes=30)


class InMemoryKeys:
    """Signer and public keys in one object, as the KMS adapter is: signs with the current key (DER signatures,
    as KMS returns them) and publishes the keys of the verify set, cached until asked to refresh."""

    def __init__(self, key_id: str = "key-1") -> None:
        self._private: dict[str, ec.EllipticCurvePrivateKey] = {}
        self._verify_set: list[str] = []
        self._cache: dict[str, ec.EllipticCurvePublicKey] | None = None
        self._current = ""
        self.refreshes = 0
        self.rotate_to(key_id)

    @property
    def key_id(self) -> str:
        return self._current

    def sign(self, message: bytes) -> bytes:
        return self._private[self._current].sign(message, ec.ECDSA(hashes.SHA256()))

    def public_keys(self, refresh: bool = False) -> dict[str, ec.EllipticCurvePublicKey]:
        if self._cache is None or refresh:
            self.refreshes += refresh
            self._cache = {kid: self._private[kid].public_key() for kid in self._verify_set}
        return dict(self._cache)

    def private_key(self, key_id: str) -> ec.EllipticCurvePrivateKey:
        return self._private[key_id]

    def rotate_to(self, key_id: str) -> None:
        """A new signing key; the previous ones stay in the verify set (a new deployment: caches start empty)."""
        self._private[key_id] = ec.generate_private_key(ec.SECP256R1())
        self._verify_set.append(key_id)
        self._current = key_id
        self._cache = None

    def publish_new_key(self, key_id: str) -> None:
        """Another instance has rotated: the key is in the verify set, but this instance's cache does not know it."""
        self._private[key_id] = ec.generate_private_key(ec.SECP256R1())
        self._verify_set.append(key_id)

    def retire(self, key_id: str) -> None:
        self._verify_set.remove(key_id)
        self._cache = None


@pytest.fixture
def keys() -> InMemoryKeys:
    return InMemoryKeys()


@pytest.fixture
def tokens(keys: InMemoryKeys) -> TokenService:
    return TokenService(keys, ISSUER)


def _issued_at(keys: InMemoryKeys, when: datetime) -> TokenService:
    return TokenService(keys, ISSUER, clock=lambda: when)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(data: dict[str, Any]) -> str:
    return _b64(json.dumps(data).encode())


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": ISSUER, "sub": "12345678Z", "aud": AUDIENCE_API, "iat": now, "nbf": now, "exp": now + 600}
    return {**claims, "jti": "token-1", **overrides}


def _refused(tokens: TokenService, token: str, audience: str = AUDIENCE_API) -> None:
    with pytest.raises(Unauthenticated) as raised:
        tokens.verify(token, audience)
    assert raised.value.code == "invalid_token"


def test_an_issued_token_verifies_and_carries_the_standard_claims(keys: InMemoryKeys) -> None:
    # GIVEN a token issued at a known time
    now = datetime.now(UTC).replace(microsecond=0)
    issued = _issued_at(keys, now).issue("12345678Z", AUDIENCE_API, LIFETIME, {"kind": "citizen", "acr": "low"})

    # WHEN it is verified
    claims = TokenService(keys, ISSUER).verify(issued.token, AUDIENCE_API)

    # THEN it names its issuer, subject, audience and lifetime, has its own id, and keeps the extra claims
    assert claims["iss"] == ISSUER
    assert claims["sub"] == "12345678Z"
    assert claims["aud"] == AUDIENCE_API
    assert claims["iat"] == claims["nbf"] == int(now.timestamp())
    assert claims["exp"] == int((now + LIFETIME).timestamp()) == int(issued.expires_at.timestamp())
    assert claims["jti"] == issued.token_id
    assert (claims["kind"], claims["acr"]) == ("citizen", "low")
    assert jwt.get_unverified_header(issued.token) == {"alg": "ES256", "typ": "JWT", "kid": "key-1"}


def test_every_token_has_its_own_id(tokens: TokenService) -> None:
    ids = {tokens.issue("12345678Z", AUDIENCE_API, LIFETIME, {}).token_id for _ in range(20)}

    assert len(ids) == 20


def test_extra_claims_cannot_override_the_registered_ones(tokens: TokenService) -> None:
    # GIVEN extra claims that try to speak for someone else, elsewhere, for ever
    issued = tokens.issue(
        "12345678Z", AUDIENCE_API, LIFETIME, {"sub": "X1234567L", "iss": "https://evil.example", "exp": 2**40}
    )

    # THEN the token still says who it was issued to, by whom, and when it ends
    claims = tokens.verify(issued.token, AUDIENCE_API)
    assert (claims["sub"], claims["iss"]) == ("12345678Z", ISSUER)
    assert claims["exp"] == int(issued.expires_at.timestamp())


def test_a_token_for_the_media_node_is_not_accepted_by_the_api(tokens: TokenService) -> None:
    issued = tokens.issue("12345678Z", AUDIENCE_MEDIA, LIFETIME, {})

    _refused(tokens, issued.token, AUDIENCE_API)
    assert tokens.verify(issued.token, AUDIENCE_MEDIA)["aud"] == AUDIENCE_MEDIA


def test_a_token_from_another_issuer_is_refused(keys: InMemoryKeys, tokens: TokenService) -> None:
    # GIVEN a token signed with our very key, but issued by another deployment
    elsewhere = TokenService(keys, "https://other-council.example.cat")
    issued = elsewhere.issue("12345678Z", AUDIENCE_API, LIFETIME, {})

    _refused(tokens, issued.token)


def test_an_expired_token_is_refused(keys: InMemoryKeys, tokens: TokenService) -> None:
    # GIVEN a 30-minute token issued an hour ago
    issued = _issued_at(keys, datetime.now(UTC) - timedelta(hours=1)).issue("12345678Z", AUDIENCE_API, LIFETIME, {})

    _refused(tokens, issued.token)


def test_a_token_just_past_its_expiry_is_accepted_within_the_clock_skew_leeway(
    keys: InMemoryKeys, tokens: TokenService
) -> None:
    # GIVEN a token that expired 10 seconds ago (clocks of two machines may differ by that much)
    issued = _issued_at(keys, datetime.now(UTC) - LIFETIME - timedelta(seconds=10)).issue(
        "12345678Z", AUDIENCE_API, LIFETIME, {}
    )

    assert tokens.verify(issued.token, AUDIENCE_API)["sub"] == "12345678Z"


def test_a_token_not_yet_valid_is_refused(keys: InMemoryKeys, tokens: TokenService) -> None:
    # GIVEN a token whose validity starts in an hour
    issued = _issued_at(keys, datetime.now(UTC) + timedelta(hours=1)).issue("12345678Z", AUDIENCE_API, LIFETIME, {})

    _refused(tokens, issued.token)


def test_a_token_whose_payload_was_changed_is_refused(tokens: TokenService) -> None:
    # GIVEN my token, with the subject changed to another citizen's ID number
    header, payload, signature = tokens.issue("12345678Z", AUDIENCE_API, LIFETIME, {}).token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = f"{header}.{_segment({**claims, 'sub': 'X1234567L'})}.{signature}"

    _refused(tokens, forged)


def test_an_unsigned_token_is_refused(keys: InMemoryKeys, tokens: TokenService) -> None:
    # GIVEN a well-formed token with "alg": "none" and an empty signature
    forged = f"{_segment({'alg': 'none', 'typ': 'JWT', 'kid': keys.key_id})}.{_segment(_claims())}."

    _refused(tokens, forged)


def test_an_hmac_token_keyed_with_our_public_key_is_refused(keys: InMemoryKeys, tokens: TokenService) -> None:
    # GIVEN the classic algorithm-confusion forgery: HS256 with the published public key as the shared secret
    secret = keys.public_keys()[keys.key_id].public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT', 'kid': keys.key_id})}.{_segment(_claims())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()

    _refused(tokens, f"{signing_input}.{_b64(signature)}")


def test_a_token_signed_by_a_key_we_do_not_trust_is_refused(keys: InMemoryKeys, tokens: TokenService) -> None:
    # GIVEN tokens from someone else's key: once under its own key id, once claiming ours
    stranger = InMemoryKeys("stranger-key")
    own_kid = TokenService(stranger, ISSUER).issue("12345678Z", AUDIENCE_API, LIFETIME, {}).token
    claimed_kid = jwt.encode(_claims(), stranger.private_key("stranger-key"), "ES256", headers={"kid": keys.key_id})

    _refused(tokens, own_kid)
    _refused(tokens, claimed_kid)


def test_a_signed_token_missing_a_required_claim_is_refused(keys: InMemoryKeys, tokens: TokenService) -> None:
    claims = _claims()
    del claims["jti"]
    token = jwt.encode(claims, keys.private_key(keys.key_id), "ES256", headers={"kid": keys.key_id})

    _refused(tokens, token)


@pytest.mark.parametrize("garbage", ["", "not-a-token", "a.b.c", "eyJhbGciOiJFUzI1NiJ9..", "...."])
def test_garbage_is_refused(tokens: TokenService, garbage: str) -> None:
    _refused(tokens, garbage)


def test_after_a_rotation_old_tokens_verify_until_their_key_is_retired(keys: InMemoryKeys) -> None:
    # GIVEN a token signed before the rotation
    old = TokenService(keys, ISSUER).issue("12345678Z", AUDIENCE_API, LIFETIME, {}).token

    # WHEN a new signing key takes over while the old one stays in the verify set
    keys.rotate_to("key-2")
    tokens = TokenService(keys, ISSUER)
    new = tokens.issue("12345678Z", AUDIENCE_API, LIFETIME, {}).token

    # THEN new tokens name the new key, and both old and new verify
    assert jwt.get_unverified_header(new)["kid"] == "key-2"
    assert tokens.verify(old, AUDIENCE_API)["sub"] == "12345678Z"
    assert tokens.verify(new, AUDIENCE_API)["sub"] == "12345678Z"

    # WHEN the old key leaves the verify set
    keys.retire("key-1")

    # THEN its tokens no longer verify, the new ones still do
    _refused(tokens, old)
    assert tokens.verify(new, AUDIENCE_API)["sub"] == "12345678Z"


def test_a_key_this_instance_has_not_seen_yet_is_fetched_once(keys: InMemoryKeys, tokens: TokenService) -> None:
    # GIVEN this instance has cached the public keys, then another instance starts signing with a new key
    tokens.verify(tokens.issue("12345678Z", AUDIENCE_API, LIFETIME, {}).token, AUDIENCE_API)
    keys.publish_new_key("key-2")
    token = jwt.encode(_claims(), keys.private_key("key-2"), "ES256", headers={"kid": "key-2"})

    # WHEN a token under the new key arrives, twice
    first = tokens.verify(token, AUDIENCE_API)
    second = tokens.verify(token, AUDIENCE_API)

    # THEN the keys were fetched again once, and the token verifies
    assert keys.refreshes == 1
    assert first == second


def test_an_unknown_key_id_refreshes_the_keys_once_then_fails(keys: InMemoryKeys, tokens: TokenService) -> None:
    stranger = InMemoryKeys("key-unknown")
    token = TokenService(stranger, ISSUER).issue("12345678Z", AUDIENCE_API, LIFETIME, {}).token

    _refused(tokens, token)

    assert keys.refreshes == 1


def test_forged_key_ids_do_not_make_every_request_fetch_the_keys(keys: InMemoryKeys) -> None:
    # GIVEN a clock we move by hand, and tokens under key ids we have never published
    now = [datetime.now(UTC)]
    tokens = TokenService(keys, ISSUER, clock=lambda: now[0])
    stranger = InMemoryKeys("stranger")
    forged = [
        jwt.encode(_claims(), stranger.private_key("stranger"), "ES256", headers={"kid": f"kid-{i}"}) for i in range(50)
    ]

    # WHEN the same unknown key id arrives again and again, and then fifty different ones within a second
    for _ in range(20):
        _refused(tokens, forged[0])
    for token in forged:
        _refused(tokens, token)

    # THEN the keys were fetched once, not seventy times
    assert keys.refreshes == 1

    # and a key another instance really started using is still found after a short while
    keys.publish_new_key("key-2")
    genuine = jwt.encode(_claims(), keys.private_key("key-2"), "ES256", headers={"kid": "key-2"})
    now[0] += timedelta(seconds=10)
    assert tokens.verify(genuine, AUDIENCE_API)["sub"] == "12345678Z"
    assert keys.refreshes == 2
    # while an id already refused stays refused without asking again
    _refused(tokens, forged[0])
    assert keys.refreshes == 2


def test_a_very_long_key_id_is_refused_without_fetching_the_keys(keys: InMemoryKeys, tokens: TokenService) -> None:
    stranger = InMemoryKeys("stranger")
    token = jwt.encode(_claims(), stranger.private_key("stranger"), "ES256", headers={"kid": "k" * 5000})

    _refused(tokens, token)

    assert keys.refreshes == 0


def test_a_known_key_id_does_not_refresh_the_keys(keys: InMemoryKeys, tokens: TokenService) -> None:
    for _ in range(3):
        tokens.verify(tokens.issue("12345678Z", AUDIENCE_API, LIFETIME, {}).token, AUDIENCE_API)

    assert keys.refreshes == 0


def test_the_jwks_publishes_every_verify_key_and_nothing_private(keys: InMemoryKeys) -> None:
    # GIVEN two keys in the verify set
    keys.rotate_to("key-2")
    tokens = TokenService(keys, ISSUER)

    # WHEN the key set is published
    published = tokens.jwks()["keys"]

    # THEN each key is a public P-256 signing key under its id
    assert [k["kid"] for k in published] == ["key-1", "key-2"]
    for jwk in published:
        assert {k: jwk[k] for k in ("kty", "crv", "alg", "use")} == {
            "kty": "EC",
            "crv": "P-256",
            "alg": "ES256",
            "use": "sig",
        }
        assert {"x", "y"} <= set(jwk)
        assert "d" not in jwk


def test_the_media_node_can_verify_a_token_with_the_published_key(tokens: TokenService) -> None:
    # GIVEN a token for the media node and the published key set
    token = tokens.issue("12345678Z", AUDIENCE_MEDIA, LIFETIME, {"room": "r-1"}).token
    by_kid = {jwk["kid"]: jwk for jwk in tokens.jwks()["keys"]}

    # WHEN a verifier that only has the published key checks it
    key = ECAlgorithm.from_jwk(json.dumps(by_kid[jwt.get_unverified_header(token)["kid"]]))
    assert isinstance(key, ec.EllipticCurvePublicKey)
    claims = jwt.decode(token, key, algorithms=["ES256"], audience=AUDIENCE_MEDIA, issuer=ISSUER)

    # THEN it verifies
    assert claims["room"] == "r-1"
