"""Synthesis of the production app for the tests: what is synthesised, with which context, and the result."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from infra.app import build, cdk_json_context
from infra.stacks.data_stack import DataStack

STAGE = "prod"
REGION = "eu-south-2"
SENDER = "cita-previa@ajuntament.example"
COUNCIL_NAME = "Ajuntament de Proves"
# Read by the app: a developer's shell must not change what the tests synthesise.
_DEPLOY_ENV = ("CDK_DEPLOY_REGION", "CDK_DEPLOY_ACCOUNT", "CDK_DEFAULT_ACCOUNT", "CDK_CONTEXT_JSON")


@dataclass(frozen=True)
class Synthesised:
    stack: DataStack
    template: Template
    # The template as plain JSON, for checks the assertion matchers do not express (e.g. text search).
    template_json: dict[str, Any]
    template_path: Path
    # Every file the synthesis wrote: template, manifest, tree, asset manifests.
    assembly_dir: Path


def synthesise(assembly_dir: Path) -> Synthesised:
    """The prod stage with the feature flags of ``infra/cdk.json``: the template that would be deployed."""
    with pytest.MonkeyPatch.context() as env:
        for name in _DEPLOY_ENV:
            env.delenv(name, raising=False)
        app = cdk.App(
            outdir=str(assembly_dir),
            context={**cdk_json_context(), "stage": STAGE, "sender_email": SENDER, "council-name": COUNCIL_NAME},
        )
        stack = build(app)
        artifact = app.synth().get_stack_artifact(stack.artifact_id)
    template_path = assembly_dir / artifact.template_file
    template_json = json.loads(template_path.read_text(encoding="utf-8"))
    return Synthesised(
        stack=stack,
        template=Template.from_json(template_json),
        template_json=template_json,
        template_path=template_path,
        assembly_dir=assembly_dir,
    )
