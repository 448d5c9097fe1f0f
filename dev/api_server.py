"""The API on Chalice's local server, answering unknown routes the way production's API Gateway is configured to.

``chalice local`` answers a request for a route that does not exist with API Gateway's default (403 "Missing
Authentication Token"); production replaces that default with the gateway responses in
``chalicelib.api.errors.GATEWAY_RESPONSES`` (404 problem+json). This server applies the same answers, so the SPA
and tests see locally what users see in production. Run: ``python -m dev.api_server --port 8000``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from chalice.cli.factory import CLIFactory
from chalice.local import (
    ChaliceRequestHandler,
    ForbiddenError,
    LocalDevServer,
    LocalGatewayException,
    ThreadedHTTPServer,
)

from chalicelib.api.errors import GATEWAY_RESPONSES, PROBLEM_JSON

ROOT = Path(__file__).resolve().parents[1]


class GatewayRequestHandler(ChaliceRequestHandler):
    def _send_error_response(self, error: LocalGatewayException) -> None:
        kind = "MISSING_AUTHENTICATION_TOKEN" if isinstance(error, ForbiddenError) else "DEFAULT_4XX"
        body = GATEWAY_RESPONSES[kind]
        self._send_http_response(body["status"], {"Content-Type": PROBLEM_JSON}, json.dumps(body))


class Server(ThreadedHTTPServer):
    # The standard library's backlog of 5 resets connections when many clients arrive together (race tests).
    request_queue_size = 128
    daemon_threads = True


def build_server(host: str, port: int, stage: str = "dev") -> LocalDevServer:
    runner = dict(os.environ)
    factory = CLIFactory(str(ROOT), environ=os.environ)
    # Loading the app applies the stage's variables to os.environ, over what the runner set on purpose (the ports
    # of this particular stack): put the runner's values back.
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = config.chalice_app  # loading is lazy: do it before restoring
    for name, value in config.environment_variables.items():
        os.environ[name] = runner.get(name, value)
    return LocalDevServer(app, config, host, port, handler_cls=GatewayRequestHandler, server_cls=Server)


def run_schedule(name: str, every: float, stop: threading.Event) -> None:
    """Chalice's local server does not run scheduled functions: stand in for one EventBridge rule of app.py."""
    import app

    function = {"reminders": app.send_reminders, "trail": app.deliver_trail, "retention": app.sweep_retention}[name]
    while not stop.wait(every):
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "000000000000",
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": os.environ.get("AWS_REGION", "eu-south-2"),
            "resources": [],
            "detail": {},
        }
        try:
            function(event, None)  # what EventBridge hands the function; no Lambda context
        except Exception as exc:
            print(f"{name} run failed: {exc!r}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--schedule-every", type=float, default=60.0, help="seconds between reminder runs (0: none)")
    parser.add_argument(
        "--trail-every",
        type=float,
        default=2.0,
        help="seconds between audit trail deliveries (digests follow DIGEST_PERIOD_SECONDS; 0: none)",
    )
    parser.add_argument(
        "--retention-every", type=float, default=60.0, help="seconds between retention sweeps (0: none)"
    )
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    server = build_server(args.host, args.port, args.stage)
    stop_schedules = threading.Event()
    schedules = (("reminders", args.schedule_every), ("trail", args.trail_every), ("retention", args.retention_every))
    for name, every in schedules:
        if every > 0:
            threading.Thread(target=run_schedule, args=(name, every, stop_schedules), daemon=True).start()

    def stop(signum: int, frame: FrameType | None) -> None:
        stop_schedules.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
