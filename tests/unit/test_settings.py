"""The function's environment → Settings: a bad deployment fails on first use, naming what is wrong."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator

import pytest

from chalicelib import settings as settings_module
from chalicelib.settings import ConfigurationError, EidSettings, Settings, get_settings
from dev.chalice_config import stage_environment

# The dev stage's environment as .chalice/config.json gives it, plus the region Lambda sets.
COMPLETE = {**stage_environment("dev"), "AWS_REGION": "eu-south-2"}


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_complete_environment_gives_settings_with_defaults() -> None:
    settings = Settings.from_environ(COMPLETE)

    assert settings.stage == "dev"
    assert settings.region == "eu-south-2"
    assert settings.timezone == "Europe/Madrid"
    assert settings.table_catalogue == "videoatencion-dev-catalogue"
    assert settings.table_audit == "videoatencion-dev-audit"
    assert settings.table_auth == "videoatencion-dev-auth"
    assert settings.signing_key == "alias/videoatencion-dev-signing"
    assert settings.verify_keys == ("alias/videoatencion-dev-signing",)
    assert settings.aws_endpoint_url is None
    assert settings.catalogue_cache_seconds == 60
    assert (settings.citizen_token_minutes, settings.staff_token_hours, settings.staff_idle_minutes) == (30, 8, 30)
    assert settings.eid == EidSettings(
        authorize_url="http://127.0.0.1:8090/o/oauth2/auth",
        token_url="http://127.0.0.1:8090/o/oauth2/token",
        userinfo_url="http://127.0.0.1:8090/serveis-rest/getUserInfo",
        client_id="videoatencion-dev",
        client_secret_parameter="/videoatencion/dev/eid/client-secret",
    )
    assert settings.is_dev


def test_previous_signing_keys_still_verify_after_a_rotation() -> None:
    settings = Settings.from_environ(
        {**COMPLETE, "KMS_VERIFY_KEYS": "alias/old-1, alias/videoatencion-dev-signing,alias/old-2"}
    )

    assert settings.signing_key == "alias/videoatencion-dev-signing"
    assert settings.verify_keys == ("alias/videoatencion-dev-signing", "alias/old-1", "alias/old-2")


def test_optional_variables_are_read() -> None:
    environ = {
        **COMPLETE,
        "STAGE": "prod",
        "ORIGIN_SECRET_ID": "videoatencion/prod/origin-verify",
        "COUNCIL_TIMEZONE": "Atlantic/Canary",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        "CATALOGUE_CACHE_SECONDS": "0",
    }

    settings = Settings.from_environ(environ)

    assert settings.timezone == "Atlantic/Canary"
    assert settings.aws_endpoint_url == "http://127.0.0.1:5000"
    assert settings.catalogue_cache_seconds == 0
    assert settings.origin_secret_id == "videoatencion/prod/origin-verify"
    assert not settings.is_dev


def test_outside_dev_the_origin_secret_is_required() -> None:
    # Without it the API would answer requests that walked around CloudFront and its WAF.
    with pytest.raises(ConfigurationError, match="ORIGIN_SECRET_ID"):
        Settings.from_environ({**COMPLETE, "STAGE": "prod"})
    assert Settings.from_environ(COMPLETE).origin_secret_id == ""


def test_the_default_region_stands_in_for_aws_region() -> None:
    environ = {k: v for k, v in COMPLETE.items() if k != "AWS_REGION"} | {"AWS_DEFAULT_REGION": "eu-west-1"}

    assert Settings.from_environ(environ).region == "eu-west-1"


def test_an_empty_endpoint_url_means_real_aws() -> None:
    assert Settings.from_environ({**COMPLETE, "AWS_ENDPOINT_URL": ""}).aws_endpoint_url is None


def test_every_missing_variable_is_named_in_one_error() -> None:
    # GIVEN an environment with nothing the API needs
    # WHEN it is read
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_environ({})

    # THEN one error names all four, so one redeploy fixes them
    message = str(raised.value)
    for name in ("STAGE", "AWS_REGION", "TABLE_CATALOGUE", "TABLE_AUDIT"):
        assert name in message


def test_an_empty_variable_counts_as_missing() -> None:
    with pytest.raises(ConfigurationError, match="TABLE_AUDIT"):
        Settings.from_environ({**COMPLETE, "TABLE_AUDIT": ""})


@pytest.mark.parametrize("value", ["sixty", "-5", "1.5", "60s", " 60"])
def test_a_cache_lifetime_that_is_not_whole_seconds_is_rejected(value: str) -> None:
    with pytest.raises(ConfigurationError, match="CATALOGUE_CACHE_SECONDS"):
        Settings.from_environ({**COMPLETE, "CATALOGUE_CACHE_SECONDS": value})


def test_a_superscript_digit_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="CATALOGUE_CACHE_SECONDS"):
        Settings.from_environ({**COMPLETE, "CATALOGUE_CACHE_SECONDS": "²"})


def test_missing_variables_and_a_bad_cache_lifetime_are_named_together() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_environ({"CATALOGUE_CACHE_SECONDS": "soon"})

    assert "STAGE" in str(raised.value)
    assert "CATALOGUE_CACHE_SECONDS" in str(raised.value)


def test_importing_settings_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a process with an empty environment (Chalice's test client only sets it during a request)
    for name in list(os.environ):
        monkeypatch.delenv(name)
    spec = importlib.util.spec_from_file_location("fresh_settings", settings_module.__file__)
    assert spec is not None
    assert spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "fresh_settings", fresh)

    # WHEN the module is imported afresh, nothing fails
    spec.loader.exec_module(fresh)

    # THEN the missing configuration is reported on first use
    with pytest.raises(fresh.ConfigurationError, match="STAGE"):
        fresh.get_settings()


def test_get_settings_reads_the_environment_once(monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> None:
    for name, value in COMPLETE.items():
        monkeypatch.setenv(name, value)
    first = get_settings()

    monkeypatch.setenv("STAGE", "prod")

    assert get_settings() is first
    assert first.stage == "dev"
