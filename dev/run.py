"""Starts the whole service locally on its embedded default, seeds demo data, and stops everything on Ctrl-C.

moto's server (serialised) stands in for AWS; the API runs on Chalice's local server; the media node and the built
SPA (with ``/api`` proxied to the API, as CloudFront routes it in production) run beside it. Every child runs in
its own process group and is stopped by process id when this runner exits, so nothing is left behind.

Run: ``python -m dev.run`` (``make run`` builds the SPA first).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from dev import processes
from dev.calls_now import seed_calls_now
from dev.provision import provision
from dev.seed import seed
from infra.resources import RESOURCES, key_alias, physical_name

ROOT = Path(__file__).resolve().parents[1]
REGION = "eu-south-2"
STAGE = "dev"


@dataclass(frozen=True)
class Ports:
    moto: int = 5000
    api: int = 8000
    media: int = 8081
    web: int = 8080
    eid: int = 8090


def aws_environment(moto_port: int) -> dict[str, str]:
    """Fake credentials and the local endpoint: nothing can reach a real AWS account from the dev stack."""
    return {
        "AWS_ACCESS_KEY_ID": "dev",
        "AWS_SECRET_ACCESS_KEY": "dev",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
    }


class Stack:
    def __init__(self, ports: Ports, log_dir: Path | None = None) -> None:
        self.ports = ports
        # The demo staff password: DEMO_STAFF_PASSWORD if set, else a fresh one for this run (printed below).
        self.staff_password = os.environ.get("DEMO_STAFF_PASSWORD") or secrets.token_urlsafe(9)
        self.log_dir = log_dir
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.env = {**os.environ, **aws_environment(ports.moto), "PYTHONUNBUFFERED": "1"}
        self.env.pop("AWS_PROFILE", None)

    def spawn(self, name: str, args: list[str], cwd: Path = ROOT, extra: Mapping[str, str] | None = None) -> None:
        output = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = (self.log_dir / f"{name}.log").open("ab")
        self.children.append((name, processes.start(args, cwd=cwd, env={**self.env, **(extra or {})}, output=output)))

    def wait_for(self, name: str, url: str, timeout: float = 45.0) -> None:
        process = next(p for n, p in self.children if n == name)
        processes.wait_until(self.check_alive_and(processes.answers(url)), process, name, timeout)

    def check_alive_and(self, ready: Callable[[], bool]) -> Callable[[], bool]:
        def check() -> bool:
            self.check_alive()
            return ready()

        return check

    def check_alive(self) -> None:
        for name, process in self.children:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with code {process.returncode}")

    def start(self) -> None:
        for port in (self.ports.moto, self.ports.api, self.ports.media, self.ports.web, self.ports.eid):
            if processes.port_in_use(port):
                raise RuntimeError(f"port {port} on 127.0.0.1 is already in use: is another stack running?")
        python = sys.executable
        self.spawn("moto", [python, "-m", "dev.moto_server", "--port", str(self.ports.moto)])
        self.wait_for("moto", f"http://127.0.0.1:{self.ports.moto}/moto-api/")
        endpoint = f"http://127.0.0.1:{self.ports.moto}"
        os.environ.update(aws_environment(self.ports.moto))
        provision(STAGE, REGION, endpoint)
        self.counts = seed(STAGE, REGION, endpoint, self.staff_password)
        self.calls_now = seed_calls_now(STAGE, REGION, endpoint)
        self.spawn("eid", [python, "-m", "dev.fake_eid", "--port", str(self.ports.eid)])
        eid = f"http://127.0.0.1:{self.ports.eid}"
        self.spawn(
            "api",
            [python, "-m", "dev.api_server", "--port", str(self.ports.api)],
            extra={
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.ports.web}",
                "EID_AUTHORIZE_URL": f"{eid}/o/oauth2/auth",
                "EID_TOKEN_URL": f"{eid}/o/oauth2/token",
                "EID_USERINFO_URL": f"{eid}/serveis-rest/getUserInfo",
            },
        )
        self.spawn(
            "media",
            [python, "-m", "videoatencion_media"],
            extra={
                "MEDIA_HOST": "127.0.0.1",
                "MEDIA_PORT": str(self.ports.media),
                "MEDIA_ALLOWED_ORIGINS": f"http://127.0.0.1:{self.ports.web},http://localhost:{self.ports.web}",
                **media_environment(self.ports, self.log_dir),
            },
        )
        web = ROOT / "web"
        if not (web / "dist" / "index.html").exists():
            raise RuntimeError("the SPA is not built: run `make run` (or `npm --prefix web run build`)")
        self.spawn(
            "web",
            [
                "node",
                "node_modules/vite/bin/vite.js",
                "preview",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.ports.web),
                "--strictPort",
            ],
            cwd=web,
            extra={"API_PROXY_TARGET": f"http://127.0.0.1:{self.ports.api}", "WEB_PORT": str(self.ports.web)},
        )
        self.wait_for("eid", f"{eid}/health")
        self.wait_for("api", f"http://127.0.0.1:{self.ports.api}/health")
        self.wait_for("media", f"http://127.0.0.1:{self.ports.media}/health")
        self.wait_for("web", f"http://127.0.0.1:{self.ports.web}/")

    def stop(self) -> None:
        processes.stop([process for _, process in reversed(self.children)])
        self.children.clear()


def media_environment(ports: Ports, log_dir: Path | None) -> dict[str, str]:
    """The media node of the local stack: one worker, registered in the node registry on moto, reporting to the local
    API with the dev stage's webhook secret, recording to the recordings bucket on moto."""
    secret = next(p for p in RESOURCES.parameters if p.name == "media/webhook-secret")
    env = {
        "MEDIA_WORKERS": "1",
        "MEDIA_NODE_ID": f"dev-node-{ports.media}",
        "MEDIA_PUBLIC_URL": f"http://127.0.0.1:{ports.media}",
        "MEDIA_API_URL": f"http://127.0.0.1:{ports.api}",
        "MEDIA_REGISTRY_TABLE": physical_name(STAGE, "media-nodes"),
        "MEDIA_WEBHOOK_SECRET": secret.dev_value,
        "MEDIA_RECORDINGS_BUCKET": physical_name(STAGE, "recordings"),
        "MEDIA_RECORDINGS_KMS_KEY": key_alias(STAGE, "data"),
    }
    if log_dir is not None:
        env["MEDIA_RECORDINGS_DIR"] = str(log_dir / "recordings")
    return env


def calls_now(stack: Stack) -> str:
    lines = []
    for call in stack.calls_now:
        lines.append(
            f"  - {call.office}: citizen {call.name}, ID number {call.id_number}, email {call.email}"
            f" (sign in with a code); agent {call.agent}; {call.start:%H:%M} today (Madrid time)"
        )
    return "\n".join(lines)


def banner(stack: Stack) -> str:
    p = stack.ports
    c = stack.counts
    return f"""
Videoatención is running (stage dev, all on 127.0.0.1). Ctrl-C stops everything.

  Web app (citizens and staff)  http://127.0.0.1:{p.web}/
  API                           http://127.0.0.1:{p.api}/   (also at http://127.0.0.1:{p.web}/api/)
  Media node                    http://127.0.0.1:{p.media}/health
  moto (AWS stand-in)           http://127.0.0.1:{p.moto}/moto-api/

Demo data: {c.offices} offices, {c.services} services, {c.staff} staff accounts, a fictional padrón of {c.people} people
in {c.households} households and {c.ledger_items} tax-ledger items (all invented).
Citizens sign in at http://127.0.0.1:{p.web}/sign-in
  - with a code: any valid DNI/NIE (e.g. 12345678Z) and any email or phone; the code shows on the page
    (development panel) and at http://127.0.0.1:{p.web}/api/dev/outbox
  - with "digital identity": a fake eID provider (port {p.eid}) lets you pick a fictional person at level
    low, substantial or high
Staff sign in at http://127.0.0.1:{p.web}/staff/sign-in with the password   {stack.staff_password}
  accounts: agent.omac, agent.omac2 (OMAC agents), agent.ogat, agent.ogat2 (OGAT agents), supervisor, auditor, admin;
  the second factor is a code emailed to the account (shown on the page, from the dev outbox).
  DEMO_STAFF_PASSWORD chooses the password; otherwise each run makes a new one.
Records: every action goes to the audit trail (log files within seconds, a signed digest every 30 s, in the audit
  bucket on moto). Auditors search and verify at http://127.0.0.1:{p.web}/staff/audit (account auditor); from a
  terminal: make verify-records. Supervisors play recordings (with a reason) at http://127.0.0.1:{p.web}/staff/recordings.
  Citizens see who accessed their data at http://127.0.0.1:{p.web}/me/access-log.
Calls happening now (try one at once: the citizen in one browser window, the agent in another):
{calls_now(stack)}
Logs: {stack.log_dir or "this terminal"}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Ports()
    parser.add_argument("--moto-port", type=int, default=defaults.moto)
    parser.add_argument("--api-port", type=int, default=defaults.api)
    parser.add_argument("--media-port", type=int, default=defaults.media)
    parser.add_argument("--web-port", type=int, default=defaults.web)
    parser.add_argument("--eid-port", type=int, default=defaults.eid)
    parser.add_argument("--log-dir", type=Path, default=None, help="write each process's output to a file here")
    args = parser.parse_args(argv)
    stack = Stack(Ports(args.moto_port, args.api_port, args.media_port, args.web_port, args.eid_port), args.log_dir)

    def interrupted(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    started = time.monotonic()
    try:
        stack.start()
        print(banner(stack), flush=True)
        print(f"Ready in {time.monotonic() - started:.1f} s.", flush=True)
        while True:
            stack.check_alive()
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
