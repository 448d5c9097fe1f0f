"""The API's environment names come from the one resource description, so config and infrastructure agree."""

from __future__ import annotations

import json

import pytest

from chalicelib.settings import Settings
from dev.chalice_config import CONFIG_PATH, STAGES, expected_config
from infra.resources import RESOURCES, physical_name


def _environment(stage: str) -> dict[str, str]:
    config = json.loads(CONFIG_PATH.read_text(encoding="utf-8"))
    environment: dict[str, str] = config["stages"][stage]["environment_variables"]
    return environment


def test_chalice_config_is_the_one_derived_from_the_resources() -> None:
    # If this fails, run `python -m dev.chalice_config` and commit the result.
    assert json.loads(CONFIG_PATH.read_text(encoding="utf-8")) == expected_config()


@pytest.mark.parametrize("stage", STAGES)
def test_every_resource_is_named_in_each_stage(stage: str) -> None:
    environment = _environment(stage)
    names = [
        *(t.env for t in RESOURCES.tables),
        *(b.env for b in RESOURCES.buckets),
        *(k.env for k in RESOURCES.keys),
        *(p.env for p in RESOURCES.parameters),
    ]

    assert [name for name in names if name not in environment] == []
    assert all(stage in environment[name] for name in names)


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_gives_the_api_valid_settings(stage: str) -> None:
    # Lambda adds AWS_REGION itself; the deployment (infra) adds what differs per council; the rest is the stage's.
    deployment = {"SENDER_EMAIL": "cita@ajuntament.example", "PUBLIC_BASE_URL": "https://videoatencio.example"}
    settings = Settings.from_environ({**deployment, **_environment(stage), "AWS_REGION": "eu-south-2"})

    assert settings.stage == stage
    assert settings.timezone == "Europe/Madrid"
    assert settings.table_catalogue == physical_name(stage, "catalogue")
    assert settings.table_audit == physical_name(stage, "audit")


def test_prod_sends_no_dev_email_address() -> None:
    for identity in RESOURCES.email_identities:
        assert identity.address_env in _environment("dev")
        assert identity.address_env not in _environment("prod")
