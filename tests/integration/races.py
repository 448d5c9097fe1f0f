"""Requests sent at the same moment against the running stack, and the tally of their answers."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence

import requests

from tests.stack import RunningStack

TIMEOUT = 30

Send = Callable[[requests.Session], requests.Response]


def connected(stack: RunningStack) -> requests.Session:
    """A kept-alive connection, opened before the race: the local server accepts with a backlog of 5, and 30
    connections opened at once would be reset by the kernel before a request is read."""
    session = requests.Session()
    assert session.get(f"{stack.api_url}/health", timeout=TIMEOUT).status_code == 200
    return session


def at_once(stack: RunningStack, sends: Sequence[Send]) -> list[requests.Response]:
    """Each request on a connection of its own, all released together; every answer, in the order of ``sends``."""
    sessions = [connected(stack) for _ in sends]
    barrier = threading.Barrier(len(sends))
    answers: list[requests.Response | BaseException | None] = [None] * len(sends)

    def send(i: int) -> None:
        barrier.wait()
        try:
            answers[i] = sends[i](sessions[i])
        except BaseException as exc:  # reported below, with the others' answers
            answers[i] = exc

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(sends))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for session in sessions:
        session.close()
    responses = [a for a in answers if isinstance(a, requests.Response)]
    assert len(responses) == len(sends), answers
    return responses


def tally(responses: Sequence[requests.Response]) -> Counter[tuple[int, str | None]]:
    """How many answers of each (status, problem code); a success has no code."""
    return Counter((r.status_code, None if r.status_code == 201 else r.json().get("code")) for r in responses)
