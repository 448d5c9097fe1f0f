"""What the node tells ECS's autoscaling on each heartbeat: an Embedded Metric Format line with its rooms and
participants, and scale-in protection of its task while it holds calls."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from videoatencion_media.registry import Load, NodeRegistration
from videoatencion_media.scaling import EmfPublisher, ScaleInProtection, _agent_put

NAMESPACE = "Videoatencion/Media"
SERVICE = "videoatencion-prod-media"


class FakeDynamoDB:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.puts: list[dict[str, Any]] = []

    def put_item(self, **kwargs: Any) -> None:
        if self.fail:
            raise RuntimeError("DynamoDB is down")
        self.puts.append(kwargs)

    def delete_item(self, **_: Any) -> None:
        return None


class FakeAgent:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.calls: list[tuple[str, dict[str, object]]] = []

    async def put(self, url: str, body: dict[str, object]) -> int:
        self.calls.append((url, body))
        return self.status


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _registration(
    client: FakeDynamoDB,
    load: list[Load],
    stream: io.StringIO | None = None,
    protection: ScaleInProtection | None = None,
) -> NodeRegistration:
    metrics = EmfPublisher(NAMESPACE, SERVICE, stream=stream) if stream is not None else None
    return NodeRegistration(
        client,  # type: ignore[arg-type]
        "videoatencion-test-media-nodes",
        node_id="task-1-0",
        url="https://task-1.media.example.org:8443",
        max_rooms=4,
        load=lambda: load[0],
        clock=lambda: 1_700_000_000.25,
        metrics=metrics,
        protection=protection,
    )


def test_an_emf_line_is_a_json_document_cloudwatch_turns_into_two_metrics() -> None:
    stream = io.StringIO()

    EmfPublisher(NAMESPACE, SERVICE, node_id="task-1-0", stream=stream).publish(
        rooms=3, participants=7, timestamp=1_700_000_000.25
    )

    [line] = stream.getvalue().splitlines()
    document = json.loads(line)
    # The EMF specification: _aws.Timestamp in ms, one directive naming the namespace, the dimension sets and the
    # metrics; every dimension and metric named there is a top-level member (strings and numbers respectively).
    directive = document["_aws"]
    assert directive["Timestamp"] == 1_700_000_000_250
    [metrics] = directive["CloudWatchMetrics"]
    assert metrics == {
        "Namespace": NAMESPACE,
        "Dimensions": [["ServiceName"]],
        "Metrics": [{"Name": "Rooms", "Unit": "Count"}, {"Name": "Participants", "Unit": "Count"}],
    }
    assert document["ServiceName"] == SERVICE
    assert (document["Rooms"], document["Participants"]) == (3, 7)
    # The node is a plain field (searchable in Logs Insights), not a dimension: no metric per short-lived node.
    assert document["node_id"] == "task-1-0"


async def test_every_heartbeat_publishes_the_load_even_when_the_registry_is_down() -> None:
    stream, load = io.StringIO(), [Load(rooms=2, participants=5)]
    up, down = FakeDynamoDB(), FakeDynamoDB(fail=True)

    await _registration(up, load, stream).heartbeat()
    load[0] = Load(rooms=1, participants=2)
    with pytest.raises(RuntimeError):
        await _registration(down, load, stream).heartbeat()

    samples = [(d["Rooms"], d["Participants"], d["node_id"]) for d in _lines(stream)]
    assert samples == [(2, 5, "task-1-0"), (1, 2, "task-1-0")]
    assert len(up.puts) == 1


async def test_no_metric_line_unless_the_environment_names_a_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEDIA_METRICS_NAMESPACE", raising=False)
    monkeypatch.delenv("ECS_AGENT_URI", raising=False)
    registration = NodeRegistration(
        FakeDynamoDB(),  # type: ignore[arg-type]
        "t",
        node_id="n",
        url="http://x",
        max_rooms=1,
        load=lambda: Load(1, 1),
    )

    assert registration.metrics is None
    assert registration.protection is None
    assert EmfPublisher.from_env({"MEDIA_METRICS_NAMESPACE": NAMESPACE, "MEDIA_METRICS_SERVICE": SERVICE}) is not None
    default = EmfPublisher.from_env({"MEDIA_METRICS_NAMESPACE": NAMESPACE})
    assert default is not None
    assert default.service == "videoatencion-media"


async def test_the_task_is_protected_while_there_are_calls_and_renewed_at_half_the_period() -> None:
    agent, now = FakeAgent(), [0.0]
    protection = ScaleInProtection("http://169.254.170.2/api/task-1", 10, put=agent.put, clock=lambda: now[0])

    await protection.update(0)
    assert agent.calls == []

    await protection.update(1)
    await protection.update(2)
    now[0] = 299.0
    await protection.update(2)
    assert agent.calls == [
        (
            "http://169.254.170.2/api/task-1/task-protection/v1/state",
            {"ProtectionEnabled": True, "ExpiresInMinutes": 10},
        )
    ]

    now[0] = 300.0
    await protection.update(1)
    assert len(agent.calls) == 2

    # No calls: renewals stop and the protection lapses by itself (a sibling worker may still hold calls).
    await protection.update(0)
    assert not protection.protected
    assert len(agent.calls) == 2


async def test_a_refused_protection_is_asked_for_again_on_the_next_heartbeat() -> None:
    agent = FakeAgent(status=400)
    protection = ScaleInProtection("http://agent", 5, put=agent.put)

    await protection.update(1)
    agent.status = 200
    await protection.update(1)
    await protection.update(1)

    assert len(agent.calls) == 2
    assert protection.protected


async def test_a_draining_node_does_not_renew_its_protection() -> None:
    agent = FakeAgent()
    protection = ScaleInProtection("http://agent", 5, put=agent.put)
    registration = _registration(FakeDynamoDB(), [Load(rooms=1, participants=2)], protection=protection)

    await registration.set_draining()

    assert agent.calls == []


async def test_heartbeats_protect_the_task_of_a_node_with_calls() -> None:
    agent = FakeAgent()
    protection = ScaleInProtection("http://agent", 5, put=agent.put)
    registration = _registration(FakeDynamoDB(), [Load(rooms=1, participants=2)], protection=protection)

    await registration.heartbeat()

    assert agent.calls == [
        ("http://agent/task-protection/v1/state", {"ProtectionEnabled": True, "ExpiresInMinutes": 5})
    ]


@pytest.mark.parametrize(
    ("environ", "minutes"),
    [
        ({"ECS_AGENT_URI": "http://agent", "MEDIA_SCALE_IN_PROTECTION_MINUTES": "15"}, 15),
        ({"ECS_AGENT_URI": "http://agent"}, None),
        ({"MEDIA_SCALE_IN_PROTECTION_MINUTES": "15"}, None),
        ({"ECS_AGENT_URI": "http://agent", "MEDIA_SCALE_IN_PROTECTION_MINUTES": "0"}, None),
        ({"ECS_AGENT_URI": "http://agent", "MEDIA_SCALE_IN_PROTECTION_MINUTES": "3000"}, None),
    ],
)
def test_protection_is_on_only_inside_ecs_with_a_valid_period(environ: dict[str, str], minutes: int | None) -> None:
    protection = ScaleInProtection.from_env(environ)

    assert (protection.minutes if protection else None) == minutes


async def test_the_agent_endpoint_is_called_with_json_and_its_refusals_are_failures() -> None:
    received: list[dict[str, Any]] = []
    answer = {"protection": {"ProtectionEnabled": True, "TaskArn": "arn:aws:ecs:eu-south-2:1:task/c/1"}}

    async def state(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response(answer)

    app = web.Application()
    app.router.add_put("/api/task-1/task-protection/v1/state", state)
    async with TestServer(app) as server:
        url = str(server.make_url("/api/task-1/task-protection/v1/state"))
        ok = await _agent_put(url, {"ProtectionEnabled": True, "ExpiresInMinutes": 15})
        answer = {"failure": {"Arn": "arn", "Reason": "TASK_NOT_VALID"}}
        refused = await _agent_put(url, {"ProtectionEnabled": True, "ExpiresInMinutes": 15})

    assert (ok, refused) == (200, 502)
    assert received[0] == {"ProtectionEnabled": True, "ExpiresInMinutes": 15}
