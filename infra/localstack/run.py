"""Deploys the keys and records stacks to LocalStack on this host and checks that S3 and KMS really apply them.

``python -m infra.localstack.run`` (``make localstack-test``):

1. creates ``.localstack/venv`` with Python 3.13 if missing (LocalStack needs ≥ 3.12; the project's venv is 3.11) and
   installs ``localstack-core`` with the pins that make it work there;
2. starts LocalStack's runtime directly (the ``localstack`` CLI wants an account and Docker): bound to 127.0.0.1 on a
   free port, DNS server off, state in a temporary folder, in its own process group — stopped at the end whatever
   happens;
3. synthesises the app (or reads ``--assembly``), deploys the keys then the records template to LocalStack's
   CloudFormation (asynchronous: polled), the way ``cdk deploy`` would after ``cdk bootstrap``;
4. checks with boto3, on every bucket: Object Lock mode and days, versioning, default encryption (``aws:kms`` with
   the ``data`` key, bucket key), public access block, TLS-only policy, access logging, lifecycle rules; that an
   object version under Object Lock cannot be deleted (nor with a governance bypass under COMPLIANCE); that the
   object-level retention the API sets is kept; and the keys' spec, usage, aliases and rotation.

Prints each check and exits 1 if any failed (2 if LocalStack could not be installed or started).
What LocalStack does not model: it does not evaluate bucket policies (the TLS-only statements are checked as
stored, not enforced) nor deliver server access logs.

Modules: ``runtime`` (the venv and LocalStack's process), ``deploy`` (synthesis, deployment, what LocalStack's
CloudFormation leaves out), ``checks`` (what S3 and KMS are asked); this one runs them in that order.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from infra.localstack.checks import Report, check_buckets, check_keys
from infra.localstack.deploy import (
    STACKS,
    Clients,
    bootstrap,
    complete_what_localstack_drops,
    deploy,
    read_assembly,
    synthesise,
)
from infra.localstack.runtime import SetupError, ensure_venv, localstack
from infra.stages import add_context_option, context_values


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    # dev by default: prod needs the operator's context (sender, domains, certificates) for the other stacks; the
    # keys and records stacks are the same in both but for termination protection and log retention.
    parser.add_argument("--stage", default="dev", help="stage whose templates are deployed (default dev)")
    add_context_option(parser, "context for the synthesis, as with infra/app.py (e.g. what prod needs)")
    parser.add_argument("--assembly", type=Path, help="use this cloud assembly (make synth) instead of synthesising")
    parser.add_argument("--install-only", action="store_true", help="only create .localstack/venv")
    args = parser.parse_args(argv)
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:5.1f} s] {message}", flush=True)

    try:
        python = ensure_venv(log)
    except (SetupError, subprocess.CalledProcessError) as error:
        print(f"LocalStack unavailable: {error}", file=sys.stderr)
        return 2
    if args.install_only:
        return 0

    report = Report()
    with tempfile.TemporaryDirectory(prefix="videoatencion-localstack-") as workdir:
        if args.assembly:
            templates = read_assembly(args.assembly, args.stage)
        else:
            context = context_values(parser, args.context)
            templates = synthesise(args.stage, Path(workdir) / "cdk.out", context)
            log(f"synthesised the app ({args.stage})")
        try:
            with localstack(python, Path(workdir)) as running:
                log(f"LocalStack ready at {running.endpoint}")
                clients = Clients(running.endpoint)
                bootstrap(clients, templates)
                try:
                    for short in STACKS:
                        deploy(clients, templates[short]["name"], templates[short]["template"])
                        log(f"deployed {templates[short]['name']}")
                except Exception as error:
                    report.check("deploy", False, f"{error}\n{running.log_tail(20)}")
                else:
                    records = templates["records"]
                    dropped = complete_what_localstack_drops(report, clients, records["name"], records["template"])
                    for prop, buckets in dropped.items():
                        print(
                            f"LocalStack's CloudFormation left out {prop} on {len(buckets)} buckets: put from the "
                            "template through the S3 API"
                        )
                    key_arns = check_keys(report, clients, args.stage)
                    check_buckets(report, clients, args.stage, key_arns)
        except SetupError as error:
            print(f"LocalStack unavailable: {error}", file=sys.stderr)
            return 2
    log(f"{report.passed} checks passed, {len(report.failures)} failed; LocalStack stopped")
    for failure in report.failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if report.failures else 0


def _terminate(signum: int, _frame: object) -> None:
    # SIGTERM (a test's timeout, make's interrupt) unwinds like Ctrl-C, so LocalStack is stopped on the way out.
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
