"""A fake of Consorci AOC's "VÀLid" identity gateway for the dev stack and tests: same protocol, invented people.

VÀLid is OAuth 2.0 authorization code (RFC 6749, with PKCE, RFC 7636), not OpenID Connect: the API sends the citizen
to ``/o/oauth2/auth``, exchanges the code at ``/o/oauth2/token`` and reads who signed in from
``/serveis-rest/getUserInfo``. Because this fake speaks that protocol, the API's production client is what runs
locally. Instead of idCAT Mòbil, Cl@ve or a certificate, the login page lets the developer pick one of the fictional
people of ``dev/demo/eid_people.json`` (padrón people of ``dev/seed.py``, at each eIDAS level of assurance).

Standard library only; state lives in memory. Run: ``python -m dev.fake_eid --port 8090``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import html
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any, cast
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit, urlunsplit

PEOPLE_FILE = Path(__file__).resolve().parent / "demo" / "eid_people.json"
SCOPE = "autenticacio_usuari"
METHODS = {"idcatmobil": "idCAT Mòbil", "clave": "Cl@ve", "certificat": "Certificat digital"}
LEVELS = {"low": "baix", "substantial": "substancial", "high": "alt"}
IDENTIFIER_TYPES = ("nif", "nie")
MAX_BODY = 16 * 1024
# RFC 7636 §4.1-4.2: a verifier is 43-128 unreserved characters; an S256 challenge is 32 bytes in unpadded base64url.
VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class Person:
    """One fictional citizen, in the vocabulary of VÀLid's ``getUserInfo``."""

    identifier: str
    identifier_type: str
    name: str
    surname1: str
    surname2: str
    email: str
    phone: str
    method: str
    assurance_level: str

    @classmethod
    def from_document(cls, doc: Mapping[str, str]) -> Person:
        person = cls(
            identifier=doc["identifier"],
            identifier_type=doc["identifierType"],
            name=doc["name"],
            surname1=doc["surname1"],
            surname2=doc["surname2"],
            email=doc["email"],
            phone=doc["phone"],
            method=doc["method"],
            assurance_level=doc["assuranceLevel"],
        )
        if person.identifier_type not in IDENTIFIER_TYPES:
            raise ValueError(f"{person.identifier}: identifierType must be one of {IDENTIFIER_TYPES}")
        if person.method not in METHODS or person.assurance_level not in LEVELS:
            raise ValueError(f"{person.identifier}: unknown method or assuranceLevel")
        return person

    @property
    def surnames(self) -> str:
        return f"{self.surname1} {self.surname2}".strip()

    def user_info(self) -> dict[str, str]:
        return {
            "identifier": self.identifier,
            "identifierType": self.identifier_type,
            "name": self.name,
            "surnames": self.surnames,
            "surname1": self.surname1,
            "surname2": self.surname2,
            "email": self.email,
            "phone": self.phone,
            "method": self.method,
            "assuranceLevel": self.assurance_level,
            "status": "ok",
        }


def load_people(path: Path = PEOPLE_FILE) -> tuple[Person, ...]:
    """The people of the login page; a malformed file fails at start, not at the first sign-in."""
    documents = json.loads(path.read_text(encoding="utf-8"))["people"]
    people = tuple(Person.from_document(doc) for doc in documents)
    if not people or len({p.identifier for p in people}) != len(people):
        raise ValueError(f"{path}: needs at least one person and unique identifiers")
    return people


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class EidConfig:
    """The one registered client, where it may be sent back to, and who may sign in."""

    client_id: str = "videoatencion-dev"
    # The dev stage's value, the same the API reads from SSM (PARAM_EID_CLIENT_SECRET); never a real secret.
    client_secret: str = "dev-only-not-a-secret"  # noqa: S105
    allowed_redirects: tuple[str, ...] = ("http://127.0.0.1:", "http://localhost:")
    people_file: Path = PEOPLE_FILE
    code_ttl: float = 60
    token_ttl: int = 3600
    # Seconds, monotonic; tests pass a clock they can move forward to expire codes and tokens.
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> EidConfig:
        defaults = cls()
        redirects = environ.get("EID_ALLOWED_REDIRECTS")
        return cls(
            client_id=environ.get("EID_CLIENT_ID", defaults.client_id),
            client_secret=environ.get("EID_CLIENT_SECRET", defaults.client_secret),
            allowed_redirects=_split(redirects) if redirects is not None else defaults.allowed_redirects,
        )


class UntrustedRedirect(Exception):
    """Unknown client or redirect URI: answered with a page, because redirecting would serve an open redirector."""


class AuthorizationError(Exception):
    """An authorization request error that is sent back to the (validated) redirect URI, per RFC 6749 §4.1.2.1."""

    def __init__(self, request: AuthRequest, error: str, description: str) -> None:
        super().__init__(description)
        self.request = request
        self.error = error
        self.description = description


class TokenError(Exception):
    """An RFC 6749 §5.2 error of the token endpoint."""

    def __init__(self, error: str, description: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class AuthRequest:
    client_id: str
    redirect_uri: str
    state: str | None
    scope: str = ""
    code_challenge: str = ""

    def redirect(self, **params: str) -> str:
        """``redirect_uri`` with ``params`` and the state added, keeping any query it already had."""
        parts = urlsplit(self.redirect_uri)
        extra = dict(params) | ({"state": self.state} if self.state is not None else {})
        query = "&".join(q for q in (parts.query, urlencode(extra)) if q)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))

    def form_fields(self) -> dict[str, str]:
        fields = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
        }
        return fields | ({"state": self.state} if self.state is not None else {})


@dataclass(frozen=True)
class _Grant:
    request: AuthRequest
    person: Person
    expires_at: float


@dataclass(frozen=True)
class _Token:
    person: Person
    expires_at: float


class Provider:
    """The gateway's behaviour without HTTP: validates requests, issues single-use codes and bearer tokens."""

    def __init__(self, config: EidConfig) -> None:
        self.config = config
        self.people = load_people(config.people_file)
        self._lock = threading.Lock()
        self._codes: dict[str, _Grant] = {}
        # Redeemed codes and the token each one bought: a code presented twice revokes that token (RFC 6749 §4.1.2).
        self._spent: dict[str, tuple[str, float]] = {}
        self._tokens: dict[str, _Token] = {}

    def person(self, identifier: str) -> Person | None:
        return next((p for p in self.people if p.identifier == identifier), None)

    def authorization_request(self, params: Mapping[str, list[str]]) -> AuthRequest:
        """Validate the client and redirect URI first (else: page), then the rest (else: redirect with the error)."""
        client_id = _only(params, "client_id")
        redirect_uri = _only(params, "redirect_uri")
        if client_id is None or not hmac.compare_digest(client_id.encode(), self.config.client_id.encode()):
            raise UntrustedRedirect("Aplicació client desconeguda (unknown client_id).")
        if redirect_uri is None or not self._allowed(redirect_uri):
            raise UntrustedRedirect("Adreça de retorn no registrada (redirect_uri not registered).")
        states = params.get("state", [])
        state = states[0] if states else None
        request = AuthRequest(client_id, redirect_uri, state)
        for name in ("response_type", "scope", "state", "code_challenge", "code_challenge_method"):
            if len(params.get(name, [])) > 1:
                raise AuthorizationError(request, "invalid_request", f"{name} is repeated")
        response_type = _only(params, "response_type")
        scope = _only(params, "scope")
        challenge = _only(params, "code_challenge")
        method = _only(params, "code_challenge_method")
        if not response_type:
            raise AuthorizationError(request, "invalid_request", "response_type is required")
        if response_type != "code":
            raise AuthorizationError(request, "unsupported_response_type", "only response_type=code is supported")
        if not scope:
            raise AuthorizationError(request, "invalid_request", f"scope is required ({SCOPE})")
        if set(scope.split()) != {SCOPE}:
            raise AuthorizationError(request, "invalid_scope", f"the only scope is {SCOPE}")
        if method != "S256" or challenge is None or not S256_CHALLENGE.fullmatch(challenge):
            raise AuthorizationError(request, "invalid_request", "PKCE with code_challenge_method=S256 is required")
        return AuthRequest(client_id, redirect_uri, state, scope, challenge)

    def _allowed(self, uri: str) -> bool:
        # A prefix match alone would let "http://127.0.0.1:1@evil.example/" through: the host must survive parsing.
        try:
            parts = urlsplit(uri)
            parts.port  # noqa: B018 - raises ValueError for a port such as "8000.evil.example"
        except ValueError:
            return False
        return (
            parts.scheme in ("http", "https")
            and "@" not in parts.netloc
            and not parts.fragment
            and any(uri.startswith(prefix) for prefix in self.config.allowed_redirects)
        )

    def issue_code(self, request: AuthRequest, person: Person) -> str:
        code = secrets.token_urlsafe(32)
        now = self.config.clock()
        with self._lock:
            self._prune(now)
            self._codes[code] = _Grant(request, person, now + self.config.code_ttl)
        return code

    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> str:
        failed = TokenError("invalid_client", "client authentication failed", HTTPStatus.UNAUTHORIZED)
        if client_id is None or client_secret is None:
            raise failed
        # Both comparisons always run, in constant time, so timing tells nothing about which part was wrong.
        id_matches = hmac.compare_digest(client_id.encode(), self.config.client_id.encode())
        secret_matches = hmac.compare_digest(client_secret.encode(), self.config.client_secret.encode())
        if not (id_matches and secret_matches):
            raise failed
        return client_id

    def exchange(self, client_id: str, code: str, redirect_uri: str, verifier: str | None) -> str:
        """Redeem a code for an access token. Any presentation spends the code, even a failed one."""
        now = self.config.clock()
        with self._lock:
            grant = self._codes.pop(code, None)
            if grant is None:
                spent = self._spent.pop(code, None)
                if spent is not None:
                    self._tokens.pop(spent[0], None)
                raise TokenError("invalid_grant", "the code is unknown, expired or already used")
            token = secrets.token_urlsafe(32)
            self._spent[code] = (token, now + self.config.token_ttl)
            _check_grant(grant, now, client_id, redirect_uri, verifier)
            self._tokens[token] = _Token(grant.person, now + self.config.token_ttl)
        return token

    def user_info(self, token: str) -> Person | None:
        now = self.config.clock()
        with self._lock:
            found = self._tokens.get(token)
            if found is None or found.expires_at <= now:
                return None
            return found.person

    def _prune(self, now: float) -> None:
        """Forget what has expired, so a long-running dev stack does not grow without bound. Caller holds the lock."""
        for store in (self._codes, self._tokens):
            for key in [k for k, v in store.items() if v.expires_at <= now]:
                del store[key]
        for key in [k for k, (_, until) in self._spent.items() if until <= now]:
            del self._spent[key]


def _check_grant(grant: _Grant, now: float, client_id: str, redirect_uri: str, verifier: str | None) -> None:
    if grant.expires_at <= now:
        raise TokenError("invalid_grant", "the code has expired")
    if grant.request.client_id != client_id:
        raise TokenError("invalid_grant", "the code was issued to another client")
    if grant.request.redirect_uri != redirect_uri:
        raise TokenError("invalid_grant", "redirect_uri does not match the authorization request")
    if verifier is None or not VERIFIER.fullmatch(verifier):
        raise TokenError("invalid_grant", "a code_verifier of 43-128 unreserved characters is required")
    if not hmac.compare_digest(s256(verifier), grant.request.code_challenge):
        raise TokenError("invalid_grant", "code_verifier does not match the code_challenge")


def s256(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))), without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _only(params: Mapping[str, list[str]], name: str) -> str | None:
    """The parameter's value if it was sent exactly once (RFC 6749 §3.1: parameters must not repeat)."""
    values = params.get(name, [])
    return values[0] if len(values) == 1 else None


STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #fff; line-height: 1.5; }
main { max-width: 44rem; margin: 0 auto; padding: 1rem; }
.banner { margin: 0; padding: 0.75rem 1rem; background: #ffe08a; border-bottom: 3px solid #1a1a1a; font-weight: 600; }
fieldset { border: 2px solid #595959; border-radius: 4px; padding: 0.5rem 1rem; }
legend { font-weight: 600; padding: 0 0.25rem; }
.person { display: flex; gap: 0.75rem; align-items: flex-start; padding: 0.5rem 0; }
.person input { width: 1.25rem; height: 1.25rem; margin-top: 0.2rem; }
.details { display: block; color: #333; }
button { font: inherit; padding: 0.5rem 1.25rem; margin: 1rem 0.75rem 0 0; border: 2px solid #1a1a1a;
  border-radius: 4px; background: #fff; color: #1a1a1a; cursor: pointer; }
button[value=identify] { background: #1a1a1a; color: #fff; }
:focus-visible { outline: 3px solid #0b5fff; outline-offset: 3px; }
.error { border-left: 4px solid #b00020; padding-left: 0.75rem; }
"""

BANNER = (
    '<p class="banner" role="note">Proveïdor d\'identitat de proves — només per a desenvolupament'
    ' / <span lang="en">Test identity provider — development only</span></p>'
)


# Pages are security-relevant even here: no framing, no scripts, no caching of codes or tokens.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="ca">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<header>{BANNER}</header>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _person_option(element_id: str, person: Person) -> str:
    details = (
        f"{person.identifier_type.upper()} {html.escape(person.identifier)} · {METHODS[person.method]} · "
        f'nivell de seguretat {LEVELS[person.assurance_level]} (<span lang="en">{person.assurance_level}</span>)'
    )
    return (
        f'<div class="person"><input type="radio" name="person" id="{element_id}" '
        f'value="{html.escape(person.identifier)}" required>'
        f'<label for="{element_id}"><strong>{html.escape(person.name)} {html.escape(person.surnames)}</strong> '
        f'<span class="details">{details}</span></label></div>'
    )


def login_page(request: AuthRequest, people: tuple[Person, ...], error: str | None = None) -> str:
    hidden = "\n".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in request.form_fields().items()
    )
    options = "\n".join(_person_option(f"person-{i}", p) for i, p in enumerate(people, start=1))
    alert = f'<p class="error" role="alert">{html.escape(error)}</p>\n' if error else ""
    return _page(
        "Identificació de proves",
        "<h1>Identifica't</h1>\n"
        f"{alert}"
        '<form method="post" action="/o/oauth2/auth">\n'
        f"{hidden}\n"
        "<fieldset>\n<legend>Tria la persona de prova amb qui vols identificar-te</legend>\n"
        f"{options}\n</fieldset>\n"
        '<button type="submit" name="action" value="identify">Identifica\'t</button>\n'
        '<button type="submit" name="action" value="cancel" formnovalidate>Cancel·la</button>\n'
        "</form>",
    )


def error_page(message: str) -> str:
    return _page(
        "Error d'identificació",
        f'<h1>No es pot continuar la identificació</h1>\n<p class="error" role="alert">{html.escape(message)}</p>\n'
        "<p>Torna a l'aplicació i comença de nou.</p>",
    )


class FakeEidServer(ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], provider: Provider) -> None:
        self.provider = provider
        super().__init__(address, EidRequestHandler)


class EidRequestHandler(BaseHTTPRequestHandler):
    server_version = "fake-eid"

    @property
    def provider(self) -> Provider:
        return cast(FakeEidServer, self.server).provider

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per request drowns the stack's own logs; errors still reach stderr."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/health":
            self._json(HTTPStatus.OK, {"status": "ok"})
        elif parts.path == "/o/oauth2/auth":
            self._authorize(parse_qs(parts.query, keep_blank_values=True))
        elif parts.path == "/serveis-rest/getUserInfo":
            self._user_info()
        elif parts.path == "/o/oauth2/token":
            self._not_allowed("POST")
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path not in ("/o/oauth2/auth", "/o/oauth2/token"):
            self._json(HTTPStatus.NOT_FOUND, {"error": "not_found"})
            return
        form = self._form()
        if form is None:
            return
        if path == "/o/oauth2/auth":
            self._authorize(form, submitted=True)
        else:
            self._token(form)

    def _authorize(self, params: Mapping[str, list[str]], submitted: bool = False) -> None:
        try:
            request = self.provider.authorization_request(params)
        except UntrustedRedirect as error:
            self._html(HTTPStatus.BAD_REQUEST, error_page(str(error)))
            return
        except AuthorizationError as error:
            self._redirect(error.request.redirect(error=error.error, error_description=error.description))
            return
        if not submitted:
            self._html(HTTPStatus.OK, login_page(request, self.provider.people))
            return
        action = _only(params, "action")
        if action == "cancel":
            self._redirect(request.redirect(error="access_denied", error_description="the user cancelled"))
            return
        person = self.provider.person(_only(params, "person") or "")
        if action != "identify" or person is None:
            page = login_page(request, self.provider.people, "Tria una de les persones per identificar-te.")
            self._html(HTTPStatus.BAD_REQUEST, page)
            return
        self._redirect(request.redirect(code=self.provider.issue_code(request, person)))

    def _token(self, form: Mapping[str, list[str]]) -> None:
        try:
            client_id = self._client(form)
            grant_type = _only(form, "grant_type")
            if grant_type is None:
                raise TokenError("invalid_request", "grant_type is required")
            if grant_type != "authorization_code":
                raise TokenError("unsupported_grant_type", "only authorization_code is supported")
            code, redirect_uri = _only(form, "code"), _only(form, "redirect_uri")
            if code is None or redirect_uri is None:
                raise TokenError("invalid_request", "code and redirect_uri are required")
            token = self.provider.exchange(client_id, code, redirect_uri, _only(form, "code_verifier"))
        except TokenError as error:
            headers = {"WWW-Authenticate": 'Basic realm="fake-eid"'} if error.status == HTTPStatus.UNAUTHORIZED else {}
            self._json(error.status, {"error": error.error, "error_description": error.description}, headers)
            return
        body = {"access_token": token, "token_type": "Bearer", "expires_in": self.provider.config.token_ttl}
        self._json(HTTPStatus.OK, body, {"Pragma": "no-cache"})

    def _client(self, form: Mapping[str, list[str]]) -> str:
        """Client credentials from HTTP Basic or from the body (RFC 6749 §2.3.1), never both."""
        body_id, body_secret = _only(form, "client_id"), _only(form, "client_secret")
        authorization = self.headers.get("Authorization", "")
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "basic":
            return self.provider.authenticate_client(body_id, body_secret)
        if body_secret is not None:
            raise TokenError("invalid_request", "use one client authentication method, not two")
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise TokenError("invalid_client", "malformed Basic credentials", HTTPStatus.UNAUTHORIZED) from None
        basic_id, _, basic_secret = decoded.partition(":")
        # Basic credentials are form-encoded before base64 (RFC 6749 §2.3.1).
        client_id = self.provider.authenticate_client(unquote_plus(basic_id), unquote_plus(basic_secret))
        if body_id is not None and body_id != client_id:
            raise TokenError("invalid_client", "client_id differs from the Basic credentials", HTTPStatus.UNAUTHORIZED)
        return client_id

    def _user_info(self) -> None:
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        person = self.provider.user_info(token.strip()) if scheme.lower() == "bearer" else None
        if person is None:
            headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            self._json(HTTPStatus.UNAUTHORIZED, {"status": "ko", "error": "invalid_token"}, headers)
            return
        self._json(HTTPStatus.OK, person.user_info())

    def _form(self) -> dict[str, list[str]] | None:
        """The urlencoded body, or None after answering a body this server will not read."""
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if content_type != "application/x-www-form-urlencoded":
            self.close_connection = True  # the unread body must not be taken for the next request
            self._json(HTTPStatus.BAD_REQUEST, {"error": "invalid_request", "error_description": "expected a form"})
            return None
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "invalid_request"})
            return None
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        return parse_qs(body, keep_blank_values=True)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", location)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _not_allowed(self, allow: str) -> None:
        self._json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "method_not_allowed"}, {"Allow": allow})

    def _html(self, status: HTTPStatus, page: str) -> None:
        self._send(status, "text/html; charset=utf-8", page.encode("utf-8"), PAGE_HEADERS)

    def _json(self, status: HTTPStatus, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self._send(status, "application/json; charset=utf-8", data, {"Cache-Control": "no-store", **(headers or {})})

    def _send(self, status: HTTPStatus, content_type: str, data: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def make_server(host: str, port: int, config: EidConfig) -> ThreadingHTTPServer:
    """The provider bound to ``host:port`` (0: any free port), not yet serving; call ``serve_forever``."""
    return FakeEidServer((host, port), Provider(config))


def main(argv: list[str] | None = None) -> int:
    from_env = EidConfig.from_env()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--client-id", default=from_env.client_id, help="default: $EID_CLIENT_ID or %(default)s")
    parser.add_argument(
        "--allowed-redirects",
        default=",".join(from_env.allowed_redirects),
        help="comma-separated redirect URI prefixes; default: $EID_ALLOWED_REDIRECTS or %(default)s",
    )
    parser.add_argument("--people", type=Path, default=PEOPLE_FILE, help="default: %(default)s")
    args = parser.parse_args(argv)
    # The client secret is read from EID_CLIENT_SECRET only: command lines are visible to every local user.
    config = EidConfig(
        client_id=args.client_id,
        client_secret=from_env.client_secret,
        allowed_redirects=_split(args.allowed_redirects),
        people_file=args.people,
    )
    server = make_server(args.host, args.port, config)

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"fake eID provider (development only) on http://{args.host}:{server.server_port}", flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
