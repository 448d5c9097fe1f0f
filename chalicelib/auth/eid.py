"""Client of the eID provider: OAuth 2.0 authorization code with PKCE, as Catalonia's gateway (VÀLid) speaks it.

Not OpenID Connect: after the code exchange, identity comes from the provider's user-info service
(``identifier``, ``identifierType``, names, ``method``, ``assuranceLevel``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from chalicelib.domain.catalogue import Assurance
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.identifiers import id_number
from chalicelib.settings import EidSettings

SCOPE = "autenticacio_usuari"
TIMEOUT = (3.05, 10)


class EidError(Exception):
    """The provider refused, failed or answered something we cannot trust. ``reason`` goes to the audit trail."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class EidIdentity:
    id_number: str
    name: str
    method: str
    assurance: Assurance


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


class EidClient:
    def __init__(self, settings: EidSettings, client_secret: str, redirect_uri: str, http: Any = None) -> None:
        self._settings = settings
        self._secret = client_secret
        self.redirect_uri = redirect_uri
        self._http = http or requests.Session()

    def authorize_url(self, state: str, pkce: Pkce) -> str:
        query = {
            "response_type": "code",
            "client_id": self._settings.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": SCOPE,
            "state": state,
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        }
        return f"{self._settings.authorize_url}?{urlencode(query)}"

    def identify(self, code: str, verifier: str) -> EidIdentity:
        access_token = self._exchange(code, verifier)
        try:
            response = self._http.get(
                self._settings.userinfo_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            raise EidError(f"user-info unreachable: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise EidError(f"user-info answered {response.status_code}")
        return _identity(_json(response, "user-info"))

    def _exchange(self, code: str, verifier: str) -> str:
        try:
            response = self._http.post(
                self._settings.token_url,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "client_id": self._settings.client_id,
                    "client_secret": self._secret,
                    "code_verifier": verifier,
                },
                timeout=TIMEOUT,
            )
        except requests.RequestException as exc:
            raise EidError(f"token endpoint unreachable: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise EidError(f"token endpoint answered {response.status_code}")
        body = _json(response, "token endpoint")
        if not isinstance(body, dict):
            raise EidError("token endpoint answered something other than a JSON object")
        token = body.get("access_token")
        if not isinstance(token, str) or str(body.get("token_type", "")).lower() != "bearer":
            raise EidError("token endpoint gave no bearer token")
        return token


def _json(response: Any, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:  # requests' JSONDecodeError is a ValueError
        raise EidError(f"{what} answered something other than JSON") from exc


def _identity(info: Any) -> EidIdentity:
    if not isinstance(info, dict) or info.get("status", "ok") != "ok":
        raise EidError("user-info status is not ok")
    if str(info.get("identifierType", "")).lower() not in ("nif", "nie"):
        raise EidError(f"unsupported identifier type {info.get('identifierType')!r}")
    try:
        identifier = id_number(info.get("identifier"))
        assurance = Assurance(str(info.get("assuranceLevel")))
    except (ValidationFailed, ValueError) as exc:
        raise EidError("user-info identifier or assurance level invalid") from exc
    name = " ".join(str(part) for part in (info.get("name"), info.get("surnames")) if part)
    return EidIdentity(identifier, name, str(info.get("method", "eid")), assurance)


def safe_return_path(value: object, default: str = "/me") -> str:
    """Only a path of our own app: no scheme, no host, no protocol-relative ``//``, no backslash tricks."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if len(value) > 200 or any(ord(c) < 0x20 for c in value):
        return default
    return value
