"""Synthesises Videoatención's production stacks: ``python infra/app.py [-c key=value ...]``.

Plain python does not read ``cdk.json``, so its context (the feature flags) is loaded here and ``-c`` is accepted
like the CDK CLI's. The CLI works too (``cd infra && npx cdk synth -c ...``): it runs this file and passes its own
context, which then takes precedence over ``cdk.json`` as usual.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

INFRA_DIR = Path(__file__).resolve().parent
REPO_ROOT = INFRA_DIR.parent
# The CDK CLI runs `python app.py` from infra/; the repo root on the path lets both ways import the `infra` package.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
# Node 20 prints an end-of-life banner each time jsii starts it; it says nothing about this app.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402

from infra.resources import PROJECT, RESOURCES, physical_name  # noqa: E402
from infra.stacks.data_stack import DataStack  # noqa: E402

DEFAULT_STAGE = "prod"
# Spain: the council's personal data stays in the country unless a deployment says otherwise explicitly.
DEFAULT_REGION = "eu-south-2"
# Tables and buckets hold personal data (padrón, tax ledger, recordings): the strictest class applies stack-wide.
DATA_CLASSIFICATION = "confidential-personal-data"
_STAGE_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,15}")


def cdk_json_context() -> dict[str, Any]:
    """The ``context`` of ``infra/cdk.json``: feature flags and any defaults committed with the app."""
    context: dict[str, Any] = json.loads((INFRA_DIR / "cdk.json").read_text(encoding="utf-8"))["context"]
    return context


def build(app: cdk.App) -> DataStack:
    """Adds the stacks for the stage named in the app's context and returns the data stack."""
    stage = str(app.node.try_get_context("stage") or DEFAULT_STAGE)
    if not _STAGE_PATTERN.fullmatch(stage):
        # The stage ends up in bucket and table names.
        raise ValueError(f"stage {stage!r} must match {_STAGE_PATTERN.pattern}")
    # CDK_DEFAULT_REGION is deliberately not read: the CLI fills it from the operator's profile, and where the
    # council's data lives must not depend on that. CDK_DEPLOY_* follow the CDK guide's convention.
    region = str(app.node.try_get_context("region") or os.environ.get("CDK_DEPLOY_REGION") or DEFAULT_REGION)
    account = os.environ.get("CDK_DEPLOY_ACCOUNT") or os.environ.get("CDK_DEFAULT_ACCOUNT")
    tags = {"project": PROJECT, "stage": stage, "data-classification": DATA_CLASSIFICATION}

    data = DataStack(
        app,
        physical_name(stage, "data"),
        stage=stage,
        resources=RESOURCES,
        env=cdk.Environment(account=account, region=region),
        description=f"Videoatención {stage}: tables, buckets, KMS keys, parameters and sender identity",
        termination_protection=stage == "prod",
        # Stack tags (CloudFormation copies them to every resource it can tag) and the same tags on each resource
        # in the template, so they show even on resources created outside a stack update.
        tags=tags,
    )
    for key, value in tags.items():
        cdk.Tags.of(data).add(key, value)
    return data


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="context value, as with the CDK CLI (stage, region, sender_email, council-name)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        # The CDK CLI tells the app where to write through CDK_OUTDIR.
        default=Path(os.environ.get("CDK_OUTDIR") or INFRA_DIR / "cdk.out"),
        help="cloud assembly directory (default: infra/cdk.out)",
    )
    args = parser.parse_args(argv)
    context = cdk_json_context()
    for item in args.context:
        key, separator, value = item.partition("=")
        if not separator or not key:
            parser.error(f"-c expects KEY=VALUE, got {item!r}")
        context[key] = value

    app = cdk.App(outdir=str(args.output), context=context)
    try:
        data = build(app)
    except ValueError as missing_or_invalid:
        parser.error(str(missing_or_invalid))
    app.synth()
    print(f"{data.stack_name} ({data.region}) synthesised into {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
