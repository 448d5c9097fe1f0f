"""Every operation of openapi.yaml, fuzzed against the running stack: no 5xx, and answers as the contract says.

Schemathesis generates requests from the contract, valid ones and ones that break it (wrong types, missing fields,
strings where dates go), a bounded budget per operation (``EXAMPLES`` each way), and sends them anonymously and with
a citizen's, an agent's and an auditor's token in turn. Checks: ``not_a_server_error`` (nothing the caller sends makes
the API fail) and ``response_schema_conformance`` / ``content_type_conformance`` / ``status_code_conformance`` (the
answer, its type and its status are what the contract says). Every failure is collected and reported together
(operation, request, check), never shrunk, so the run stays within its budget. ``/auth/logout`` gets a citizen token
of its own: the others must stay valid for the whole run.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.test_booking_race import _id_number, sign_in_by_code, staff_token
from tests.stack import ROOT, RunningStack

pytestmark = pytest.mark.integration

EXAMPLES = 10  # per operation and generation mode: about 800 requests, under a minute on the local stack
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]
ROLES = ("anonymous", "citizen", "agent", "auditor")
# Real identifiers, so some cases reach past "not found" into the code that reads the parameters.
KNOWN = {"service_id": "residence-certificate"}


@dataclass
class Run:
    operations: int = 0
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    by_caller: Counter[str] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def tokens(stack: RunningStack) -> dict[str, str | None]:
    number = 9_000 + uuid.uuid4().int % 900_000
    citizen = sign_in_by_code(stack, _id_number(number), "fuzz@example.org")
    leaving = sign_in_by_code(stack, _id_number(number + 1), "fuzz@example.org")
    return {
        "leaving": leaving,
        "anonymous": None,
        "citizen": citizen,
        "agent": staff_token(stack, "agent.ogat"),
        "auditor": staff_token(stack, "auditor"),
    }


def _headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _fuzz(operation: Any, mode: GenerationMode, stack: RunningStack, tokens: dict[str, str | None], run: Run) -> None:
    session = requests.Session()
    known = {k: v for k, v in KNOWN.items() if k in operation.path}
    logout = operation.path == "/auth/logout"
    turn = iter(range(10**6))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode, path_parameters=known or None))
    def one(case: Any) -> None:
        who = ROLES[next(turn) % len(ROLES)]  # each caller in turn: a drawn one would mostly be the first
        headers = _headers(tokens["leaving"] if logout and who != "anonymous" else tokens[who])
        try:
            response = case.call(base_url=stack.api_url, session=session, headers=headers, timeout=20)
        except requests.RequestException as exc:
            run.failures.append(f"{operation.label} [{mode.value}, {who}]: no answer ({exc!r})")
            return
        run.cases += 1
        run.statuses[response.status_code] += 1
        run.by_caller[f"{who}/{mode.value}/{response.status_code}"] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except BaseExceptionGroup as exc:  # schemathesis raises a failure group naming every broken check
            sent = f"{case.method} {response.request.url} body={str(case.body)[:200]!r}"
            reason = [f"{type(e).__name__}: {str(e).strip()[:300]}" for e in exc.exceptions]
            run.failures.append(f"{operation.label} [{mode.value}, {who}] {response.status_code}: {sent}\n  {reason}")
            for e in exc.exceptions:
                run.kinds[f"{operation.label} {response.status_code} {type(e).__name__}"] += 1

    try:
        one()
    except Unsatisfiable:
        # Nothing in the operation can break the contract (no parameters, no body): only its valid cases count.
        assert mode is GenerationMode.NEGATIVE, operation.label


def test_every_operation_answers_without_5xx_and_as_the_contract_says(
    stack: RunningStack, tokens: dict[str, str | None]
) -> None:
    schema = schemathesis.openapi.from_path(str(ROOT / "openapi.yaml"))
    run = Run()
    started = time.monotonic()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"openapi.yaml has an operation schemathesis cannot read: {result.err()}"
        operation = result.ok()
        run.operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, stack, tokens, run)
    elapsed = time.monotonic() - started
    statuses = dict(sorted(run.statuses.items()))
    figures = f"{run.operations} operations, {run.cases} cases, {len(run.failures)} failures"
    print(f"schemathesis: {figures}, {elapsed:.0f} s")
    print(f"schemathesis: answers by status {statuses}")
    print(f"schemathesis: by caller {dict(sorted(run.by_caller.items()))}")
    for kind, count in sorted(run.kinds.items()):
        print(f"schemathesis: failure {kind} x{count}")
    assert run.operations >= 40
    assert run.cases >= run.operations * 2
    assert not run.failures, "\n".join(run.failures[:40])
    assert 500 not in run.statuses
