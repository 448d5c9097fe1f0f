"""KMS as the token signer: ECC_NIST_P256 keys whose private half never leaves KMS."""

from __future__ import annotations

import threading
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.serialization import load_der_public_key


class KmsKeys:
    """Signs with the current key; publishes the public keys of the current and the still-trusted previous keys."""

    def __init__(self, client: Any, signing_key: str, verify_keys: tuple[str, ...]) -> None:
        self._client = client
        self._signing_key = signing_key
        self._verify_keys = verify_keys
        self._lock = threading.Lock()
        self._key_id: str | None = None
        self._public: dict[str, EllipticCurvePublicKey] | None = None

    @property
    def key_id(self) -> str:
        if self._key_id is None:
            self._key_id = str(self._client.describe_key(KeyId=self._signing_key)["KeyMetadata"]["KeyId"])
        return self._key_id

    def sign(self, message: bytes) -> bytes:
        # MessageType RAW (KMS hashes): JWT signing inputs are far below its 4 KiB limit, and moto signs DIGEST
        # messages wrongly (it hashes them again).
        response = self._client.sign(
            KeyId=self.key_id, Message=message, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256"
        )
        return bytes(response["Signature"])

    def public_keys(self, refresh: bool = False) -> dict[str, EllipticCurvePublicKey]:
        with self._lock:
            if self._public is None or refresh:
                keys = {}
                for alias in self._verify_keys:
                    response = self._client.get_public_key(KeyId=alias)
                    public = load_der_public_key(response["PublicKey"])
                    if not isinstance(public, EllipticCurvePublicKey):
                        raise TypeError(f"{alias} is not an elliptic-curve key")
                    keys[str(response["KeyId"]).rsplit("/", 1)[-1]] = public
                self._public = keys
            return dict(self._public)
