"""The dev stage's tables, for the contract tests and for tests that look at what the API stored."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib.adapters.dynamo.models import M, bound
from chalicelib.bootstrap import Container
from chalicelib.settings import Settings
from infra.resources import RESOURCES, key_alias, physical_name


def dev_table(base: type[M], name: str) -> type[M]:
    return bound(base, physical_name("dev", name), region=os.environ["AWS_REGION"], host=None)


def dev_container() -> Container:
    """The composition root over the dev stage's tables and buckets (``TABLE_X`` of the description is ``table_x``)."""
    names: dict[str, Any] = {r.env.lower(): physical_name("dev", r.name) for r in RESOURCES.tables + RESOURCES.buckets}
    return Container(
        Settings(
            stage="dev",
            region=os.environ["AWS_REGION"],
            timezone="Europe/Madrid",
            data_key=key_alias("dev", "data"),
            **names,
        )
    )


def both(request: pytest.FixtureRequest, fake: Callable[[], Any], adapter: Callable[[Container], Any]) -> Iterator[Any]:
    """For a fixture parametrised ``memory``/``dynamodb``: the in-memory fake, or the adapter on moto."""
    if request.param == "memory":
        yield fake()
    else:
        request.getfixturevalue("aws")
        yield adapter(dev_container())
