from __future__ import annotations

from pathlib import Path

import pytest

from videoatencion_media.config import DEFAULT_ALLOWED_ORIGINS, ConfigError, MediaConfig


def test_defaults_bind_loopback_only() -> None:
    config = MediaConfig.from_env({})

    assert config.host == "127.0.0.1"
    assert config.port == 8081
    assert config.api_url is None
    assert config.allowed_origins == DEFAULT_ALLOWED_ORIGINS
    assert config.recordings_dir.is_absolute()


def test_reads_every_variable(tmp_path: Path) -> None:
    config = MediaConfig.from_env(
        {
            "MEDIA_HOST": "0.0.0.0",  # noqa: S104 - what a container sets explicitly
            "MEDIA_PORT": "9000",
            "MEDIA_RECORDINGS_DIR": str(tmp_path),
            "MEDIA_API_URL": "https://api.example.org/v1/",
            "MEDIA_ALLOWED_ORIGINS": " https://cita.example.org , http://localhost:5173,",
        }
    )

    assert (config.host, config.port, config.recordings_dir) == ("0.0.0.0", 9000, tmp_path)  # noqa: S104
    assert config.api_url == "https://api.example.org/v1"
    assert config.allowed_origins == ("https://cita.example.org", "http://localhost:5173")


def test_empty_origins_list_allows_no_origin() -> None:
    assert MediaConfig.from_env({"MEDIA_ALLOWED_ORIGINS": ""}).allowed_origins == ()


@pytest.mark.parametrize("port", ["0", "65536", "-1", "80a", "8081.0", "٨٠"])
def test_bad_port_is_rejected_with_the_variable_named(port: str) -> None:
    with pytest.raises(ConfigError, match="MEDIA_PORT must be an integer from 1 to 65535"):
        MediaConfig.from_env({"MEDIA_PORT": port})


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        MediaConfig.from_env(
            {
                "MEDIA_HOST": "not a host",
                "MEDIA_PORT": "http",
                "MEDIA_API_URL": "ftp://api",
                "MEDIA_ALLOWED_ORIGINS": "http://localhost:8080/app",
            }
        )

    variables = [problem.split(" ")[0] for problem in raised.value.problems]
    assert variables == ["MEDIA_HOST", "MEDIA_PORT", "MEDIA_API_URL", "MEDIA_ALLOWED_ORIGINS"]


def test_config_is_frozen() -> None:
    config = MediaConfig.from_env({})

    with pytest.raises(AttributeError):
        config.port = 1  # type: ignore[misc]
