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


def test_calls_settings(tmp_path: Path) -> None:
    config = MediaConfig.from_env(
        {
            "MEDIA_PORT": "9000",
            "MEDIA_RECORDINGS_DIR": str(tmp_path),
            "MEDIA_MAX_ROOMS": "8",
            "MEDIA_PUBLIC_URL": "https://media.example.org:9443/",
            "MEDIA_NODE_ID": "task-abc",
            "MEDIA_REGISTRY_TABLE": "videoatencion-prod-media-nodes",
            "MEDIA_WEBHOOK_SECRET": "s3cret",
            "MEDIA_RECORDINGS_BUCKET": "videoatencion-prod-recordings",
            "MEDIA_RECORDINGS_KMS_KEY": "alias/videoatencion-prod-data",
            "MEDIA_SEGMENT_SECONDS": "10",
            "MEDIA_TOKEN_ISSUER": "videoatencion-test",
            "MEDIA_WORKERS": "2",
            "MEDIA_API_URL": "https://api.example.org",
        }
    )

    assert (config.max_rooms, config.node_id, config.workers, config.segment_seconds) == (8, "task-abc", 2, 10.0)
    assert (config.registry_table, config.recordings_bucket, config.recordings_kms_key) == (
        "videoatencion-prod-media-nodes",
        "videoatencion-prod-recordings",
        "alias/videoatencion-prod-data",
    )
    assert config.token_issuer == "videoatencion-test"  # noqa: S105 - an issuer name
    assert config.jwks_url == "https://api.example.org/.well-known/jwks.json"
    assert config.webhook_url == "https://api.example.org/media/events"
    assert "s3cret" not in repr(config)

    # Each worker is a node of its own: next port, its own id, URL and recordings folder.
    second = config.for_worker(1)
    assert (second.port, second.node_id, second.base_url) == (9001, "task-abc-1", "https://media.example.org:9444")
    assert second.recordings_dir == tmp_path / "worker-1"
    assert config.for_worker(0).base_url == "https://media.example.org:9443"


def test_calls_defaults() -> None:
    config = MediaConfig.from_env({"MEDIA_PORT": "8099"})

    assert (config.max_rooms, config.segment_seconds, config.token_issuer) == (20, 30.0, "videoatencion")
    assert config.workers >= 1
    assert config.base_url == "http://127.0.0.1:8099"
    assert config.node_id.endswith("-8099")
    assert (config.registry_table, config.webhook_secret, config.recordings_bucket) == (None, None, None)
    single = MediaConfig.from_env({"MEDIA_WORKERS": "1"})
    assert single.for_worker(0) is single


def test_public_url_template_per_worker() -> None:
    config = MediaConfig.from_env(
        {"MEDIA_WORKERS": "3", "MEDIA_PUBLIC_URL": "https://media-{worker}.example.org", "MEDIA_NODE_ID": "n"}
    )

    assert config.for_worker(2).base_url == "https://media-2.example.org"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MEDIA_MAX_ROOMS", "0"),
        ("MEDIA_MAX_ROOMS", "many"),
        ("MEDIA_WORKERS", "0"),
        ("MEDIA_SEGMENT_SECONDS", "0.5"),
        ("MEDIA_SEGMENT_SECONDS", "nan"),
        ("MEDIA_PUBLIC_URL", "ftp://x"),
        ("MEDIA_NODE_ID", "has space"),
        ("MEDIA_GRACE_SECONDS", "-1"),
    ],
)
def test_bad_calls_settings_are_rejected(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        MediaConfig.from_env({name: value, "MEDIA_WORKERS": "1"} if name != "MEDIA_WORKERS" else {name: value})


def test_several_workers_need_a_public_url_per_worker() -> None:
    with pytest.raises(ConfigError, match="MEDIA_PUBLIC_URL"):
        MediaConfig.from_env({"MEDIA_WORKERS": "2", "MEDIA_PUBLIC_URL": "https://media.example.org"})
    with pytest.raises(ConfigError, match="MEDIA_PORT"):
        MediaConfig.from_env({"MEDIA_WORKERS": "4", "MEDIA_PORT": "65534"})


def test_stun_urls_are_listed_and_checked() -> None:
    config = MediaConfig.from_env({"MEDIA_STUN_URLS": "stun:stun.vilademo.example:3478, stun:10.0.0.2"})
    assert config.stun_urls == ("stun:stun.vilademo.example:3478", "stun:10.0.0.2")
    assert MediaConfig.from_env({}).stun_urls == ()
    with pytest.raises(ConfigError, match="MEDIA_STUN_URLS"):
        MediaConfig.from_env({"MEDIA_STUN_URLS": "http://not-stun"})
