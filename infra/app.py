"""Synthesises Videoatención's production stacks: ``python infra/app.py [-c key=value ...]``.

Plain python does not read ``cdk.json``, so its context (the feature flags) is loaded here and ``-c`` is accepted
like the CDK CLI's. The CLI works too (``cd infra && npx cdk synth -c ...``): it runs this file and passes its own
context, which then takes precedence over ``cdk.json`` as usual.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

INFRA_DIR = Path(__file__).resolve().parent
REPO_ROOT = INFRA_DIR.parent
# The CDK CLI runs `python app.py` from infra/; the repo root on the path lets both ways import the `infra` package.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
# Node 20 prints an end-of-life banner each time jsii starts it; it says nothing about this app.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402

from infra.resources import PROJECT, RESOURCES, physical_name  # noqa: E402
from infra.stacks.api_stack import ApiStack  # noqa: E402
from infra.stacks.data_stack import DataStack  # noqa: E402
from infra.stacks.keys_stack import KeysStack  # noqa: E402
from infra.stacks.media_stack import MediaStack  # noqa: E402
from infra.stacks.observability_stack import ObservabilityStack  # noqa: E402
from infra.stacks.records_stack import RecordsStack  # noqa: E402
from infra.stacks.web_stack import WebStack  # noqa: E402
from infra.stages import OperatorContext, add_context_option, context_values  # noqa: E402

S = TypeVar("S", bound=cdk.Stack)

# Tables and buckets hold personal data (padrón, tax ledger, recordings): the strictest class applies everywhere.
DATA_CLASSIFICATION = "confidential-personal-data"


def cdk_json_context() -> dict[str, Any]:
    """The ``context`` of ``infra/cdk.json``: feature flags and any defaults committed with the app."""
    context: dict[str, Any] = json.loads((INFRA_DIR / "cdk.json").read_text(encoding="utf-8"))["context"]
    return context


@dataclass(frozen=True)
class Deployment:
    """Every stack of one stage, in dependency order."""

    context: OperatorContext
    keys: KeysStack
    data: DataStack
    records: RecordsStack
    api: ApiStack
    media: MediaStack
    web: WebStack
    observability: ObservabilityStack

    @property
    def stacks(self) -> list[cdk.Stack]:
        return [self.keys, self.data, self.records, self.api, self.media, self.web, self.observability]


def operator_context(app: cdk.App) -> OperatorContext:
    """The app's context (``-c``, ``cdk.json``), parsed and checked once for every stack."""
    return OperatorContext.parse(app.node.try_get_context, RESOURCES, os.environ)


def build(app: cdk.App) -> Deployment:
    """Adds the stacks of the stage named in the app's context (``-c stage=``, default prod)."""
    context = operator_context(app)
    config = context.config
    stage = config.name
    # The account: CDK_DEPLOY_ACCOUNT as in the CDK guide's convention, else the CLI's.
    account = os.environ.get("CDK_DEPLOY_ACCOUNT") or os.environ.get("CDK_DEFAULT_ACCOUNT")
    env = cdk.Environment(account=account, region=context.region)
    tags = {"project": PROJECT, "stage": stage, "data-classification": DATA_CLASSIFICATION}
    common: dict[str, Any] = {"env": env, "tags": tags, "context": context, "resources": RESOURCES}

    def stack(kind: type[S], part: str, what: str, **others: Any) -> S:
        return kind(app, physical_name(stage, part), description=f"Videoatención {stage}: {what}", **common, **others)

    # The stateful stacks: protected from deletion where the stage protects its data.
    protect = {"termination_protection": config.protect_data}
    keys = stack(KeysStack, "keys", "KMS keys", **protect)
    data = stack(DataStack, "data", "tables, parameters and sender identity", keys=keys, **protect)
    records = stack(
        RecordsStack,
        "records",
        "audit, recordings and documents buckets (Object Lock), access logs",
        keys=keys,
        **protect,
    )
    api = stack(
        ApiStack,
        "api",
        "the API (Chalice on Lambda + API Gateway) and its scheduled functions",
        keys=keys,
        data=data,
        records=records,
    )
    media = stack(
        MediaStack,
        "media",
        "media nodes on ECS Fargate (and TURN)",
        keys=keys,
        data=data,
        records=records,
        api=api,
    )
    web = stack(WebStack, "web", "the SPA on S3 + CloudFront, WAF", api=api)
    observability = stack(
        ObservabilityStack, "observability", "alarms and the dashboard", keys=keys, api=api, media=media
    )
    deployment = Deployment(context, keys, data, records, api, media, web, observability)
    for each in deployment.stacks:
        for key, value in tags.items():
            cdk.Tags.of(each).add(key, value)
    return deployment


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_context_option(
        parser, "context value, as with the CDK CLI (stage, region, sender_email, council-name, any StageConfig field)"
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
    context = {**cdk_json_context(), **context_values(parser, args.context)}

    app = cdk.App(outdir=str(args.output), context=context)
    try:
        deployment = build(app)
    except ValueError as missing_or_invalid:
        parser.error(str(missing_or_invalid))
    app.synth()
    names = ", ".join(s.stack_name for s in deployment.stacks)
    print(f"{names} ({deployment.keys.region}) synthesised into {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
