"""The pre-flight check through the API: the citizen stores it, the agent sees it in the agenda."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_container
from dev.seed import DemoCounts
from tests.api.test_calls import register_node
from tests.api.test_identity import body, citizen_token, get, staff_token
from tests.api.test_links import booked
from tests.api.test_procedures import EMAIL, appointment
from tests.zones import COUNCIL_ZONE

GOOD = {"down_kbps": 2400, "up_kbps": 900, "rtt_ms": 70, "media_node": True, "turn": "not_configured"}
CHECK = {"camera": True, "microphone": True, "speaker": True, "network": GOOD, "checklist": [0]}


def put(client: Client, path: str, sent: Any, token: str) -> Any:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    return client.http.put(path, body=json.dumps(sent), headers=headers)


@pytest.fixture
def omac(demo: DemoCounts) -> str:
    return appointment("residence-certificate", "OMAC")


def test_the_citizen_stores_a_weak_check_and_the_agent_sees_it_in_the_agenda(client: Client, omac: str) -> None:
    # GIVEN the citizen's appointment, its check not done yet
    token = citizen_token(client, to=EMAIL)
    assert body(get(client, f"/appointments/{omac}/preflight", token))["result"] == "not_done"

    # WHEN they report a slow uplink, ask for sound only and a phone call (claiming "ok" themselves)
    sent = {
        **CHECK,
        "result": "ok",
        "network": {**GOOD, "up_kbps": 180},
        "audio_only": True,
        "callback": {"phone": "612 345 678"},
    }
    stored = put(client, f"/appointments/{omac}/preflight", sent, token)

    # THEN the server classifies it weak, stores it, and the agent's agenda shows it with the callback number
    assert stored.status_code == 200, stored.body
    answer = body(stored)
    assert answer["result"] == "weak_network"
    assert answer["network"]["up_kbps"] == 180
    assert answer["callback_phone"] == "+34612345678"
    assert answer["checklist"] == [0]
    assert answer["documents"]
    assert all("ca" in d for d in answer["documents"])
    assert body(get(client, f"/appointments/{omac}/preflight", token))["result"] == "weak_network"
    assert body(get(client, f"/appointments/{omac}", token))["preflight"]["audio_only"] is True

    agent = staff_token(client)
    day = datetime.now(UTC).astimezone(COUNCIL_ZONE).date().isoformat()
    agenda = body(get(client, f"/agenda?office=OMAC&date={day}", agent))["items"]
    mine = next(item for item in agenda if item["id"] == omac)
    assert mine["preflight"] == {"result": "weak_network", "audio_only": True, "callback_phone": "+34612345678"}
    assert body(get(client, f"/appointments/{omac}/preflight", agent))["result"] == "weak_network"

    # AND the agent may read it but never store a check for the citizen
    assert put(client, f"/appointments/{omac}/preflight", CHECK, agent).status_code == 403


def test_another_citizen_is_told_the_check_does_not_exist(client: Client, omac: str) -> None:
    other = citizen_token(client, "99584529A", "b@example.org")

    assert put(client, f"/appointments/{omac}/preflight", CHECK, other).status_code == 404
    assert get(client, f"/appointments/{omac}/preflight", other).status_code == 404


def test_a_later_check_replaces_the_earlier(client: Client, omac: str) -> None:
    token = citizen_token(client, to=EMAIL)
    no_camera = {**CHECK, "camera": False}

    assert body(put(client, f"/appointments/{omac}/preflight", no_camera, token))["result"] == "no_camera"
    assert body(put(client, f"/appointments/{omac}/preflight", CHECK, token))["result"] == "ok"
    assert body(get(client, f"/appointments/{omac}/preflight", token))["result"] == "ok"


@pytest.mark.parametrize(
    ("sent", "fields"),
    [
        ({**CHECK, "network": {**GOOD, "down_kbps": 10**12}}, {"network.down_kbps"}),
        ({**CHECK, "network": {**GOOD, "rtt_ms": -5}}, {"network.rtt_ms"}),
        ({**CHECK, "camera": "yes", "audio_only": "no"}, {"camera", "audio_only"}),
        ({**CHECK, "checklist": list(range(31))}, {"checklist"}),
        ({**CHECK, "checklist": [5]}, {"checklist"}),  # the service names fewer documents
        ({**CHECK, "callback": {"phone": "call me maybe"}}, {"callback.phone"}),
        ({**CHECK, "network": "fast"}, {"network", "network.media_node"}),
    ],
)
def test_bad_reports_name_their_fields(client: Client, omac: str, sent: dict[str, Any], fields: set[str]) -> None:
    token = citizen_token(client, to=EMAIL)

    refused = put(client, f"/appointments/{omac}/preflight", sent, token)

    assert refused.status_code == 422, refused.body
    assert {e["field"] for e in body(refused)["errors"]} == fields
    assert body(get(client, f"/appointments/{omac}/preflight", token))["result"] == "not_done"


def test_a_check_after_the_appointment_is_refused(client: Client, demo: DemoCounts) -> None:
    past = appointment("residence-certificate", "OMAC", later=-timedelta(hours=2))
    token = citizen_token(client, to=EMAIL)

    refused = put(client, f"/appointments/{past}/preflight", CHECK, token)

    assert refused.status_code == 409
    assert body(refused)["code"] == "appointment_closed"


def test_a_one_tap_preflight_link_stores_the_check_for_its_appointment(client: Client, demo: DemoCounts) -> None:
    # GIVEN the pre-flight link the day-before message carries (no sign-in: a low-assurance service)
    client.http.get("/services")  # builds the container with the stage's environment
    omac, _citizen = booked(client)
    found = get_container().booking.lookup(omac)
    assert found is not None
    url = get_container().links.issue(found, "preflight")
    token = url.split("#token=", 1)[1]

    # WHEN the citizen's browser sends a check without a microphone through the link
    shown = client.http.get(f"/links/{token}")
    done = client.http.post(
        f"/links/{token}", body=json.dumps({**CHECK, "microphone": False}), headers={"Content-Type": "application/json"}
    )

    # THEN the link names the check, and the server classified and stored it as the API would have
    assert shown.status_code == 200, shown.body
    assert body(shown)["action"] == "preflight"
    # the page is told the documents to tick and where to measure (a low-assurance service: the link alone acts)
    assert body(shown)["check"]["documents"]
    assert set(body(shown)["check"]["probe"]) == {"media_url", "ice_servers"}
    assert done.status_code == 200, done.body
    stored = get_container().booking.lookup(omac)
    assert stored is not None
    assert stored.preflight is not None
    assert stored.preflight.result.value == "no_microphone"
    # AND a bad report through the link names its field, as the route does
    bad = client.http.post(
        f"/links/{token}", body=json.dumps({**CHECK, "camera": "yes"}), headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 422, bad.body


def test_the_citizen_is_told_where_to_measure_and_staff_are_not(client: Client, omac: str) -> None:
    # GIVEN a healthy media node and none at all
    token = citizen_token(client, to=EMAIL)
    nobody = body(get(client, f"/appointments/{omac}/preflight", token))["probe"]
    url = register_node("node-a")

    # WHEN the citizen and the agent read the check
    found = body(get(client, f"/appointments/{omac}/preflight", token))
    agent = body(get(client, f"/appointments/{omac}/preflight", staff_token(client)))

    # THEN the citizen gets the node a call would use now (none while none is healthy), the agent no probe
    assert nobody["media_url"] is None
    assert found["probe"]["media_url"] == url
    assert isinstance(found["probe"]["ice_servers"], list)
    assert "probe" not in agent
