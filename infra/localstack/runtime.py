"""LocalStack's runtime on this host: the Python 3.13 venv with the pinned ``localstack-core``, and the process
started on a free port in its own process group, stopped whatever happens."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dev import processes

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCALSTACK_DIR = REPO_ROOT / ".localstack"
VENV = LOCALSTACK_DIR / "venv"
# localstack-core 2026.3 on Python 3.13 (../shared/design/LOCAL.md): newer cbor2/pyOpenSSL/cryptography break it.
REQUIREMENTS = (
    "localstack-core[runtime]==2026.3.0",
    "cbor2<6",
    "pyopenssl<26",
    "cryptography<47",
    "service-identity",
)
PYTHON_VERSION = (3, 13)
READY_TIMEOUT_S = 90.0


class SetupError(Exception):
    """LocalStack could not be installed or started (not a finding about the stacks)."""


# --- Python 3.13 and the venv -----------------------------------------------------------------------------------


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(  # noqa: S603 (our own interpreters, fixed arguments)
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return (int(out[0]), int(out[1])) if len(out) == 2 else None


def find_python() -> str | None:
    """A Python 3.13 interpreter: ``$LOCALSTACK_PYTHON``, pyenv's newest 3.13, or ``python3.13`` on the PATH."""
    candidates: list[str] = []
    if explicit := os.environ.get("LOCALSTACK_PYTHON"):
        candidates.append(explicit)
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates += [str(p) for p in sorted(pyenv_root.glob("versions/3.13*/bin/python3.13"), reverse=True)]
    if on_path := shutil.which("python3.13"):
        candidates.append(on_path)
    return next((c for c in candidates if _version_of(c) == PYTHON_VERSION), None)


def ensure_venv(log: Callable[[str], None]) -> Path:
    """``.localstack/venv/bin/python`` with the pinned ``localstack-core``; installs only what is missing."""
    python = VENV / "bin" / "python"
    marker = VENV / ".installed"
    wanted = "\n".join(REQUIREMENTS)
    if python.exists() and marker.exists() and marker.read_text(encoding="utf-8") == wanted:
        return python
    base = find_python()
    if base is None:
        raise SetupError("Python 3.13 not found (pyenv versions/3.13*, python3.13 on PATH, or $LOCALSTACK_PYTHON)")
    started = time.monotonic()
    log(f"installing {', '.join(REQUIREMENTS)} into {VENV.relative_to(REPO_ROOT)} ({base})")
    if not python.exists():
        VENV.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)  # noqa: S603 (our own interpreters, fixed arguments)
    result = subprocess.run(  # noqa: S603 (our own interpreters, fixed arguments)
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *REQUIREMENTS],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SetupError(f"pip install failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    marker.write_text(wanted, encoding="utf-8")
    log(f"installed in {time.monotonic() - started:.0f} s")
    return python


# --- LocalStack's process ---------------------------------------------------------------------------------------


@dataclass
class LocalStack:
    process: subprocess.Popen[bytes]
    endpoint: str
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# LocalStack's runtime (`python -m localstack.runtime.main`), its S3 object store moved from the fixed
# /tmp/localstack-s3-storage into this run's folder: concurrent runs must not share bucket folders, and none is left.
_RUNTIME_MAIN = """
import runpy, sys
import localstack.services.s3.provider as s3_provider
s3_provider.DEFAULT_S3_TMP_DIR = sys.argv[1]
sys.argv = sys.argv[:1]
runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=True)
"""


@contextlib.contextmanager
def localstack(python: Path, workdir: Path) -> Iterator[LocalStack]:
    port = processes.free_port()
    state = workdir / "state"
    tmp = workdir / "tmp"
    state.mkdir()
    tmp.mkdir()
    env = {
        # Only what the runtime needs: no credentials or endpoints of the caller's shell leak into it.
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "TMPDIR": str(tmp),
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "GATEWAY_SERVER": "hypercorn",  # the default server binds 0.0.0.0 whatever GATEWAY_LISTEN says
        "DNS_ADDRESS": "0",
        "DISABLE_EVENTS": "1",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "FILESYSTEM_ROOT": str(state),
        "LOCALSTACK_HOST": f"127.0.0.1:{port}",
        "PERSISTENCE": "0",
    }
    log_path = workdir / "localstack.log"
    with log_path.open("wb") as log_file:
        process = processes.start(
            [str(python), "-c", _RUNTIME_MAIN, str(workdir / "s3")], cwd=workdir, env=env, output=log_file
        )
    running = LocalStack(process, f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_ready(running)
        yield running
    finally:
        processes.stop([process], grace=15)


def _wait_ready(running: LocalStack) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise SetupError(f"LocalStack exited with {running.process.returncode}:\n{running.log_tail()}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(f"{running.endpoint}/_localstack/health", timeout=2) as response,  # noqa: S310
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise SetupError(f"LocalStack not ready after {READY_TIMEOUT_S:.0f} s:\n{running.log_tail()}")


if __name__ == "__main__":  # `make test` installs it beside the other installs, not inside the CDK lane
    ensure_venv(print)
