"""Availability: the slots of one service over 60 days for an office with 10 agents, against the DynamoDB reads alone.

On moto in-process (``mock_aws``), with the dev stage provisioned and seeded, OMAC gets eight more agents (ten in
all, with the varied weekly schedules of a real office) and about 30 % of its places are booked beforehand (through
the booking store, each for another citizen with one of the slot's agents). Then we time
``GET /services/residence-certificate/slots?from=&to=`` (60 days) through the Chalice test client, warm (after one
warm-up: the catalogue and availability caches are part of the design), against the BASELINE: the DynamoDB reads that
request makes, recorded from botocore's events during one request and replayed directly with boto3. A third row times
the request with those reads answered from memory: what our own code (slot computation, HTTP layer, JSON) costs.
Samples alternate so machine noise hits all alike. Target (issue 4): ratio of medians ≤ 2.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import botocore.session
from botocore import xform_name
from botocore.awsrequest import AWSResponse, HTTPHeaders
from stdnum.es import dni

from chalicelib.adapters.dynamo.booking import DynamoBookingStore, booking_store
from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.scheduling import Slot
from dev.chalice_config import stage_environment
from dev.provision import provision
from dev.run import REGION
from dev.seed import seed
from infra.resources import physical_name

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_AVAILABILITY_RUNS", "30"))
SERVICE = "residence-certificate"
OFFICE = "OMAC"
DAYS = 60
TAKEN_SHARE = 0.30
ZONE = ZoneInfo("Europe/Madrid")

Week = dict[str, list[list[str]]]


def _days(weekdays: str, *spans: tuple[str, str]) -> Week:
    """ISO weekdays ("1" = Monday … "7" = Sunday), as stored schedules key them."""
    return {day: [list(span) for span in spans] for day in weekdays}


MORNING = ("09:00", "14:00")
AFTERNOON = ("16:00", "19:00")  # OMAC opens on Thursday afternoons
# The two demo OMAC agents (dev/demo/staff.json) plus these eight: ten, full-time, part-time and afternoon shifts.
EXTRA_AGENTS: dict[str, Week] = {
    "agent.omac3": _days("12345", MORNING),
    "agent.omac4": _days("12345", MORNING),
    "agent.omac5": {**_days("1235", MORNING), **_days("4", MORNING, AFTERNOON)},
    "agent.omac6": _days("123", MORNING),
    "agent.omac7": _days("2345", ("09:00", "13:00")),
    "agent.omac8": _days("12345", ("10:00", "14:00")),
    "agent.omac9": {**_days("1235", ("09:00", "12:00")), **_days("4", ("09:00", "12:00"), AFTERNOON)},
    "agent.omac10": _days("345", MORNING),
}


def add_agents(dynamodb: Any) -> None:
    """Staff accounts like those of dev/demo/staff.json: role agent, office OMAC, a weekly schedule there."""
    with dynamodb.Table(physical_name("dev", "staff")).batch_writer() as batch:
        for username, weekly in EXTRA_AGENTS.items():
            batch.put_item(
                Item={
                    "username": username,
                    "name": f"Bench {username}",
                    "email": f"{username}@vilademo.example",
                    "roles": ["agent"],
                    "office": OFFICE,
                    "enabled": True,
                    "schedule": {OFFICE: weekly},
                }
            )


def book_share(store: DynamoBookingStore, slots: list[tuple[Slot, int]], share: float, seed: int = 4) -> int:
    """Book about ``share`` of each slot's places, each for another citizen with one of the slot's agents, through
    the booking store (whose writes the caller collects). Returns how many."""
    rng = random.Random(seed)  # noqa: S311 - made-up bookings, not secrets
    created = datetime.now(UTC)
    booked = 0
    for slot, left in slots:
        taken = sum(rng.random() < share for _ in range(left))
        for agent in rng.sample(slot.free_agents(set()), taken):  # nothing is booked yet: all are free
            number = f"98{booked:06d}"
            appointment = Appointment(
                id=str(uuid.uuid4()),
                service_id=slot.service_id,
                office=slot.office,
                start=slot.start,
                end=slot.end,
                status=Status.BOOKED,
                citizen=number + dni.calc_check_digit(number),
                citizen_contact=None,
                contact=Contact(email="bench@example.org"),
                language="ca",
                agent=agent,
                units=slot.units,
                created_at=created,
                created_by="staff:agent.omac",
            )
            store.book(appointment, max_active=1)
            booked += 1
    return booked


class DynamoCalls:
    """The DynamoDB calls made through one botocore session, seen on its events. Clients created from the session
    after this is built carry the hooks, which do nothing while ``mode`` is ``"off"`` (``main`` has PynamoDB's
    connections, which make a session each, share that one). Modes:

    - ``record``: keep each call and its answer (one request's reads: the baseline replays them);
    - ``serve``: answer the recorded calls from memory (what the request costs without DynamoDB);
    - ``collect``: keep each transaction's writes instead of making them; ``write_collected`` then makes them in bulk.
      Only to set the scene: moto copies every table for each transaction and scans a whole partition for each
      Query, so a thousand bookings made one by one take minutes. The writes are whatever the booking store writes.
    """

    EVENTS = ("provide-client-params.dynamodb", "before-call.dynamodb", "after-call.dynamodb")

    def __init__(self, events: Any) -> None:
        self.mode = "off"
        self.calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []  # operation, parameters, answer
        self.collected: list[dict[str, Any]] = []  # TransactItems
        self._answers: dict[str, dict[str, Any]] = {}
        self._events = events
        for event, handler in zip(self.EVENTS, (self._params, self._before, self._after), strict=True):
            events.register(event, handler, unique_id=f"bench-availability-{event}")

    def close(self) -> None:
        for event in self.EVENTS:
            self._events.unregister(event, unique_id=f"bench-availability-{event}")

    def _params(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if self.mode in ("record", "serve"):
            context["bench_key"] = model.name + json.dumps(params, sort_keys=True, default=str)
            context["bench_params"] = copy.deepcopy(params)
        elif self.mode == "collect" and model.name == "TransactWriteItems":
            self.collected += copy.deepcopy(params["TransactItems"])

    def _before(self, model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if self.mode == "serve":
            return AWSResponse("", 200, HTTPHeaders(), None), self._answers[context["bench_key"]]
        if self.mode == "collect":
            if model.name != "TransactWriteItems":
                raise RuntimeError(f"setting the scene: unexpected {model.name}")
            return AWSResponse("", 200, HTTPHeaders(), None), {}
        return None

    def _after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if self.mode == "record":
            self.calls.append((model.name, context["bench_params"], parsed))
            self._answers[context["bench_key"]] = parsed

    def write_collected(self, client: Any) -> int:
        """The collected writes: puts in batches of 25 (their conditions only guard against races; there are none
        here, and every key is new), updates and deletes one by one. Returns how many writes."""
        puts: dict[str, list[dict[str, Any]]] = {}
        for item in self.collected:
            for kind, write in item.items():
                if kind == "Put":
                    puts.setdefault(write["TableName"], []).append({"PutRequest": {"Item": write["Item"]}})
                elif kind == "Update":
                    client.update_item(**write)
                elif kind == "Delete":
                    client.delete_item(**write)
        for table, rows in puts.items():
            for first in range(0, len(rows), 25):
                pending: dict[str, Any] = {table: rows[first : first + 25]}
                while pending:
                    pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        written = len(self.collected)
        self.collected = []
        return written

    def replay(self, client: Any) -> int:
        """BASELINE: the recorded calls, straight boto3; returns the items read."""
        items = 0
        for operation, params, _ in self.calls:
            items += len(getattr(client, xform_name(operation))(**params).get("Items", ()))
        return items

    @contextlib.contextmanager
    def in_mode(self, mode: str) -> Iterator[None]:
        self.mode = mode
        try:
            yield
        finally:
            self.mode = "off"


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))]


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


@contextlib.contextmanager
def bench_environment() -> Iterator[None]:
    """The dev stage's variables on in-process moto; whatever an earlier benchmark set is put back afterwards."""
    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)  # an earlier benchmark's moto server: here moto is in-process
    os.environ.update(
        {
            **stage_environment("dev"),
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AUTH_MIN_RESPONSE_MS": "0",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main() -> int:
    from chalice.test import Client
    from moto import mock_aws

    from chalicelib import bootstrap
    from chalicelib.adapters import aws
    from chalicelib.domain.catalogue import OfficeId

    with bench_environment(), mock_aws(), contextlib.chdir(ROOT):
        provision("dev", REGION)
        seed("dev", REGION, None)
        add_agents(aws.session(REGION).resource("dynamodb"))
        dynamodb = aws.client("dynamodb", REGION)

        # Every PynamoDB connection made from here on (the booking store's, the API's) uses this one session.
        shared = botocore.session.get_session()
        calls = DynamoCalls(shared.get_component("event_emitter"))
        sharing = mock.patch("pynamodb.connection.base.get_session", return_value=shared)
        sharing.start()

        # The scene: about 30 % of the places of the next 60 days booked.
        bootstrap.reset()
        container = bootstrap.get_container()
        today = datetime.now(ZONE).date()
        last_day = today + timedelta(days=DAYS - 1)
        agents = len(container.booking.availability(OfficeId(OFFICE)).agents)
        before = container.booking.slots(SERVICE, today, last_day)
        places = sum(left for _, left in before)
        started = time.perf_counter()
        settings = container.settings
        store = booking_store(
            settings.table_appointments,
            settings.table_booking,
            region=REGION,
            host=None,
            zone=ZoneInfo(settings.timezone),
        )
        with calls.in_mode("collect"):
            booked = book_share(store, before, TAKEN_SHARE)
        writes = calls.write_collected(dynamodb)
        setting = time.perf_counter() - started
        bootstrap.reset()  # the API builds its own services on its first request

        from app import app
        from chalicelib.observability import logger

        logger.setLevel("WARNING")
        path = f"/services/{SERVICE}/slots?from={today.isoformat()}&to={last_day.isoformat()}"
        api: list[float] = []
        own: list[float] = []
        baseline: list[float] = []
        try:
            with Client(app, stage_name="dev", project_dir=str(ROOT)) as client:
                # Warm-up: builds the services, fills the catalogue and availability caches.
                warm = client.http.get(path)
                if warm.status_code != 200:
                    raise RuntimeError(f"GET {path} answered {warm.status_code}: {warm.body!r}")
                with calls.in_mode("record"):
                    recorded = client.http.get(path)
                if not calls.calls:
                    raise RuntimeError(f"GET {path} made no DynamoDB call through the shared session: no baseline")
                items_read = sum(len(answer.get("Items", ())) for _, _, answer in calls.calls)
                for _ in range(RUNS):
                    elapsed, response = timed(lambda: client.http.get(path))
                    api.append(elapsed)
                    elapsed, _ = timed(lambda: calls.replay(dynamodb))
                    baseline.append(elapsed)
                    with calls.in_mode("serve"):
                        elapsed, served = timed(lambda: client.http.get(path))
                    own.append(elapsed)
        finally:
            calls.close()
            sharing.stop()
            bootstrap.reset()
        items = json.loads(response.body)["items"]
        if not json.loads(recorded.body)["items"] == json.loads(served.body)["items"] == items:
            raise RuntimeError("the answers differ between the real reads and the same reads from memory")

    offered = sum(item["available"] for item in items)
    days = {item["start"][:10] for item in items}
    operations = sorted({operation for operation, _, _ in calls.calls})
    print(f"Availability: GET /services/{SERVICE}/slots, {DAYS} days ({today} to {last_day}), moto in-process:")
    print(
        f"  {OFFICE} with {agents} agents: {len(before)} slots, {places} places; {booked} booked beforehand "
        f"({booked / places:.0%}; {writes} writes in {setting:.0f} s)"
    )
    print(
        f"  answer: {len(items)} slots with room on {len(days)} days, {offered} places "
        f"({'=' if offered == places - booked else 'DIFFERS from'} {places} - {booked})"
    )
    print(f"  DynamoDB reads per request: {len(calls.calls)} calls ({', '.join(operations)}), {items_read} items")
    print(f"  {RUNS} warm samples each, alternating:     {'median':>9} {'p95':>9}")
    rows = (
        ("API (test client, full request)", api),
        ("baseline (the same reads, boto3)", baseline),
        ("API with those reads from memory", own),
    )
    for label, samples in rows:
        median, p95 = statistics.median(samples) * 1000, percentile(samples, 0.95) * 1000
        print(f"  {label:40} {median:6.1f} ms {p95:6.1f} ms")
    ratio = statistics.median(api) / statistics.median(baseline)
    print(f"  ratio API / baseline: {ratio:.2f} (medians); target ≤ 2")
    share = statistics.median(own) / statistics.median(api)
    print(f"  moto's cost per item read dominates both; our own code is {share:.0%} of the API median (last row)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
