"""Identity routes: one-time codes, eID, staff sign-in, the caller's own profile, logout, and our public keys."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from chalice.app import Response

from chalicelib.api import commands
from chalicelib.api.blueprint import ApiBlueprint, json_response, principal
from chalicelib.api.request import context_of, json_object, with_language
from chalicelib.bootstrap import get_container
from chalicelib.domain.identifiers import masked

auth = ApiBlueprint(__name__)

NO_STORE: dict[str, str] = {"Cache-Control": "no-store"}


def _token_body(token: str, expires_in: int) -> dict[str, object]:
    return {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}


@auth.route("/auth/otp", methods=["POST"])
def request_code() -> Response:
    request = auth.current_request
    asked = commands.request_code(with_language(request, json_object(request)))
    challenge_id, lifetime = get_container().citizen_sign_in.request_code(asked, context_of(request))
    return json_response({"challenge_id": challenge_id, "expires_in": lifetime}, status=202, headers=NO_STORE)


@auth.route("/auth/otp/verify", methods=["POST"])
def verify_code() -> Response:
    request = auth.current_request
    entry = commands.code_entry(json_object(request))
    issued = get_container().citizen_sign_in.verify_code(entry, context_of(request))
    return json_response(_token_body(issued.token, issued.expires_in), headers=NO_STORE)


# The eID flow's browser binding (services/identity.py): only for the eID routes, never readable by scripts, and
# sent on the provider's top-level redirect back to us (SameSite=Lax), not on cross-site subrequests.
EID_COOKIE = "eid_flow"
EID_COOKIE_PATH = "/api/auth/eid"


def _eid_cookie(value: str, max_age: int) -> str:
    secure = "" if get_container().settings.is_dev else "; Secure"  # the local stack is plain http
    return f"{EID_COOKIE}={value}; Path={EID_COOKIE_PATH}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"


@auth.route("/auth/eid/start", methods=["GET"])
def eid_start() -> Response:
    params: dict[str, str] = dict(auth.current_request.query_params or {})
    container = get_container()
    location, browser = container.citizen_sign_in.eid_start(params.get("return_to"), params.get("attempt"))
    cookie = _eid_cookie(browser, container.limits.eid_flow_minutes * 60)
    return Response(body="", status_code=302, headers={"Location": location, "Set-Cookie": cookie, **NO_STORE})


@auth.route("/auth/eid/callback", methods=["GET"])
def eid_callback() -> Response:
    request = auth.current_request
    cookies = SimpleCookie()
    try:
        cookies.load(request.headers.get("cookie") or "")
    except CookieError:
        cookies.clear()
    browser = cookies[EID_COOKIE].value if EID_COOKIE in cookies else None
    location = get_container().citizen_sign_in.eid_finish(
        dict(request.query_params or {}), browser, context_of(request)
    )
    headers: dict[str, str | list[str]] = {
        "Location": location,
        "Set-Cookie": _eid_cookie("", 0),
        **NO_STORE,
        "Referrer-Policy": "no-referrer",
    }
    return Response(body="", status_code=302, headers=headers)


@auth.route("/auth/staff/login", methods=["POST"])
def staff_login() -> Response:
    request = auth.current_request
    login = commands.staff_login(with_language(request, json_object(request)))
    issued = get_container().staff_sign_in.login(login, context_of(request))
    return json_response(_token_body(issued.token, issued.expires_in), headers=NO_STORE)


@auth.route("/auth/logout", methods=["POST"], auth="any", scoped=True)
def logout() -> Response:
    from chalicelib.domain.audit import AuditEvent, Outcome

    caller = principal()
    container = get_container()
    container.sessions.revoke(caller)
    container.audit.record(
        AuditEvent(
            actor=caller.actor,
            action="auth.logout",
            subject=f"{caller.kind}:{caller.subject}",
            outcome=Outcome.SUCCESS,
            context=context_of(auth.current_request),
            purpose="identification",
        )
    )
    return Response(body="", status_code=204, headers={"Cache-Control": "no-store"})


@auth.route("/me", methods=["GET"], auth="any")
def me() -> Response:
    caller = principal()
    expires_at = caller.expires_at.isoformat()
    if caller.is_citizen:
        body: dict[str, object] = {
            "kind": "citizen",
            "id_number": caller.subject,
            "id_number_masked": masked(caller.subject),
            "name": caller.name,
            "assurance": caller.assurance.value,
            "auth_method": caller.auth_method,
            "expires_at": expires_at,
        }
    else:
        body = {
            "kind": "staff",
            "username": caller.subject,
            "name": caller.name,
            "roles": sorted(r.value for r in caller.roles),
            "office": caller.office if caller.office else None,
            "expires_at": expires_at,
        }
    return json_response(body, headers=NO_STORE)


@auth.route("/.well-known/jwks.json", methods=["GET"])
def jwks() -> Response:
    return json_response(get_container().tokens.jwks(), headers={"Cache-Control": "public, max-age=300"})
