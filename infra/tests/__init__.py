"""Tests of the CDK app: synthesised templates checked against ``infra.resources``."""
