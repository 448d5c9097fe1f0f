"""What every stack of a stage starts from: the operator's context, parsed once (``infra/stages.py``), and the
description of the data resources (``infra/resources.py``)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from infra.resources import Resources
from infra.stages import OperatorContext


class StageStack(Stack):
    """``context``, ``config`` (the stage's settings), ``stage`` (its name) and ``resources``."""

    def __init__(
        self, scope: Construct, construct_id: str, *, context: OperatorContext, resources: Resources, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.context = context
        self.config = context.config
        self.stage = context.config.name
        self.resources = resources
