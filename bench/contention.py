"""Booking under contention: 50 concurrent clients on 5 slot starts through the HTTP API, against the moto server.

The stack's pieces run in this process: the serialised moto server (one AWS call at a time, so any double booking
is ours, not moto's) and the API on Chalice's local server (``dev.api_server.build_server``), both on free ports,
with the dev stage provisioned and seeded.

Who books: a source address may ask for 10 sign-in codes per 15 minutes (fixed, not configurable), so there are 10
signed-in citizens; each books the three OMAC services that can be booked with a code (residence-certificate,
change-of-address, general-information: they share OMAC's agents) — 30 clients. The other 20 are an OMAC agent
booking for 20 other citizens on the phone. No (citizen, service) pair repeats and nobody goes over the limit of
active appointments (set to 3, its default, since the design relies on it), so capacity is the only thing that can
refuse a client: exactly ``capacity`` must succeed.

Where: the first 5 starts in the next two weeks that all three services offer with the same ``available`` (from
``GET /services/{id}/slots``); capacity is the sum. 10 clients per start, mixed services, shuffled, all released
together (``threading.Barrier``, one ``requests.Session`` each, connection opened beforehand). The baseline is the
same kind of booking made one at a time on other days, in the same run.

The local server answers requests in threads; the app keeps the request being served per thread
(``chalicelib/api/application.py``, aws/chalice#759), as many Lambda processes would. Each success is checked to
carry its own request's service, start and contact address.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import math
import os
import random
import re
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests
from stdnum.es import dni

from dev.api_server import GatewayRequestHandler, build_server
from dev.chalice_config import stage_environment
from dev.moto_server import make_serialised_server
from dev.provision import provision
from dev.run import REGION, aws_environment
from dev.seed import seed

SERVICES = ("residence-certificate", "change-of-address", "general-information")
STARTS = 5
CITIZENS = 10  # the per-address limit on sign-in codes
PHONE_BOOKINGS = 20
UNCONTENDED = 10
AGENT = "agent.omac"
PASSWORD = "bench: correct horse battery staple"  # noqa: S105 - demo staff of a throwaway moto
ZONE = ZoneInfo("Europe/Madrid")
TIMEOUT = 120


class _QuietHandler(GatewayRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """One line per request would bury the figures."""


@dataclass(frozen=True)
class Attempt:
    who: str  # "citizen" | "agent"
    token: str
    service: str
    start: str
    email: str
    citizen: str | None = None  # the agent books for this citizen

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "service_id": self.service,
            "start": self.start,
            "language": "ca",
            "contact": {"email": self.email},
        }
        if self.citizen:
            body["citizen"] = {"id_number": self.citizen, "name": "Bench Citizen"}
        return body


@dataclass
class Result:
    attempt: Attempt
    seconds: float
    status: int
    body: dict[str, Any]


def _dni(n: int) -> str:
    number = f"99{n:06d}"
    return number + dni.calc_check_digit(number)


def _json(response: requests.Response) -> dict[str, Any]:
    return dict(response.json()) if response.content else {}


def _code(http: requests.Session, api: str, to: str) -> str:
    items = _json(http.get(f"{api}/dev/outbox", params={"to": to}, timeout=TIMEOUT))["items"]
    match = re.search(r"\b(\d{6})\b", items[0]["body"]) if items else None
    if match is None:
        raise RuntimeError(f"no code in the outbox for {to}")
    return match.group(1)


def citizen_token(http: requests.Session, api: str, id_number: str, email: str) -> str:
    asked = http.post(
        f"{api}/auth/otp", json={"id_number": id_number, "channel": "email", "destination": email}, timeout=TIMEOUT
    )
    if asked.status_code != 202:
        raise RuntimeError(f"POST /auth/otp answered {asked.status_code}: {asked.text}")
    verify = {"challenge_id": _json(asked)["challenge_id"], "code": _code(http, api, email)}
    verified = http.post(f"{api}/auth/otp/verify", json=verify, timeout=TIMEOUT)
    if verified.status_code != 200:
        raise RuntimeError(f"POST /auth/otp/verify answered {verified.status_code}: {verified.text}")
    return str(_json(verified)["access_token"])


def staff_token(http: requests.Session, api: str, username: str) -> str:
    login = {"username": username, "password": PASSWORD}
    first = http.post(f"{api}/auth/staff/login", json=login, timeout=TIMEOUT)
    if _json(first).get("code") != "otp_required":
        raise RuntimeError(f"staff login answered {first.status_code}: {first.text}")
    otp = _code(http, api, f"{username}@vilademo.example")
    second = http.post(f"{api}/auth/staff/login", json={**login, "otp": otp}, timeout=TIMEOUT)
    if second.status_code != 200:
        raise RuntimeError(f"staff login answered {second.status_code}: {second.text}")
    return str(_json(second)["access_token"])


def offered(http: requests.Session, api: str, service: str, first: date, last: date) -> dict[str, int]:
    """Start → places left, as the SPA sees them."""
    response = http.get(
        f"{api}/services/{service}/slots", params={"from": first.isoformat(), "to": last.isoformat()}, timeout=TIMEOUT
    )
    response.raise_for_status()
    return {item["start"]: int(item["available"]) for item in _json(response)["items"]}


def book(http: requests.Session, api: str, attempt: Attempt) -> Result:
    headers = {"Authorization": f"Bearer {attempt.token}"}
    started = time.perf_counter()
    response = http.post(f"{api}/appointments", json=attempt.payload(), headers=headers, timeout=TIMEOUT)
    return Result(attempt, time.perf_counter() - started, response.status_code, _json(response))


def race(api: str, attempts: list[Attempt]) -> tuple[list[Result], float]:
    """Every attempt from its own thread and session, released together; returns results and the burst's span."""
    barrier = threading.Barrier(len(attempts) + 1)
    results: list[Result | None] = [None] * len(attempts)

    def client(index: int, attempt: Attempt) -> None:
        with requests.Session() as http:
            http.get(f"{api}/health", timeout=TIMEOUT).raise_for_status()  # the connection is open beforehand
            barrier.wait()
            results[index] = book(http, api, attempt)

    threads = [threading.Thread(target=client, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    barrier.wait()
    released = time.perf_counter()
    for thread in threads:
        thread.join()
    span = time.perf_counter() - released
    done = [r for r in results if r is not None]
    if len(done) != len(attempts):
        raise RuntimeError("a client thread failed")
    return done, span


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile (of 50 samples, p99 is the slowest)."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))]


@contextlib.contextmanager
def stack() -> Iterator[str]:
    """moto (serialised) and the API on free ports in this process, dev stage provisioned and seeded; the API's
    base URL. Both servers are stopped and the environment put back afterwards."""
    from chalicelib import bootstrap

    saved = dict(os.environ)
    moto = make_serialised_server("127.0.0.1", 0)
    threading.Thread(target=moto.serve_forever, daemon=True).start()
    os.environ.update(aws_environment(moto.server_port))
    os.environ.update(stage_environment("dev"))
    os.environ.update(
        {
            "AUTH_MIN_RESPONSE_MS": "0",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "MAX_ACTIVE_APPOINTMENTS": str(len(SERVICES)),
        }
    )
    api = serving = None
    try:
        provision("dev", REGION, os.environ["AWS_ENDPOINT_URL"])
        seed("dev", REGION, os.environ["AWS_ENDPOINT_URL"], PASSWORD)
        bootstrap.reset()
        api = build_server("127.0.0.1", 0)
        handler = api.server.RequestHandlerClass
        if isinstance(handler, functools.partial):
            api.server.RequestHandlerClass = functools.partial(_QuietHandler, *handler.args, **handler.keywords)
        from chalicelib.observability import logger

        logger.setLevel("WARNING")
        serving = threading.Thread(target=api.server.serve_forever, daemon=True)
        serving.start()
        yield f"http://127.0.0.1:{api.server.server_address[1]}"
    finally:
        if api is not None:
            if serving is not None:  # shutdown() waits for a serve_forever() that must have started
                api.shutdown()
            api.server.server_close()
        moto.shutdown()
        moto.server_close()
        bootstrap.reset()
        os.environ.clear()
        os.environ.update(saved)


def main() -> int:
    with stack() as api, requests.Session() as http:
        today = datetime.now(ZONE).date()
        last = today + timedelta(days=13)

        # Where: the first starts all three services offer, with the same places left for each.
        offers = {service: offered(http, api, service, today, last) for service in SERVICES}
        common = sorted(set.intersection(*(set(o) for o in offers.values())), key=datetime.fromisoformat)
        starts = [s for s in common if len({offers[service][s] for service in SERVICES}) == 1][:STARTS]
        if len(starts) < STARTS:
            raise RuntimeError(f"only {len(starts)} starts offered alike by {', '.join(SERVICES)}")
        capacity = {s: offers[SERVICES[0]][s] for s in starts}

        # Who: 10 signed-in citizens and an agent on the phone.
        citizens = [citizen_token(http, api, _dni(i + 1), f"bench.citizen{i + 1}@example.org") for i in range(CITIZENS)]
        agent = staff_token(http, api, AGENT)

        # Baseline (and warm-up): the agent books one at a time, on days after those raced for.
        later = [
            s
            for s, left in offered(http, api, SERVICES[0], today, today + timedelta(days=27)).items()
            if left > 0 and s[:10] > starts[-1][:10]
        ][:UNCONTENDED]
        alone = [
            book(http, api, Attempt("agent", agent, SERVICES[0], s, f"bench.alone{n}@example.org", _dni(900 + n)))
            for n, s in enumerate(later)
        ]
        if any(r.status != 201 for r in alone):
            raise RuntimeError(f"an uncontended booking failed: {[(r.status, r.body) for r in alone]}")

        attempts = [
            Attempt("citizen", token, service, starts[(c * len(SERVICES) + s) % STARTS], f"bench.c{c}s{s}@example.org")
            for c, token in enumerate(citizens)
            for s, service in enumerate(SERVICES)
        ]
        attempts += [
            Attempt(
                "agent",
                agent,
                SERVICES[j % len(SERVICES)],
                starts[j % STARTS],
                f"bench.p{j}@example.org",
                _dni(100 + j),
            )
            for j in range(PHONE_BOOKINGS)
        ]
        random.Random(7).shuffle(attempts)  # noqa: S311 - arrival order, not a secret
        results, span = race(api, attempts)
        after = {service: offered(http, api, service, today, last) for service in SERVICES}
        left = {s: max(after[service].get(s, 0) for service in SERVICES) for s in starts}
        agenda: collections.Counter[str] = collections.Counter()
        for day in sorted({s[:10] for s in starts}):
            response = http.get(f"{api}/agenda", params={"date": day}, headers={"Authorization": f"Bearer {agent}"})
            response.raise_for_status()
            agenda.update(
                a["start"] for a in _json(response)["items"] if a["status"] == "booked" and a["start"] in starts
            )

    won = [r for r in results if r.status == 201]
    refused = collections.Counter(str(r.body.get("code")) for r in results if r.status == 409)
    other = collections.Counter(
        f"{r.status} {r.body.get('code', '')}".strip() for r in results if r.status not in (201, 409)
    )
    crossed = [
        r
        for r in won
        if (r.body.get("start"), r.body.get("service_id"), r.body.get("contact", {}).get("email"))
        != (r.attempt.start, r.attempt.service, r.attempt.email)
    ]
    per_start = collections.Counter(r.attempt.start for r in won)
    total = sum(capacity.values())
    ok = len(won) == total and not other and not crossed
    ok = ok and all(per_start[s] == capacity[s] == agenda[s] and left[s] == 0 for s in starts)

    seconds = [r.seconds for r in results]
    print(
        f"Booking under contention: {len(attempts)} concurrent POST /appointments on {STARTS} slot starts, moto server:"
    )
    print(
        f"  clients: {CITIZENS} citizens x {len(SERVICES)} OMAC services + {PHONE_BOOKINGS} bookings by an agent "
        f"for callers on the phone; {len(attempts) // STARTS} per start"
    )
    for s in starts:
        flag = "" if per_start[s] == capacity[s] == agenda[s] and left[s] == 0 else "   <-- MISMATCH"
        print(f"  {s}  capacity {capacity[s]}  booked {per_start[s]}  in the agenda {agenda[s]}  left {left[s]}{flag}")
    kinds = collections.Counter(r.attempt.who for r in won)
    print(
        f"  attempts {len(results)}, successes {len(won)} ({kinds['citizen']} citizens, {kinds['agent']} by phone), "
        f"capacity {total}"
    )
    print(f"  409 by code: {dict(sorted(refused.items())) or 'none'}; other answers: {dict(other) or 'none'}")
    if crossed:
        print(f"  successes answered with another client's service, start or contact: {len(crossed)}")
    print(f"  {'latency':34} {'median':>9} {'p99':>9}")
    rows = (
        (f"all {len(results)}, released together", seconds),
        ("  the successes", [r.seconds for r in won]),
        ("  the 409s", [r.seconds for r in results if r.status == 409]),
        (f"baseline: {len(alone)} bookings one at a time", [r.seconds for r in alone]),
    )
    for label, samples in rows:
        if samples:
            median, p99 = statistics.median(samples) * 1000, percentile(samples, 0.99) * 1000
            print(f"  {label:34} {median:6.0f} ms {p99:6.0f} ms")
    print(f"  the burst took {span * 1000:.0f} ms from release to the last answer")
    if ok:
        print(f"  OK: successes = capacity = {total}, per start, in the agenda, and no place left at those starts")
    else:
        print("  " + "!" * 72)
        print(f"  FAIL: {len(won)} successes for a capacity of {total} (see the rows above)")
        print("  " + "!" * 72)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
