"""Synthesis of the production app for the tests: every stack of the stage, with which context, and the result."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from infra.app import Deployment, build, cdk_json_context

STAGE = "prod"
REGION = "eu-south-2"
SENDER = "cita-previa@ajuntament.example"
COUNCIL_NAME = "Ajuntament de Proves"
# Read by the app: a developer's shell must not change what the tests synthesise.
_DEPLOY_ENV = ("CDK_DEPLOY_REGION", "CDK_DEPLOY_ACCOUNT", "CDK_DEFAULT_ACCOUNT", "CDK_CONTEXT_JSON")
STACKS = ("keys", "data", "records", "api", "media", "web", "observability")
# What an operator must give for production besides the sender (see infra/README.md): the public origin, the media
# nodes' domain (per-node DNS names under it), its hosted zone and the TLS certificate the nodes serve.
PROD_CONTEXT = {
    "public_base_url": "https://cita.ajuntament.example",
    "media_domain": "media.cita.ajuntament.example",
    "media_hosted_zone_id": "Z0123456789ABCDEFGHIJ",
    "media_tls_secret_arn": "arn:aws:secretsmanager:eu-south-2:123456789012:secret:videoatencion/media-tls-AbCdEf",
    "media_allowed_origins": "https://cita.ajuntament.example",
}


@dataclass(frozen=True)
class StackTemplate:
    stack: cdk.Stack
    template: Template
    # The template as plain JSON, for checks the assertion matchers do not express (e.g. text search).
    template_json: dict[str, Any]
    template_path: Path


@dataclass(frozen=True)
class Synthesised:
    deployment: Deployment
    stacks: dict[str, StackTemplate]  # by short name: keys, data, records, api, media, web, observability
    # Every file the synthesis wrote: templates, manifest, tree, asset manifests.
    assembly_dir: Path

    def __getitem__(self, name: str) -> StackTemplate:
        return self.stacks[name]


def synthesise(assembly_dir: Path, stage: str = STAGE, **context: Any) -> Synthesised:
    """The stage (prod by default) with the feature flags of ``infra/cdk.json``: the templates to be deployed."""
    with pytest.MonkeyPatch.context() as env:
        for name in _DEPLOY_ENV:
            env.delenv(name, raising=False)
        app = cdk.App(
            outdir=str(assembly_dir),
            context={
                **cdk_json_context(),
                "stage": stage,
                "sender_email": SENDER,
                "council-name": COUNCIL_NAME,
                **(PROD_CONTEXT if stage == "prod" else {}),
                **context,
            },
        )
        deployment = build(app)
        assembly = app.synth()
    stacks = {}
    for short, stack in zip(STACKS, deployment.stacks, strict=True):
        path = assembly_dir / assembly.get_stack_artifact(stack.artifact_id).template_file
        template_json = json.loads(path.read_text(encoding="utf-8"))
        stacks[short] = StackTemplate(stack, Template.from_json(template_json), template_json, path)
    return Synthesised(deployment=deployment, stacks=stacks, assembly_dir=assembly_dir)
