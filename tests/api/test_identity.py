"""Citizens sign in with a one-time code, staff with password + emailed code; tokens are checked at the gate."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any

import jwt
import pytest
from chalice.test import Client
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chalicelib.adapters.dynamo.models import AuditItem, AuthItem, StaffItem
from dev.seed import DemoCounts
from tests.api.conftest import STAFF_PASSWORD
from tests.api.tables import dev_table

JSON = {"Content-Type": "application/json"}
ADDRESS = "laia@example.org"


def post(client: Client, path: str, body: Any, token: str | None = None) -> Any:
    headers = {**JSON, **({"Authorization": f"Bearer {token}"} if token else {})}
    return client.http.post(path, body=json.dumps(body), headers=headers)


def get(client: Client, path: str, token: str | None = None) -> Any:
    return client.http.get(path, headers={"Authorization": f"Bearer {token}"} if token else {})


def body(response: Any) -> dict[str, Any]:
    return json.loads(response.body) if response.body else {}


def last_code(client: Client, to: str) -> str:
    items = body(client.http.get(f"/dev/outbox?to={to}"))["items"]
    match = re.search(r"\b(\d{6})\b", items[0]["body"])
    assert match, items
    return match.group(1)


def request_code(client: Client, id_number: str = "12345678Z", to: str = ADDRESS, channel: str = "email") -> Any:
    return post(client, "/auth/otp", {"id_number": id_number, "channel": channel, "destination": to})


def citizen_token(client: Client, id_number: str = "12345678Z", to: str = ADDRESS) -> str:
    challenge = body(request_code(client, id_number, to))["challenge_id"]
    response = post(client, "/auth/otp/verify", {"challenge_id": challenge, "code": last_code(client, to)})
    assert response.status_code == 200, response.body
    return str(body(response)["access_token"])


def eid_token(id_number: str = "12345678Z", assurance: str = "substantial") -> str:
    """A citizen's token as the eID callback issues it (the fake provider's round trip is tested on its own)."""
    from chalicelib.bootstrap import get_container
    from chalicelib.domain.catalogue import Assurance

    return get_container().sessions.issue_citizen(id_number, Assurance(assurance), "idcat_mobil", None, None).token


def staff_token(client: Client, username: str = "agent.omac") -> str:
    first = post(client, "/auth/staff/login", {"username": username, "password": STAFF_PASSWORD})
    assert body(first)["code"] == "otp_required"
    email = f"{username}@vilademo.example"
    second = post(
        client, "/auth/staff/login", {"username": username, "password": STAFF_PASSWORD, "otp": last_code(client, email)}
    )
    assert second.status_code == 200, second.body
    return str(body(second)["access_token"])


# --- one-time codes ------------------------------------------------------------------------------------------------


def test_a_citizen_signs_in_with_a_code_sent_by_email(client: Client, demo: DemoCounts) -> None:
    requested = request_code(client)
    assert requested.status_code == 202
    challenge = body(requested)

    message = body(client.http.get(f"/dev/outbox?to={ADDRESS}"))["items"][0]
    verified = post(
        client, "/auth/otp/verify", {"challenge_id": challenge["challenge_id"], "code": last_code(client, ADDRESS)}
    )

    assert challenge["expires_in"] == 600
    assert message["subject"] == "El vostre codi de Videoatenció"
    assert verified.status_code == 200
    token = body(verified)
    assert token["token_type"] == "Bearer"
    assert 0 < token["expires_in"] <= 30 * 60
    me = body(get(client, "/me", token["access_token"]))
    assert me["kind"] == "citizen"
    assert me["id_number"] == "12345678Z"
    assert me["assurance"] == "low"
    assert me["auth_method"] == "otp"


def test_a_code_by_sms_in_spanish(client: Client, demo: DemoCounts) -> None:
    response = post(
        client,
        "/auth/otp",
        {"id_number": "x1234567l", "channel": "sms", "destination": "600 111 222", "language": "es"},
    )

    assert response.status_code == 202
    sms = body(client.http.get("/dev/outbox?to=%2B34600111222"))["items"][0]
    assert sms["body"].startswith("Su clave: ")  # its own short text: one GSM-7 segment


def test_known_and_unknown_people_get_the_same_answer(client: Client, demo: DemoCounts) -> None:
    known = request_code(client, "12345678Z", "one@example.org")  # in the padrón
    unknown = request_code(client, "00000000T", "two@example.org")  # not in the padrón

    assert known.status_code == unknown.status_code == 202
    assert set(body(known)) == set(body(unknown)) == {"challenge_id", "expires_in"}
    assert len(body(known)["challenge_id"]) == len(body(unknown)["challenge_id"])
    assert {k: v for k, v in known.headers.items() if k.lower() != "x-request-id"} == {
        k: v for k, v in unknown.headers.items() if k.lower() != "x-request-id"
    }


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"id_number": "54362315Z", "channel": "email", "destination": ADDRESS}, {"id_number"}),
        ({"id_number": "12345678Z", "channel": "fax", "destination": ADDRESS}, {"channel"}),
        ({"id_number": "12345678Z", "channel": "email", "destination": "not-an-email"}, {"destination"}),
        ({"id_number": "12345678Z", "channel": "sms", "destination": "12"}, {"destination"}),
        ({"id_number": 12345678, "channel": None}, {"id_number", "channel", "destination"}),
    ],
)
def test_bad_input_names_the_fields(
    client: Client, demo: DemoCounts, payload: dict[str, Any], fields: set[str]
) -> None:
    response = post(client, "/auth/otp", payload)

    assert response.status_code == 422
    assert {e["field"] for e in body(response)["errors"]} == fields


def test_a_code_works_once(client: Client, demo: DemoCounts) -> None:
    challenge = body(request_code(client))["challenge_id"]
    code = last_code(client, ADDRESS)
    assert post(client, "/auth/otp/verify", {"challenge_id": challenge, "code": code}).status_code == 200

    again = post(client, "/auth/otp/verify", {"challenge_id": challenge, "code": code})

    assert again.status_code == 401
    assert body(again)["code"] == "code_expired"


def test_an_expired_code_is_refused(client: Client, demo: DemoCounts) -> None:
    challenge = body(request_code(client))["challenge_id"]
    code = last_code(client, ADDRESS)
    # GIVEN eleven minutes have passed since the code was sent
    item = dev_table(AuthItem, "auth").get(f"CHALLENGE#{challenge}", "-")
    item.update(actions=[AuthItem.expires_at.set(int(time.time()) - 60)])

    response = post(client, "/auth/otp/verify", {"challenge_id": challenge, "code": code})

    assert response.status_code == 401
    assert body(response)["code"] == "code_expired"


def test_guessing_a_code_stops_after_five_attempts(client: Client, demo: DemoCounts) -> None:
    challenge = body(request_code(client))["challenge_id"]
    code = last_code(client, ADDRESS)
    wrong = "000000" if code != "000000" else "111111"

    answers = [post(client, "/auth/otp/verify", {"challenge_id": challenge, "code": wrong}) for _ in range(5)]
    right_too_late = post(client, "/auth/otp/verify", {"challenge_id": challenge, "code": code})

    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert [body(a).get("attempts_left") for a in answers[:4]] == [4, 3, 2, 1]
    assert body(answers[4])["code"] == "too_many_attempts"
    assert right_too_late.status_code == 429
    assert "Retry-After" in right_too_late.headers


def test_a_stranger_with_someones_id_number_cannot_use_up_their_codes(client: Client, demo: DemoCounts) -> None:
    # GIVEN a stranger who has codes for someone's ID number sent to eleven addresses of their own
    answers = [request_code(client, "12345678Z", f"p{i}@example.org") for i in range(11)]
    assert [a.status_code for a in answers] == [202] * 11

    # WHEN the owner signs in with a code to their own address, THEN they are in
    token = citizen_token(client, "12345678Z", ADDRESS)
    assert get(client, "/me", token).status_code == 200


def test_codes_for_one_id_number_to_one_address_are_capped(client: Client, demo: DemoCounts) -> None:
    answers = [request_code(client, "12345678Z", "p@example.org") for _ in range(4)]

    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    # the same person at another address keeps that address's own allowance
    assert request_code(client, "12345678Z", ADDRESS).status_code == 202


def test_a_neighbour_on_the_same_address_cannot_stop_anyone_else_signing_in(client: Client, demo: DemoCounts) -> None:
    # GIVEN a neighbour on the library's shared address (every request here comes from one source address) who
    # asks for codes for several ID numbers and guesses every one of them wrong
    neighbour = [("00000000T", "n@example.org")] * 4 + [("X1234567L", "m@example.org")] * 4
    challenges = [body(request_code(client, dni, to)).get("challenge_id") for dni, to in neighbour]
    guesses = [
        post(client, "/auth/otp/verify", {"challenge_id": c, "code": "000000"}).status_code
        for c in challenges
        if c
        for _ in range(6)
    ]

    # WHEN another person at the same address signs in with their own code
    token = citizen_token(client, "12345678Z", ADDRESS)

    # THEN they are in, while the neighbour stayed capped on every front
    assert get(client, "/me", token).status_code == 200
    assert len([c for c in challenges if c]) == 6  # three codes per address and ID number, then 429
    assert guesses == [401, 401, 401, 401, 429, 429] * 6  # five guesses a code, then refused


def test_public_document_checks_do_not_use_up_signing_in(client: Client, demo: DemoCounts) -> None:
    from chalicelib.domain.csv_code import new_csv

    unknown = new_csv()
    checks = [client.http.get(f"/verify/{unknown}").status_code for _ in range(31)]
    assert checks[-1] == 429  # the document checks from this address are capped ...

    # ... and signing in from the same address still works
    token = citizen_token(client)
    assert get(client, "/me", token).status_code == 200


def test_too_many_codes_to_one_address_are_rate_limited(client: Client, demo: DemoCounts) -> None:
    answers = [
        request_code(client, dni, "same@example.org") for dni in ("12345678Z", "00000000T", "X1234567L", "Y1234567X")
    ]

    assert [a.status_code for a in answers] == [202, 202, 202, 429]


# --- tokens at the gate ----------------------------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_no_token_or_a_malformed_one_is_401(client: Client, demo: DemoCounts) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        response = client.http.get("/me", headers=headers)
        assert response.status_code == 401
        assert body(response)["code"] == "invalid_token"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_forged_signature_is_401(client: Client, demo: DemoCounts) -> None:
    header, payload, signature = citizen_token(client).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = ".".join([header, _b64({**claims, "sub": "00000000T"}), signature])

    assert get(client, "/me", forged).status_code == 401


def test_alg_none_is_401(client: Client, demo: DemoCounts) -> None:
    _, payload, _ = citizen_token(client).split(".")
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."

    assert get(client, "/me", unsigned).status_code == 401


def test_hmac_signed_with_the_public_key_is_401(client: Client, demo: DemoCounts) -> None:
    token = citizen_token(client)
    claims = jwt.decode(token, options={"verify_signature": False})
    public_jwk = body(client.http.get("/.well-known/jwks.json"))["keys"][0]
    pem = jwt.PyJWK(public_jwk).key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    # The classic confusion attack: HS256 keyed with the public key's bytes (built by hand: PyJWT refuses to).
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': public_jwk['kid']})}.{_b64(claims)}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    assert get(client, "/me", forged).status_code == 401


def test_a_token_for_the_media_node_is_refused_by_the_api(client: Client, demo: DemoCounts) -> None:
    from datetime import timedelta

    from chalicelib.auth.tokens import AUDIENCE_MEDIA
    from chalicelib.bootstrap import get_container

    citizen_token(client)  # builds the container inside the patched environment
    media = get_container().tokens.issue("12345678Z", AUDIENCE_MEDIA, timedelta(minutes=2), {"kind": "citizen"})

    assert get(client, "/me", media.token).status_code == 401


def test_an_expired_token_is_401(client: Client, demo: DemoCounts) -> None:
    from datetime import UTC, datetime, timedelta

    from chalicelib.auth.tokens import AUDIENCE_API, TokenService
    from chalicelib.bootstrap import get_container

    citizen_token(client)
    container = get_container()
    keys: Any = container.tokens._signer  # the same KMS key, used with a clock an hour behind
    old = TokenService(keys, container.settings.issuer, clock=lambda: datetime.now(UTC) - timedelta(hours=1))
    expired = old.issue("12345678Z", AUDIENCE_API, timedelta(minutes=30), {"kind": "citizen"})

    assert get(client, "/me", expired.token).status_code == 401


def test_logout_revokes_the_token(client: Client, demo: DemoCounts) -> None:
    token = citizen_token(client)
    assert get(client, "/me", token).status_code == 200

    assert post(client, "/auth/logout", {}, token).status_code == 204

    after = get(client, "/me", token)
    assert after.status_code == 401
    assert body(after)["code"] == "invalid_token"


def test_jwks_publishes_the_key_that_verifies_our_tokens(client: Client, demo: DemoCounts) -> None:
    token = citizen_token(client)
    keys = body(client.http.get("/.well-known/jwks.json"))["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(k for k in keys if k["kid"] == kid)

    claims = jwt.decode(
        token, jwt.PyJWK(jwk).key, algorithms=["ES256"], audience="videoatencion-api", issuer="videoatencion"
    )

    assert jwk["kty"] == "EC"
    assert jwk["crv"] == "P-256"
    assert "d" not in jwk  # never the private part
    assert claims["sub"] == "12345678Z"
    assert claims["acr"] == "low"


# --- staff -------------------------------------------------------------------------------------------------------


def test_staff_sign_in_takes_a_password_and_an_emailed_code(client: Client, demo: DemoCounts) -> None:
    first = post(client, "/auth/staff/login", {"username": "agent.omac", "password": STAFF_PASSWORD})

    assert first.status_code == 401
    assert body(first)["code"] == "otp_required"
    token = staff_token(client, "agent.omac")
    me = body(get(client, "/me", token))
    assert me == {
        "kind": "staff",
        "username": "agent.omac",
        "name": "Laia Font Serra",
        "roles": ["agent"],
        "office": "OMAC",
        "expires_at": me["expires_at"],
    }


@pytest.mark.parametrize(("username", "password"), [("agent.omac", "wrong"), ("nobody", STAFF_PASSWORD)])
def test_wrong_password_or_unknown_user_look_the_same(
    client: Client, demo: DemoCounts, username: str, password: str
) -> None:
    response = post(client, "/auth/staff/login", {"username": username, "password": password})

    assert response.status_code == 401
    assert body(response)["code"] == "invalid_credentials"
    assert body(client.http.get(f"/dev/outbox?to={username}@vilademo.example"))["items"] == []


def test_a_wrong_staff_code_is_refused(client: Client, demo: DemoCounts) -> None:
    post(client, "/auth/staff/login", {"username": "auditor", "password": STAFF_PASSWORD})
    code = last_code(client, "auditor@vilademo.example")
    wrong = "000000" if code != "000000" else "111111"

    response = post(client, "/auth/staff/login", {"username": "auditor", "password": STAFF_PASSWORD, "otp": wrong})

    assert response.status_code == 401
    assert body(response)["code"] == "invalid_code"


def test_a_disabled_account_stops_working_at_once(client: Client, demo: DemoCounts) -> None:
    token = staff_token(client, "agent.ogat")
    assert get(client, "/me", token).status_code == 200

    dev_table(StaffItem, "staff")("agent.ogat").update(actions=[StaffItem.enabled.set(False)])

    refused = get(client, "/me", token)
    assert refused.status_code == 401
    assert body(refused)["code"] == "account_disabled"
    login = post(client, "/auth/staff/login", {"username": "agent.ogat", "password": STAFF_PASSWORD})
    assert login.status_code == 403
    assert body(login)["code"] == "account_disabled"


def test_staff_sessions_end_after_idle_time(client: Client, demo: DemoCounts) -> None:
    token = staff_token(client, "supervisor")
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    # GIVEN 31 minutes without a request
    dev_table(AuthItem, "auth")(f"SESSION#{jti}", "-").update(
        actions=[AuthItem.last_seen.set(int(time.time()) - 31 * 60)]
    )

    assert get(client, "/me", token).status_code == 401


# --- the audit trail -----------------------------------------------------------------------------------------------


def test_every_sign_in_step_is_audited_without_codes_or_passwords(client: Client, demo: DemoCounts) -> None:
    token = citizen_token(client)
    code = last_code(client, ADDRESS)
    post(client, "/auth/otp/verify", {"challenge_id": "x" * 24, "code": "123456"})
    post(client, "/auth/logout", {}, token)
    post(client, "/auth/staff/login", {"username": "admin", "password": "wrong"})
    staff_token(client, "admin")

    events = list(dev_table(AuditItem, "audit").scan())
    actions = [(e.action, e.outcome) for e in events]
    assert ("auth.otp.request", "success") in actions
    assert ("auth.otp.verify", "success") in actions
    assert ("auth.logout", "success") in actions
    assert ("auth.staff.login", "failure") in actions
    assert ("auth.staff.otp_sent", "success") in actions
    assert ("auth.staff.login", "success") in actions
    dump = json.dumps([e.attribute_values for e in events], default=str)
    assert code not in dump
    assert STAFF_PASSWORD not in dump
    assert "wrong" not in dump
    assert ADDRESS not in dump  # addresses appear masked


def test_rate_counters_do_not_store_id_numbers_or_addresses(client: Client, demo: DemoCounts) -> None:
    citizen_token(client, "12345678Z", ADDRESS)
    post(client, "/auth/staff/login", {"username": "agent.omac", "password": "wrong"})

    keys = " ".join(item.pk for item in dev_table(AuthItem, "auth").scan() if item.pk.startswith("RATE#"))
    assert keys
    for personal in ("12345678Z", ADDRESS, "agent.omac"):
        assert personal not in keys


def test_a_lockout_is_audited(client: Client, demo: DemoCounts) -> None:
    for _ in range(4):
        request_code(client, "12345678Z", "q@example.org")

    lockouts = [e for e in dev_table(AuditItem, "audit").scan() if e.action == "auth.otp.lockout"]
    assert len(lockouts) == 1
    assert lockouts[0].outcome == "denied"
