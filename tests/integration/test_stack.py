"""The stack that ``make run`` starts answers as a newcomer expects, and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dev.processes import alive, children_of
from tests.stack import RunningStack, get, start_stack

pytestmark = pytest.mark.integration


def test_api_is_healthy(stack: RunningStack) -> None:
    response = get(f"{stack.api_url}/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_catalogue_through_the_spa_proxy_matches_the_api(stack: RunningStack) -> None:
    direct = get(f"{stack.api_url}/services").json()
    proxied = get(f"{stack.web_url}/api/services").json()

    assert proxied == direct
    assert len(direct["items"]) >= 6
    assert {"residence-certificate", "payment-letter", "direct-debit", "instalment-plan"} <= {
        s["id"] for s in direct["items"]
    }


@pytest.mark.parametrize("path", ["/nope", "/services/x/y/z", "/api"])
def test_unknown_routes_answer_problem_json_404(stack: RunningStack, path: str) -> None:
    response = get(f"{stack.api_url}{path}")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_unknown_route_through_the_proxy_is_the_same_problem(stack: RunningStack) -> None:
    response = get(f"{stack.web_url}/api/no-such-route")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_media_node_is_healthy(stack: RunningStack) -> None:
    body = get(f"{stack.media_url}/health").json()

    assert body == {"status": "ok"}


def test_spa_deep_link_serves_the_app(stack: RunningStack) -> None:
    response = get(f"{stack.web_url}/services/payment-letter")

    assert response.status_code == 200
    html = response.content.decode("utf-8")
    assert '<div id="app">' in html
    assert "<title>Videoatenció</title>" in html


def test_moto_answers_one_request_at_a_time(stack: RunningStack) -> None:
    """Concurrent AWS calls are serialised: each one still succeeds (moto is not thread-safe)."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: get(f"{stack.api_url}/services/payment-letter").status_code, range(24)))

    assert statuses == [200] * 24


def test_ctrl_c_stops_every_process_it_started(tmp_path: Path) -> None:
    own = start_stack(tmp_path / "logs")
    children = children_of(own.process.pid)
    assert len(children) == 5  # moto, fake eID provider, API, media node, SPA server

    assert own.stop() == 0

    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)]
