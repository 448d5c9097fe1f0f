"""Asking for a code: it takes the same minimum time whoever asks, checks every field at once, and is rate-limited."""

from __future__ import annotations

import re
from typing import Any, cast

import pytest

from chalicelib.api import commands
from chalicelib.auth import codes
from chalicelib.auth.state import Challenge
from chalicelib.domain.audit import RequestContext
from chalicelib.domain.errors import RateLimited, ValidationFailed
from chalicelib.services.identity import CitizenSignIn, Limits, Sessions
from chalicelib.services.ports import Message
from tests.fakes import InMemoryAuditLog, InMemoryAuthStore, ManualClock

PEPPER = b"pepper"
CONTEXT = RequestContext("request-1", "203.0.113.7")
START = 1_749_999_600.0  # a window boundary (900 s windows): waits are easy to reason about
# Epoch seconds as floats carry about 0.2 µs of precision: timings are compared to the microsecond.
MICROSECOND = 1e-6
VALID = {"id_number": "12345678Z", "channel": "email", "destination": "anna@example.cat"}


class FakeSleep:
    """Sleeping moves the fake clock on, as real sleeping would."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds)


class SlowNotifier:
    """Hands a message over in ``delay`` seconds of the fake clock."""

    def __init__(self, clock: ManualClock, delay: float = 0.0) -> None:
        self.clock = clock
        self.delay = delay
        self.sent: list[Message] = []

    def send(self, message: Message) -> str:
        self.clock.advance(self.delay)
        self.sent.append(message)
        return f"message-{len(self.sent)}"


class SlowAuthStore(InMemoryAuthStore):
    """The sign-in state, taking ``delay`` (fake) seconds to write a challenge."""

    def __init__(self, clock: ManualClock, delay: float = 0.0) -> None:
        super().__init__()
        self.clock = clock
        self.delay = delay

    def put_challenge(self, challenge: Challenge) -> None:
        self.clock.advance(self.delay)
        super().put_challenge(challenge)


class World:
    def __init__(self, notifier_delay: float = 0.0, store_delay: float = 0.0) -> None:
        self.clock = ManualClock(START)
        self.sleep = FakeSleep(self.clock)
        self.store = SlowAuthStore(self.clock, store_delay)
        self.notifier = SlowNotifier(self.clock, notifier_delay)
        self.audit = InMemoryAuditLog()
        self.limits = Limits()
        self.sign_in = CitizenSignIn(
            store=self.store,
            sessions=cast(Sessions, None),  # asking for a code issues no session
            notifier=self.notifier,
            audit=self.audit,
            pepper=lambda: PEPPER,
            limits=self.limits,
            eid=lambda: None,
            public_base_url="https://cita.example.cat",
            clock=self.clock,
            sleep=self.sleep,
        )

    def request_code(self, **body: Any) -> tuple[str, int]:
        return self.sign_in.request_code(commands.request_code({**VALID, **body}), CONTEXT)


# --- minimum response time ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("work", [0.0, 0.05, 0.3, 0.39])
def test_a_quick_request_is_held_back_to_the_minimum_time(work: float) -> None:
    # GIVEN handing the message over takes less than the minimum
    world = World(notifier_delay=work)

    # WHEN a code is requested
    world.request_code()

    # THEN the answer comes no sooner than the minimum after the request began, with one sleep for the rest
    assert world.clock.now - START == pytest.approx(world.limits.min_request_seconds, abs=MICROSECOND)
    assert world.sleep.calls == [pytest.approx(world.limits.min_request_seconds - work, abs=MICROSECOND)]


def test_time_spent_anywhere_in_the_request_counts_towards_the_minimum() -> None:
    # GIVEN storing the challenge takes 0.1 s and sending the message 0.2 s
    world = World(notifier_delay=0.2, store_delay=0.1)

    world.request_code()

    # THEN only the remaining 0.1 s is slept
    assert world.sleep.calls == [pytest.approx(0.1, abs=MICROSECOND)]
    assert world.clock.now - START == pytest.approx(0.4, abs=MICROSECOND)


@pytest.mark.parametrize("work", [0.5, 3.0])
def test_a_request_slower_than_the_minimum_is_not_delayed_further(work: float) -> None:
    world = World(notifier_delay=work)

    world.request_code()

    assert world.sleep.calls == []
    assert world.clock.now - START == pytest.approx(work, abs=MICROSECOND)


def test_the_code_sent_is_the_one_that_will_be_accepted() -> None:
    # GIVEN a request for a code by email
    world = World()

    # WHEN it is answered
    challenge_id, lifetime = world.request_code()

    # THEN one message went to the address with a six-digit code, and the stored challenge accepts exactly that code
    assert lifetime == world.limits.code_minutes * 60
    [message] = world.notifier.sent
    assert (message.channel, message.to) == ("email", "anna@example.cat")
    [code] = re.findall(r"\b\d{6}\b", message.body)
    challenge = world.store.challenges[challenge_id]
    assert challenge.subject == "12345678Z"
    assert codes.matches(PEPPER, challenge_id, code, challenge.digest)
    assert challenge.contact == codes.contact_digest(PEPPER, "anna@example.cat")
    assert challenge.expires_at == int(START) + lifetime
    # AND the audit trail shows where it went, masked, and never the code
    [event] = world.audit.events
    assert event.action == "auth.otp.request"
    assert event.details == {"channel": "email", "to": "****.cat"}
    assert code not in repr(event)


# --- validation -----------------------------------------------------------------------------------------------------


def _invalid_fields(world: World, **body: Any) -> list[str]:
    with pytest.raises(ValidationFailed) as raised:
        world.request_code(**body)
    return [e.field for e in raised.value.errors]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"id_number": "54362315Z"}, ["id_number"]),
        ({"channel": "fax"}, ["channel"]),
        ({"channel": None}, ["channel"]),
        ({"destination": "anna"}, ["destination"]),
        ({"channel": "sms", "destination": "anna@example.cat"}, ["destination"]),
        ({"id_number": None, "destination": "anna"}, ["id_number", "destination"]),
        ({"id_number": "1234", "channel": "sms", "destination": "12"}, ["id_number", "destination"]),
    ],
)
def test_every_invalid_field_is_named_at_once(body: dict[str, Any], fields: list[str]) -> None:
    assert _invalid_fields(World(), **body) == fields


def test_all_three_fields_wrong_are_named_at_once() -> None:
    assert _invalid_fields(World(), id_number="", channel="fax", destination=None) == [
        "id_number",
        "channel",
        "destination",
    ]


def test_an_invalid_request_sends_nothing_and_does_not_count_against_the_limits() -> None:
    world = World()

    _invalid_fields(world, id_number="54362315Z")

    assert world.notifier.sent == []
    assert world.store.challenges == {}
    assert world.store.hits == {}


# --- rate limits ----------------------------------------------------------------------------------------------------


def test_codes_sent_to_other_addresses_never_use_up_the_owners_allowance() -> None:
    # GIVEN a stranger who knows an ID number and has many codes for it sent to addresses of their own
    world = World()
    world.clock.advance(100)
    for n in range(20):
        world.request_code(destination=f"stranger{n}@example.cat")

    # WHEN the owner asks for a code to their own address in the same window
    world.request_code(destination="anna@example.cat")

    # THEN it is sent: there is no allowance per ID number for anyone else to spend
    assert len(world.notifier.sent) == 21
    assert world.notifier.sent[-1].to == "anna@example.cat"
    assert all(e.action != "auth.otp.lockout" for e in world.audit.events)


def test_one_code_too_many_for_one_id_number_and_address_is_refused_until_the_window_ends() -> None:
    # GIVEN as many codes as one ID number may have at one address, 100 s into a window
    world = World()
    world.clock.advance(100)
    for _ in range(world.limits.codes_per_id_number_and_destination):
        world.request_code(destination="anna@example.cat")

    # WHEN one more is requested
    with pytest.raises(RateLimited) as raised:
        world.request_code(destination="anna@example.cat")

    # THEN it is refused with the wait until the window ends, nothing is sent, and the lockout is recorded
    now = world.clock.now
    assert raised.value.retry_after == int(START) + world.limits.window_seconds - int(now)
    assert len(world.notifier.sent) == world.limits.codes_per_id_number_and_destination
    assert world.audit.events[-1].action == "auth.otp.lockout"

    # WHEN the next window starts
    world.clock.now = START + world.limits.window_seconds

    # THEN a code can be requested again
    world.request_code(destination="anna@example.cat")
    assert len(world.notifier.sent) == world.limits.codes_per_id_number_and_destination + 1


def test_a_fourth_code_to_one_address_in_a_window_is_refused() -> None:
    world = World()
    ids = ["12345678Z", "00000000T", "54362315K", "X1234567L"]
    for id_number in ids[:3]:
        world.request_code(id_number=id_number)

    with pytest.raises(RateLimited):
        world.request_code(id_number=ids[3])

    assert len(world.notifier.sent) == 3
