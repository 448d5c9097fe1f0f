"""The fake eID provider answers the API's OAuth 2.0 client as Consorci AOC's VÀLid gateway does, with padrón people."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from dev.fake_eid import EidConfig, Person, load_people, make_server
from dev.seed import padron
from tests.fakes import ManualClock
from tests.stack import ROOT

pytestmark = pytest.mark.integration

CLIENT_ID = "videoatencion-dev"
CLIENT_SECRET = "dev-only-not-a-secret"
# Never contacted: the tests read where the provider sends the browser from the Location header.
REDIRECT_URI = "http://127.0.0.1:8000/auth/eid/callback"
PEOPLE = load_people()
METHOD_NAMES = {"idcatmobil": "idCAT Mòbil", "clave": "Cl@ve", "certificat": "Certificat digital"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def eid(clock: ManualClock) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, EidConfig(clock=clock))
    # A short poll interval: shutdown() waits for the next poll, and every test starts and stops a server.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def pkce() -> tuple[str, str]:
    """A fresh code verifier and its S256 challenge (RFC 7636 §4.1-4.2)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def auth_params(challenge: str, **overrides: str | None) -> dict[str, str]:
    defaults: dict[str, str | None] = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "autenticacio_usuari",
        "state": "st-" + secrets.token_hex(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params = defaults | overrides
    return {k: v for k, v in params.items() if v is not None}


def redirected_to(response: requests.Response) -> tuple[str, dict[str, str]]:
    """Where a 302 sends the browser: the URI without its query, and the query's parameters."""
    assert response.status_code == 302, response.text
    parts = urlsplit(response.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return f"{parts.scheme}://{parts.netloc}{parts.path}", query


def sign_in(eid: str, identifier: str, challenge: str) -> str:
    """What a person does in the browser: open the login page, choose, submit. Returns the authorization code."""
    params = auth_params(challenge)
    page = requests.get(f"{eid}/o/oauth2/auth", params=params, allow_redirects=False, timeout=5)
    assert page.status_code == 200
    form = LoginForm.parse(page.text)
    chosen = form.hidden | {"person": identifier, "action": "identify"}
    response = requests.post(f"{eid}/o/oauth2/auth", data=chosen, allow_redirects=False, timeout=5)
    target, query = redirected_to(response)
    assert target == REDIRECT_URI
    assert query["state"] == params["state"]
    return query["code"]


def token(eid: str, code: str, verifier: str, **overrides: str | None) -> requests.Response:
    defaults: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "code_verifier": verifier,
    }
    form = defaults | overrides
    return requests.post(
        f"{eid}/o/oauth2/token", data={k: v for k, v in form.items() if v is not None}, allow_redirects=False, timeout=5
    )


def user_info(eid: str, access_token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(f"{eid}/serveis-rest/getUserInfo", headers=headers, timeout=5)


class LoginForm(HTMLParser):
    """The parts of the login page a person (or a screen reader) meets."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.hidden: dict[str, str] = {}
        self.radios: list[str] = []
        self.labels: dict[str, str] = {}
        self.buttons: list[tuple[str, str]] = []
        self.fieldsets = 0
        self.legends: list[str] = []
        self.text: list[str] = []
        self._open: list[str] = []
        self._label = ""

    @classmethod
    def parse(cls, page: str) -> LoginForm:
        form = cls()
        form.feed(page)
        form.close()
        return form

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = attributes.get("lang")
        elif tag == "input" and attributes.get("type") == "hidden":
            self.hidden[attributes["name"]] = attributes["value"]
        elif tag == "input" and attributes.get("type") == "radio":
            self.radios.append(attributes["value"])
            assert attributes.get("id"), "a radio without an id cannot have a label"
        elif tag == "label":
            self.labels[attributes.get("for", "")] = ""
        elif tag == "fieldset":
            self.fieldsets += 1
        elif tag == "legend":
            self.legends.append("")
        if tag in ("legend", "button", "label"):
            self._open.append(tag)
            if tag == "button":
                self.buttons.append((attributes.get("value", ""), ""))
            elif tag == "label":
                self._label = attributes.get("for", "")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._open and self._open[-1] == "legend":
            self.legends[-1] += data
        elif self._open and self._open[-1] == "button":
            value, label = self.buttons[-1]
            self.buttons[-1] = (value, label + data)
        elif "label" in self._open:
            self.labels[self._label] += data


def test_every_person_is_a_padron_person_with_the_same_id_and_names() -> None:
    register = {p["id_number"]: p for p in padron()}

    for person in PEOPLE:
        entry = register[person.identifier]
        assert (person.name, person.surname1, person.surname2) == (
            entry["given_name"],
            entry["surname1"],
            entry["surname2"],
        )
        assert person.identifier_type == {"DNI": "nif", "NIE": "nie"}[entry["id_type"]]
        assert person.email.endswith("@vilademo.example")
        assert person.phone.startswith("+34 6")


def test_people_cover_every_level_with_the_textbook_dni_at_low() -> None:
    levels = [p.assurance_level for p in PEOPLE]
    textbook = next(p for p in PEOPLE if p.identifier == "12345678Z")

    assert len(PEOPLE) >= 4
    assert set(levels) == {"low", "substantial", "high"}
    assert levels.count("low") >= 2
    assert (textbook.method, textbook.assurance_level) == ("idcatmobil", "low")
    assert {(p.method, p.assurance_level) for p in PEOPLE} >= {("clave", "substantial"), ("certificat", "high")}


@pytest.mark.parametrize("person", PEOPLE, ids=[p.assurance_level + "-" + p.identifier for p in PEOPLE])
def test_sign_in_with_pkce_gives_the_persons_identity(eid: str, person: Person) -> None:
    # GIVEN a client that keeps the verifier and sends only its S256 challenge
    verifier, challenge = pkce()

    # WHEN the person signs in and the client redeems the code
    code = sign_in(eid, person.identifier, challenge)
    issued = token(eid, code, verifier)
    info = user_info(eid, issued.json()["access_token"])

    # THEN the client holds a bearer token that tells who signed in, how and at which level
    assert issued.status_code == 200
    assert issued.headers["Cache-Control"] == "no-store"
    assert issued.json()["token_type"] == "Bearer"
    assert issued.json()["expires_in"] == 3600
    assert info.status_code == 200
    assert info.json() == {
        "identifier": person.identifier,
        "identifierType": person.identifier_type,
        "name": person.name,
        "surnames": f"{person.surname1} {person.surname2}",
        "surname1": person.surname1,
        "surname2": person.surname2,
        "email": person.email,
        "phone": person.phone,
        "method": person.method,
        "assuranceLevel": person.assurance_level,
        "status": "ok",
    }


def test_the_rfc_7636_example_verifier_is_accepted(eid: str) -> None:
    code = sign_in(eid, "12345678Z", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")

    response = token(eid, code, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")

    assert response.status_code == 200


def test_client_credentials_by_http_basic_are_accepted(eid: str) -> None:
    verifier, challenge = pkce()
    code = sign_in(eid, "12345678Z", challenge)

    response = requests.post(
        f"{eid}/o/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=5,
    )

    assert response.status_code == 200
    assert user_info(eid, response.json()["access_token"]).json()["identifier"] == "12345678Z"


def test_a_verifier_that_does_not_match_the_challenge_is_invalid_grant_and_spends_the_code(eid: str) -> None:
    verifier, challenge = pkce()
    code = sign_in(eid, "12345678Z", challenge)

    wrong = token(eid, code, pkce()[0])
    retried = token(eid, code, verifier)

    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert (retried.status_code, retried.json()["error"]) == (400, "invalid_grant")


def test_a_code_is_single_use_and_its_reuse_revokes_the_token(eid: str) -> None:
    verifier, challenge = pkce()
    code = sign_in(eid, "12345678Z", challenge)
    first = token(eid, code, verifier)

    second = token(eid, code, verifier)

    assert first.status_code == 200
    assert (second.status_code, second.json()["error"]) == (400, "invalid_grant")
    assert user_info(eid, first.json()["access_token"]).status_code == 401


def test_a_code_expires_after_60_seconds(eid: str, clock: ManualClock) -> None:
    verifier, challenge = pkce()
    code = sign_in(eid, "12345678Z", challenge)

    clock.now += 61
    response = token(eid, code, verifier)

    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_a_different_redirect_uri_at_the_token_endpoint_is_invalid_grant(eid: str) -> None:
    verifier, challenge = pkce()
    code = sign_in(eid, "12345678Z", challenge)

    response = token(eid, code, verifier, redirect_uri="http://127.0.0.1:8000/elsewhere")

    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(
    "credentials",
    [
        {"client_secret": "not-the-secret"},
        {"client_id": "another-client"},
        {"client_secret": None},
    ],
    ids=["wrong-secret", "unknown-client", "no-secret"],
)
def test_bad_client_credentials_are_invalid_client(eid: str, credentials: dict[str, str | None]) -> None:
    verifier, challenge = pkce()
    code = sign_in(eid, "12345678Z", challenge)

    response = token(eid, code, verifier, **credentials)

    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    assert "WWW-Authenticate" in response.headers


def test_a_wrong_secret_by_http_basic_is_invalid_client(eid: str) -> None:
    response = requests.post(
        f"{eid}/o/oauth2/token",
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT_URI, "code_verifier": "x"},
        auth=(CLIENT_ID, "not-the-secret"),
        timeout=5,
    )

    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


def test_other_grant_types_are_unsupported(eid: str) -> None:
    response = token(eid, "x", "x", grant_type="password")

    assert (response.status_code, response.json()["error"]) == (400, "unsupported_grant_type")


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": "http://127.0.0.1:8000@evil.example/callback"},
        {"redirect_uri": "http://localhost.evil.example/callback"},
        {"redirect_uri": "http://127.0.0.1:8000.evil.example/callback"},
        {"redirect_uri": None},
        {"client_id": "another-client"},
    ],
    ids=["other-host", "userinfo-trick", "lookalike-host", "bad-port", "no-redirect", "unknown-client"],
)
def test_an_unregistered_client_or_redirect_gets_an_error_page_not_a_redirect(
    eid: str, overrides: dict[str, str | None]
) -> None:
    params = auth_params(pkce()[1], **overrides)

    shown = requests.get(f"{eid}/o/oauth2/auth", params=params, allow_redirects=False, timeout=5)
    chosen = params | {"person": "12345678Z", "action": "identify"}
    submitted = requests.post(f"{eid}/o/oauth2/auth", data=chosen, allow_redirects=False, timeout=5)

    for response in (shown, submitted):
        assert response.status_code == 400
        assert "Location" not in response.headers
        assert response.headers["Content-Type"].startswith("text/html")
        assert "evil.example" not in response.text


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"response_type": None}, "invalid_request"),
        ({"scope": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "openid"}, "invalid_scope"),
    ],
    ids=["no-challenge", "no-method", "plain-method", "no-response-type", "no-scope", "implicit", "other-scope"],
)
def test_a_malformed_request_goes_back_with_the_error_and_state(
    eid: str, overrides: dict[str, str | None], error: str
) -> None:
    params = auth_params(pkce()[1], **overrides)

    response = requests.get(f"{eid}/o/oauth2/auth", params=params, allow_redirects=False, timeout=5)

    target, query = redirected_to(response)
    assert target == REDIRECT_URI
    assert query["error"] == error
    assert query["state"] == params["state"]
    assert "code" not in query


def test_cancelling_goes_back_with_access_denied_and_the_state(eid: str) -> None:
    params = auth_params(pkce()[1])
    form = LoginForm.parse(requests.get(f"{eid}/o/oauth2/auth", params=params, timeout=5).text)

    response = requests.post(
        f"{eid}/o/oauth2/auth", data=form.hidden | {"action": "cancel"}, allow_redirects=False, timeout=5
    )

    target, query = redirected_to(response)
    assert target == REDIRECT_URI
    assert query["error"] == "access_denied"
    assert query["state"] == params["state"]
    assert "code" not in query


def test_submitting_without_choosing_a_person_shows_the_page_again(eid: str) -> None:
    params = auth_params(pkce()[1])

    response = requests.post(
        f"{eid}/o/oauth2/auth", data=params | {"action": "identify"}, allow_redirects=False, timeout=5
    )

    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert len(LoginForm.parse(response.text).radios) == len(PEOPLE)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", ""],
    ids=["unknown", "empty", "basic", "none"],
)
def test_user_info_without_a_valid_bearer_token_is_401(eid: str, authorization: str) -> None:
    response = requests.get(
        f"{eid}/serveis-rest/getUserInfo", headers={"Authorization": authorization} if authorization else {}, timeout=5
    )

    assert response.status_code == 401
    assert response.json() == {"status": "ko", "error": "invalid_token"}


def test_a_token_expires_after_an_hour(eid: str, clock: ManualClock) -> None:
    verifier, challenge = pkce()
    access_token = token(eid, sign_in(eid, "12345678Z", challenge), verifier).json()["access_token"]

    clock.now += 3601

    assert user_info(eid, access_token).status_code == 401


def test_the_login_page_says_it_is_a_test_provider_and_offers_each_person(eid: str) -> None:
    params = auth_params(pkce()[1])

    response = requests.get(f"{eid}/o/oauth2/auth", params=params, timeout=5)
    form = LoginForm.parse(response.text)

    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert form.lang == "ca"
    text = " ".join(" ".join(form.text).split())
    assert "Proveïdor d'identitat de proves — només per a desenvolupament" in text
    assert "Test identity provider — development only" in text
    assert form.fieldsets == 1
    assert len(form.legends) == 1
    assert form.legends[0].strip()
    assert form.radios == [p.identifier for p in PEOPLE]
    assert [label for _, label in form.buttons] == ["Identifica't", "Cancel·la"]
    for i, person in enumerate(PEOPLE, start=1):
        label = form.labels[f"person-{i}"]
        assert f"{person.name} {person.surname1} {person.surname2}" in label
        assert person.identifier in label
        assert METHOD_NAMES[person.method] in label
        assert person.assurance_level in label
    assert form.hidden == params
    assert ":focus-visible" in response.text


def test_health(eid: str) -> None:
    response = requests.get(f"{eid}/health", timeout=5)

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_the_cli_reads_its_client_from_the_environment_and_stops_on_sigterm() -> None:
    env = os.environ | {"EID_CLIENT_ID": "another-client", "EID_ALLOWED_REDIRECTS": "http://127.0.0.1:9999/"}
    process = subprocess.Popen(
        [sys.executable, "-m", "dev.fake_eid", "--port", "0"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split(" on ")[1].strip()
        challenge = pkce()[1]
        ours = auth_params(challenge, client_id="another-client", redirect_uri="http://127.0.0.1:9999/cb")
        default = auth_params(challenge)

        assert url.startswith("http://127.0.0.1:")
        assert requests.get(f"{url}/health", timeout=5).json() == {"status": "ok"}
        assert requests.get(f"{url}/o/oauth2/auth", params=ours, timeout=5).status_code == 200
        assert requests.get(f"{url}/o/oauth2/auth", params=default, timeout=5).status_code == 400
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
