"""The live queue and overflow in the browser (issue 16), through the SPA, the API and the media node of the running
stack. An agent is in a call with one citizen (two aiortc participants, in a thread of their own); a second citizen
of the same agent waits in the waiting room on a phone and sees, live, that the agent is with the person before them,
their place in line and the wait in minutes. With the office's overflow time set to 0 through the admin API, a second,
free agent sees them under "Waiting for anyone" on the agenda and takes them; the citizen's waiting room then names
the new agent.

The test's own people, so that no sign-in allowance of another test is spent (staff sign-ins are limited to 5
attempts per user and 15 minutes): two agents of OGAT and an administrator written to the stack's tables as the demo
seed writes its staff, and two fictional citizens whom no other test books for. The office's overflow time is put
back afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Playwright, ViewportSize, expect

from chalicelib.adapters.dynamo.models import StaffItem, bound
from chalicelib.bootstrap import Container
from chalicelib.services.identity import hash_password
from chalicelib.settings import Settings
from dev.calls_now import DemoCall, seed_calls_now
from dev.chalice_config import stage_environment
from dev.chromium import WEBRTC_FLAGS
from dev.seed import load_staff
from tests.e2e.conftest import axe_violations, launch_chromium
from tests.e2e.contrast import contrast_failures
from tests.e2e.steps import api, citizen_signs_in_by_code, media_context, staff_signs_in, until
from tests.integration.media_client import Participant
from tests.integration.test_booking_race import sign_in_by_code, staff_token
from tests.integration.test_call import _agenda_call, _join
from tests.stack import STAFF_PASSWORD, RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

OFFICE = "OGAT"
SERVICE = "payment-letter"
REGION = "eu-south-2"
TIMEOUT = 20
PHONE: ViewportSize = {"width": 360, "height": 740}
DESK: ViewportSize = {"width": 1280, "height": 800}

BUSY_AGENT = ("agent.queue1", "Oriol Puig Sala")
FREE_AGENT = ("agent.queue2", "Laura Vidal Costa")
ADMIN = ("admin.queue", "Admin Cua")


def _dni(number: int) -> str:
    return f"{number}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"


# (ID number, name, email): the one in the call, then the one waiting.
IN_CALL = (_dni(40000751), "Marc Ribas", "queue.incall@example.org")
WAITING = (_dni(40000752), "Júlia Ferrer", "queue.waiting@example.org")


@pytest.fixture(scope="module")
def browser(playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    browser = launch_chromium(playwright, tmp_path_factory, WEBRTC_FLAGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def people(stack: RunningStack) -> dict[str, DemoCall]:
    """The test's staff in the stack's tables (as dev/seed.py writes the demo's), and the two appointments of the
    busy agent happening now."""
    endpoint = f"http://127.0.0.1:{stack.moto}"
    settings = Settings.from_environ({**stage_environment("dev"), "AWS_REGION": REGION, "AWS_ENDPOINT_URL": endpoint})
    staff = [
        {"username": u, "name": n, "email": f"{u}@vilademo.example", "roles": ["agent"], "office": OFFICE}
        for u, n in (BUSY_AGENT, FREE_AGENT)
    ]
    staff.append({"username": ADMIN[0], "name": ADMIN[1], "email": f"{ADMIN[0]}@vilademo.example", "roles": ["admin"]})
    accounts = bound(StaffItem, settings.table_staff, region=REGION, host=endpoint)
    load_staff(Container(settings), staff, hash_password(STAFF_PASSWORD), accounts)
    calls = tuple((OFFICE, SERVICE, who[0], who[1], who[2], BUSY_AGENT[0]) for who in (IN_CALL, WAITING))
    in_call, waiting = seed_calls_now("dev", REGION, endpoint, calls=calls)
    return {"in_call": in_call, "waiting": waiting}


class _OtherCall:
    """The busy agent in a call with the first citizen: two aiortc participants on an event loop in a thread of their
    own (Playwright's synchronous API has the test's thread)."""

    def __init__(self, stack: RunningStack, appointment_id: str, agent_token: str, citizen_token: str) -> None:
        self.stack, self.appointment_id = stack, appointment_id
        self.tokens = (agent_token, citizen_token)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.agent: Participant | None = None
        self.citizen: Participant | None = None

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._begin(), self.loop).result(timeout=60)

    async def _begin(self) -> None:
        agent_token, citizen_token = self.tokens
        agent = self.agent = Participant(
            "agent", await asyncio.to_thread(_join, self.stack, self.appointment_id, agent_token)
        )
        citizen = self.citizen = Participant(
            "citizen", await asyncio.to_thread(_join, self.stack, self.appointment_id, citizen_token)
        )
        await agent.open_events()
        await agent.connect()
        await citizen.open_events()
        await citizen.connect()
        await agent.wait_event("waiting", participant_id=citizen.participant_id)
        await agent.send_event({"type": "admit", "participant_id": citizen.participant_id})
        await citizen.wait_event("admitted", participant_id=citizen.participant_id)

    def stop(self) -> None:
        if self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._end(), self.loop).result(timeout=30)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)

    async def _end(self) -> None:
        if self.agent is not None:
            # (The call may already be gone: closing is what matters.)
            with contextlib.suppress(Exception):
                await self.agent.send_event({"type": "end"})
        for participant in (self.citizen, self.agent):
            if participant is not None:
                await participant.close()


def _set_overflow(stack: RunningStack, token: str, minutes: int) -> int:
    """The office's overflow time, changed through the admin API; returns what it was."""
    offices = api("GET", stack, "/admin/offices", token)
    assert offices.status_code == 200, offices.text
    office = next(o for o in offices.json()["items"] if o["id"] == OFFICE)
    changed = api("PUT", stack, f"/admin/offices/{OFFICE}", token, json={**office, "overflow_after_minutes": minutes})
    assert changed.status_code == 200, changed.text
    assert changed.json()["office"]["overflow_after_minutes"] == minutes
    return int(office["overflow_after_minutes"])


def _queue(stack: RunningStack, token: str, appointment_id: str) -> dict[str, Any]:
    answer = requests.get(
        f"{stack.api_url}/appointments/{appointment_id}/queue",
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_waiting_citizen_sees_their_place_and_a_free_agent_takes_them_by_overflow(
    stack: RunningStack, browser: Browser, people: dict[str, DemoCall]
) -> None:
    busy_token = staff_token(stack, BUSY_AGENT[0])
    admin_token = staff_token(stack, ADMIN[0])
    first, second = people["in_call"], people["waiting"]
    other_call = _OtherCall(stack, first.appointment_id, busy_token, sign_in_by_code(stack, IN_CALL[0], IN_CALL[2]))
    citizen_context = media_context(browser, stack, locale="en-GB", viewport=PHONE, is_mobile=True, has_touch=True)
    agent_context = media_context(browser, stack, locale="en-GB", viewport=DESK)
    before: int | None = None
    try:
        # GIVEN the busy agent in a call with the first citizen (the agenda says so, from the media node's reports)
        other_call.start()
        until(
            lambda: _agenda_call(stack, busy_token, first.appointment_id).get("state") == "in_call", TIMEOUT, "in call"
        )

        # WHEN the second citizen joins the waiting room of their appointment with the same agent, on a phone
        citizen = citizen_context.new_page()
        citizen_signs_in_by_code(
            stack, citizen, WAITING[0], WAITING[2], f"/appointments/{second.appointment_id}/call", language="English"
        )
        expect(citizen).to_have_url(f"{stack.web_url}/appointments/{second.appointment_id}/call")
        citizen.locator("#join-call").click()
        expect(citizen.locator("#waiting-title")).to_be_visible()

        # THEN they see, live and politely announced, that the agent is with the person before them, that they are
        # next, the wait in minutes (never "at any moment" while the agent is busy) and who will attend them
        status = citizen.locator("#queue-status")
        expect(status).to_have_attribute("aria-live", "polite")
        expect(status).to_contain_text("The agent is with the person before you.", timeout=TIMEOUT * 1000)
        expect(status).to_contain_text("You are next.")
        expect(status).to_contain_text(re.compile(r"Estimated wait: about \d+ minutes?\."))
        expect(status).not_to_contain_text("any moment")
        expect(status).to_contain_text(f"{BUSY_AGENT[1]} will attend you.")
        queue = _queue(stack, busy_token, second.appointment_id)
        assert queue["agent_status"] == "in_call"
        assert queue["position"] == 1
        assert queue["estimated_wait_s"] >= 60
        assert axe_violations(citizen) == []
        assert contrast_failures(citizen) == []
        assert citizen.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0

        # WHEN the office's overflow time is 0 (through the admin API) and the free agent opens the agenda
        before = _set_overflow(stack, admin_token, 0)
        agent = agent_context.new_page()
        staff_signs_in(stack, agent, FREE_AGENT[0], return_to="/agenda")
        expect(agent.get_by_role("heading", level=1)).to_have_text("Day agenda")

        # THEN the waiting citizen is under "Waiting for anyone", in the busy agent's queue, and may be taken
        waiting = agent.locator(f"#overflow-list li[data-id='{second.appointment_id}']")
        expect(waiting).to_be_visible(timeout=TIMEOUT * 1000)
        expect(waiting).to_contain_text(f"In {BUSY_AGENT[1]}\u2019s queue")
        take = agent.locator(f"#take-{second.appointment_id}")
        expect(take).not_to_have_attribute("aria-disabled", "true")
        assert axe_violations(agent) == []
        assert contrast_failures(agent) == []

        # WHEN they take them
        take.click()

        # THEN the agenda says so, the citizen leaves the list, and the citizen's waiting room names the new agent
        expect(agent.locator("#overflow-message")).to_contain_text("You have taken the appointment")
        expect(agent.locator("#overflow-join")).to_have_attribute("href", f"/appointments/{second.appointment_id}/call")
        expect(waiting).to_have_count(0, timeout=TIMEOUT * 1000)
        expect(status).to_contain_text(f"{FREE_AGENT[1]} will attend you.", timeout=TIMEOUT * 1000)
        expect(status).not_to_contain_text("with the person before you")
        # (the new agent is free and nobody is before them: the estimate follows)
        expect(status).to_contain_text("The agent can let you in at any moment.")
        assert _queue(stack, busy_token, second.appointment_id)["agent_name"] == FREE_AGENT[1]
        # AND the appointment is on the free agent's agenda
        expect(agent.locator(f"tr[data-id='{second.appointment_id}']")).to_be_visible(timeout=TIMEOUT * 1000)
        assert axe_violations(agent) == []
        assert contrast_failures(agent) == []
        # AND on a phone the panel reads without scrolling sideways
        agent.set_viewport_size(PHONE)
        expect(agent.locator("#overflow-title")).to_be_visible()
        assert agent.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
        assert axe_violations(agent) == []
    finally:
        if before is not None:
            _set_overflow(stack, admin_token, before)
        other_call.stop()
        citizen_context.close()
        agent_context.close()
