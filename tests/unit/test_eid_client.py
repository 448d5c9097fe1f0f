"""The eID client: the authorization request it builds, the code exchange, and what it accepts as an identity."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from chalicelib.auth.eid import EidClient, EidError, EidIdentity, Pkce, safe_return_path
from chalicelib.domain.catalogue import Assurance
from chalicelib.settings import EidSettings

SETTINGS = EidSettings(
    authorize_url="https://eid.example.cat/o/oauth2/auth",
    token_url="https://eid.example.cat/o/oauth2/token",
    userinfo_url="https://eid.example.cat/serveis-rest/getUserInfo",
    client_id="videoatencion",
    client_secret_parameter="/videoatencion/test/eid-client-secret",
)
REDIRECT = "https://cita.example.cat/api/auth/eid/callback"
SECRET = "client-secret-1"


@dataclass
class FakeResponse:
    status_code: int
    body: Any = None

    def json(self) -> Any:
        if isinstance(self.body, Exception):
            raise self.body
        return self.body


def _user_info(**overrides: Any) -> dict[str, Any]:
    info = {
        "status": "ok",
        "identifier": "12345678Z",
        "identifierType": "NIF",
        "name": "Anna",
        "surnames": "Puig Soler",
        "email": "anna@example.cat",
        "method": "idcatmobil",
        "assuranceLevel": "low",
    }
    return {**info, **overrides}


@dataclass
class FakeHttp:
    """The provider's two endpoints: answers (or raises) what each test sets, and records every call."""

    token: FakeResponse | Exception = field(
        default_factory=lambda: FakeResponse(200, {"access_token": "provider-token-1", "token_type": "Bearer"})
    )
    user_info: FakeResponse | Exception = field(default_factory=lambda: FakeResponse(200, _user_info()))
    posts: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    gets: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)

    def post(self, url: str, data: dict[str, str], timeout: Any) -> FakeResponse:
        self.posts.append((url, data, timeout))
        if isinstance(self.token, Exception):
            raise self.token
        return self.token

    def get(self, url: str, headers: dict[str, str], timeout: Any) -> FakeResponse:
        self.gets.append((url, headers, timeout))
        if isinstance(self.user_info, Exception):
            raise self.user_info
        return self.user_info


def _client(http: FakeHttp) -> EidClient:
    return EidClient(SETTINGS, SECRET, REDIRECT, http=http)


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def _eid_error(http: FakeHttp) -> EidError:
    with pytest.raises(EidError) as raised:
        _client(http).identify("auth-code-1", "verifier-1")
    assert raised.value.reason
    return raised.value


# --- the authorization request ------------------------------------------------------------------------------------


def test_the_authorization_url_asks_for_a_code_with_pkce() -> None:
    # GIVEN a fresh PKCE pair
    pkce = Pkce.new()

    # WHEN the browser is sent to the provider
    url = urlsplit(_client(FakeHttp()).authorize_url("state-1", pkce))

    # THEN it asks the configured endpoint for an authorization code, with our client, scope, state and challenge
    assert f"{url.scheme}://{url.netloc}{url.path}" == SETTINGS.authorize_url
    assert parse_qs(url.query, strict_parsing=True) == {
        "response_type": ["code"],
        "client_id": ["videoatencion"],
        "redirect_uri": [REDIRECT],
        "scope": ["autenticacio_usuari"],
        "state": ["state-1"],
        "code_challenge": [_s256(pkce.verifier)],
        "code_challenge_method": ["S256"],
    }


def test_the_pkce_challenge_is_the_unpadded_base64url_sha256_of_the_verifier() -> None:
    pkce = Pkce.new()

    assert pkce.challenge == _s256(pkce.verifier)
    assert "=" not in pkce.challenge


def test_a_pkce_verifier_is_43_to_128_unreserved_characters_and_fresh_each_time() -> None:
    # RFC 7636 section 4.1: the provider refuses anything else.
    verifiers = [Pkce.new().verifier for _ in range(50)]

    assert all(re.fullmatch(r"[A-Za-z0-9._~-]{43,128}", v) for v in verifiers)
    assert len(set(verifiers)) == 50


def test_the_secret_never_appears_in_the_authorization_url() -> None:
    assert SECRET not in _client(FakeHttp()).authorize_url("state-1", Pkce.new())


# --- identify -------------------------------------------------------------------------------------------------------


def test_identify_exchanges_the_code_and_reads_the_user_info_with_the_bearer_token() -> None:
    # GIVEN a provider that answers both calls
    http = FakeHttp()

    # WHEN the code from the callback is exchanged
    identity = _client(http).identify("auth-code-1", "verifier-1")

    # THEN the token endpoint got the code with our credentials and the PKCE verifier, with a timeout
    assert http.posts == [
        (
            SETTINGS.token_url,
            {
                "grant_type": "authorization_code",
                "code": "auth-code-1",
                "redirect_uri": REDIRECT,
                "client_id": "videoatencion",
                "client_secret": SECRET,
                "code_verifier": "verifier-1",
            },
            http.posts[0][2],
        )
    ]
    # AND the user-info service was asked with the provider's bearer token, with a timeout
    assert [(url, headers) for url, headers, _ in http.gets] == [
        (SETTINGS.userinfo_url, {"Authorization": "Bearer provider-token-1"})
    ]
    assert http.posts[0][2] is not None
    assert http.gets[0][2] is not None
    assert identity == EidIdentity("12345678Z", "Anna Puig Soler", "idcatmobil", Assurance.LOW)


@pytest.mark.parametrize(
    ("level", "method", "assurance"),
    [
        ("low", "idcatmobil", Assurance.LOW),
        ("substantial", "clave", Assurance.SUBSTANTIAL),
        ("high", "certificat", Assurance.HIGH),
    ],
)
def test_each_assurance_level_becomes_the_identitys(level: str, method: str, assurance: Assurance) -> None:
    http = FakeHttp(user_info=FakeResponse(200, _user_info(assuranceLevel=level, method=method)))

    identity = _client(http).identify("auth-code-1", "verifier-1")

    assert (identity.assurance, identity.method) == (assurance, method)


@pytest.mark.parametrize(
    ("identifier", "identifier_type", "expected"),
    [
        ("X1234567L", "NIE", "X1234567L"),
        ("y1234567x", "nie", "Y1234567X"),
        ("12345678-z", "nif", "12345678Z"),
    ],
)
def test_dni_and_nie_identifiers_are_accepted_in_compact_form(
    identifier: str, identifier_type: str, expected: str
) -> None:
    http = FakeHttp(user_info=FakeResponse(200, _user_info(identifier=identifier, identifierType=identifier_type)))

    assert _client(http).identify("auth-code-1", "verifier-1").id_number == expected


def test_a_token_type_is_matched_without_regard_to_case() -> None:
    http = FakeHttp(token=FakeResponse(200, {"access_token": "provider-token-1", "token_type": "bearer"}))

    assert _client(http).identify("auth-code-1", "verifier-1").id_number == "12345678Z"


def test_a_name_without_surnames_is_the_name_alone() -> None:
    info = _user_info()
    del info["surnames"]

    assert _client(FakeHttp(user_info=FakeResponse(200, info))).identify("c", "v").name == "Anna"


@pytest.mark.parametrize(
    "info",
    [
        pytest.param(_user_info(identifierType="PASSPORT", identifier="AB1234567"), id="passport"),
        pytest.param(_user_info(identifierType=None), id="no identifier type"),
        pytest.param(_user_info(identifier="12345678A"), id="wrong check letter"),
        pytest.param(_user_info(identifier=None), id="no identifier"),
        pytest.param(_user_info(assuranceLevel="medium"), id="unknown level"),
        pytest.param(_user_info(assuranceLevel="SUBSTANTIAL"), id="level in another case"),
        pytest.param({k: v for k, v in _user_info().items() if k != "assuranceLevel"}, id="no level"),
        pytest.param(_user_info(status="ko"), id="status ko"),
        pytest.param(["12345678Z"], id="not an object"),
        pytest.param(None, id="null"),
    ],
)
def test_user_info_we_cannot_trust_is_an_eid_error(info: Any) -> None:
    _eid_error(FakeHttp(user_info=FakeResponse(200, info)))


@pytest.mark.parametrize("status", [400, 401, 500, 503])
def test_a_token_endpoint_error_is_an_eid_error_and_user_info_is_not_asked(status: int) -> None:
    http = FakeHttp(token=FakeResponse(status, {"error": "invalid_grant"}))

    error = _eid_error(http)

    assert str(status) in error.reason
    assert http.gets == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"token_type": "Bearer"}, id="no token"),
        pytest.param({"access_token": 42, "token_type": "Bearer"}, id="token not text"),
        pytest.param({"access_token": "provider-token-1"}, id="no token type"),
        pytest.param({"access_token": "provider-token-1", "token_type": "mac"}, id="not bearer"),
    ],
)
def test_a_token_answer_without_a_bearer_token_is_an_eid_error(body: dict[str, Any]) -> None:
    http = FakeHttp(token=FakeResponse(200, body))

    _eid_error(http)

    assert http.gets == []


@pytest.mark.parametrize("status", [401, 404, 500])
def test_a_user_info_error_is_an_eid_error(status: int) -> None:
    assert str(status) in _eid_error(FakeHttp(user_info=FakeResponse(status, {}))).reason


@pytest.mark.parametrize(
    "failure", [requests.ConnectionError("refused"), requests.Timeout("slow"), requests.TooManyRedirects("loop")]
)
def test_an_unreachable_token_endpoint_is_an_eid_error_naming_the_failure(failure: requests.RequestException) -> None:
    error = _eid_error(FakeHttp(token=failure))

    assert "token endpoint" in error.reason
    assert type(failure).__name__ in error.reason


@pytest.mark.parametrize("failure", [requests.ConnectionError("refused"), requests.ReadTimeout("slow")])
def test_an_unreachable_user_info_service_is_an_eid_error_naming_the_failure(
    failure: requests.RequestException,
) -> None:
    error = _eid_error(FakeHttp(user_info=failure))

    assert "user-info" in error.reason
    assert type(failure).__name__ in error.reason


def test_the_reason_never_carries_the_secret_or_the_tokens() -> None:
    for http in (
        FakeHttp(token=FakeResponse(500, {"error": SECRET})),
        FakeHttp(user_info=FakeResponse(401, {})),
        FakeHttp(token=requests.ConnectionError(f"client_secret={SECRET}")),
    ):
        reason = _eid_error(http).reason
        assert SECRET not in reason
        assert "provider-token-1" not in reason


_NOT_JSON = requests.JSONDecodeError("Expecting value", "<html>Bad gateway</html>", 0)
_CAUSE = (
    "chalicelib/auth/eid.py calls response.json() (and body.get) outside its try: a 200 answer that is not a JSON "
    "object escapes as {} instead of EidError, so eid_finish (which catches only EidError) fails with a 500"
)


def test_a_token_answer_that_is_not_json_is_an_eid_error() -> None:
    # GIVEN a proxy in front of the provider answers 200 with an HTML page
    _eid_error(FakeHttp(token=FakeResponse(200, _NOT_JSON)))


def test_a_token_answer_that_is_not_a_json_object_is_an_eid_error() -> None:
    _eid_error(FakeHttp(token=FakeResponse(200, ["provider-token-1"])))


def test_a_user_info_answer_that_is_not_json_is_an_eid_error() -> None:
    _eid_error(FakeHttp(user_info=FakeResponse(200, _NOT_JSON)))


# --- where to go afterwards ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/me", "/services/x?y=1", "/appointments/01J9ZQ#join", "/", "/services/" + "a" * 190])
def test_a_path_of_our_own_app_is_kept(path: str) -> None:
    assert safe_return_path(path) == path


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("//evil.example", id="protocol-relative"),
        pytest.param("//evil.example/me", id="protocol-relative with path"),
        pytest.param("https://evil.example", id="absolute"),
        pytest.param("javascript:alert(1)", id="script"),
        pytest.param("/\\evil.example", id="backslash"),
        pytest.param("/me\\..\\..", id="backslash later"),
        pytest.param("/me\nLocation: https://evil.example", id="newline"),
        pytest.param("/\t/evil.example", id="tab"),
        pytest.param("/me\x00", id="nul"),
        pytest.param("/" + "a" * 200, id="201 characters"),
        pytest.param("me", id="relative"),
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
        pytest.param(["/me"], id="list"),
    ],
)
def test_anything_else_goes_to_the_default(value: object) -> None:
    assert safe_return_path(value) == "/me"
    assert safe_return_path(value, default="/services") == "/services"
