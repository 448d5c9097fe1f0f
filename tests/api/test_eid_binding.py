"""eID login CSRF: a flow finishes only in the browser that started it, and hands its token to that attempt only."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from chalice.test import Client

from chalicelib.adapters.dynamo.models import AuditItem
from chalicelib.auth.eid import EidClient
from chalicelib.bootstrap import get_container
from chalicelib.domain.audit import RequestContext
from chalicelib.services.identity import CitizenSignIn
from dev.seed import DemoCounts
from tests.api.tables import dev_table
from tests.fakes import FakeEidProvider

ATTEMPT = "attempt-0123456789abcdef"


@pytest.fixture
def sign_in(client: Client, demo: DemoCounts) -> CitizenSignIn:
    client.http.get("/health")  # builds the container inside the stage's environment
    c = get_container()

    def provider() -> EidClient:
        return cast(EidClient, FakeEidProvider())

    return CitizenSignIn(
        c.auth_store, c.sessions, c.notifier, c.audit, c.pepper, c.limits, provider, "https://cita.example"
    )


def _start(sign_in: CitizenSignIn) -> tuple[str, str]:
    url, browser = sign_in.eid_start("/me", ATTEMPT)
    return parse_qs(urlsplit(url).query)["state"][0], browser


def _finish(sign_in: CitizenSignIn, state: str, browser: str | None) -> dict[str, str]:
    done = sign_in.eid_finish({"state": state, "code": "provider-code"}, browser, RequestContext("r", "192.0.2.1"))
    return dict(parse_qsl(urlsplit(done).fragment))


def test_the_browser_that_started_the_flow_gets_a_token_for_its_attempt(sign_in: CitizenSignIn) -> None:
    state, browser = _start(sign_in)

    fragment = _finish(sign_in, state, browser)

    assert fragment["access_token"]
    assert fragment["attempt"] == ATTEMPT


@pytest.mark.parametrize("cookie", [None, "someone-elses-browser-value"])
def test_a_flow_finished_in_another_browser_gives_no_token(sign_in: CitizenSignIn, cookie: Any) -> None:
    # GIVEN a stranger who started a flow and sends someone else's browser to the callback with it
    state, _ = _start(sign_in)

    fragment = _finish(sign_in, state, cookie)

    assert fragment == {"error": "eid_failed"}
    refused = [e for e in dev_table(AuditItem, "audit").scan() if e.action == "auth.eid.signin"]
    assert [e.outcome for e in refused] == ["denied"]


def test_the_start_sets_an_http_only_same_site_cookie_and_needs_an_attempt(client: Client, demo: DemoCounts) -> None:
    started = client.http.get("/auth/eid/start?return_to=/me&attempt=" + ATTEMPT)
    without_attempt = client.http.get("/auth/eid/start?return_to=/me")

    assert started.status_code == 302
    cookie = started.headers["Set-Cookie"]
    assert cookie.startswith("eid_flow=")
    assert {"HttpOnly", "SameSite=Lax", "Path=/api/auth/eid"} <= {part.strip() for part in cookie.split(";")}
    assert without_attempt.status_code == 422


def test_the_callback_reads_the_cookie_and_clears_it(client: Client, demo: DemoCounts) -> None:
    started = client.http.get("/auth/eid/start?return_to=/me&attempt=" + ATTEMPT)
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]

    # a browser with cookies of its own, but not this flow's
    back = client.http.get(f"/auth/eid/callback?state={state}&code=x", headers={"Cookie": "other=1"})

    assert "error=eid_failed" in back.headers["Location"]
    assert "Max-Age=0" in back.headers["Set-Cookie"]
    reasons = [
        e.details.attribute_values.get("reason")
        for e in dev_table(AuditItem, "audit").scan()
        if e.action == "auth.eid.signin"
    ]
    assert reasons == ["started in another browser"]
