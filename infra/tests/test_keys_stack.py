"""The synthesised keys stack holds every KMS key ``infra/resources.py`` describes, behind its alias."""

from __future__ import annotations

import json
import re

import pytest

from infra.resources import RESOURCES, KmsKey, key_alias, physical_name
from infra.tests.synthesis import REGION, STACKS, STAGE, Synthesised
from infra.tests.templates import assert_retained, ids, key_arn_import, key_logical_id, tags


def test_the_stack_declares_exactly_the_described_keys(synthesised: Synthesised) -> None:
    keys = synthesised["keys"]
    aliases = {r["Properties"]["AliasName"] for r in keys.template.find_resources("AWS::KMS::Alias").values()}

    assert aliases == {key_alias(STAGE, k.name) for k in RESOURCES.keys}
    assert len(keys.template.find_resources("AWS::KMS::Key")) == len(RESOURCES.keys)
    assert set(synthesised.deployment.keys.keys) == {k.name for k in RESOURCES.keys}


@pytest.mark.parametrize("key", RESOURCES.keys, ids=ids)
def test_every_key_has_its_spec_usage_rotation_and_is_retained(synthesised: Synthesised, key: KmsKey) -> None:
    resource = synthesised["keys"].template_json["Resources"][key_logical_id(synthesised, key.name)]

    assert resource["Type"] == "AWS::KMS::Key"
    assert resource["Properties"]["KeySpec"] == key.spec
    assert resource["Properties"]["KeyUsage"] == key.usage
    # KMS rotates symmetric keys only (asymmetric keys' public keys are handed out; see keys_stack.py).
    assert resource["Properties"]["EnableKeyRotation"] is (key.spec == "SYMMETRIC_DEFAULT")
    assert_retained(resource)


@pytest.mark.parametrize("key", RESOURCES.keys, ids=ids)
def test_every_key_is_tagged_and_its_policy_names_no_other_account(synthesised: Synthesised, key: KmsKey) -> None:
    keys = synthesised["keys"]
    resource = keys.template_json["Resources"][key_logical_id(synthesised, key.name)]
    policy = json.dumps(resource["Properties"]["KeyPolicy"])

    keys.template.has_resource_properties("AWS::KMS::Key", {"KeySpec": key.spec, "Tags": tags(STAGE)})
    # The account's own root (IAM policies then grant within the account), no wildcard principal, no literal account.
    assert '"AWS": "*"' not in policy
    assert '{"Ref": "AWS::AccountId"}, ":root"' in policy
    assert re.search(r"\d{12}", policy) is None


def test_other_stacks_import_what_they_use_so_it_cannot_be_removed_while_in_use(synthesised: Synthesised) -> None:
    # Strong references to keys, tables and buckets: their stack exports each ARN or name, and a stack using one
    # imports it, so CloudFormation refuses to drop it (or its export) while in use. Weak ones (Fn::GetStackOutput,
    # the app's default) would not, and do not deploy on moto or LocalStack.
    producers = {synthesised[short].stack.stack_name for short in ("keys", "data", "records")}
    for short in STACKS:
        weak = _stack_outputs_read(synthesised[short].template_json)
        assert not weak & producers, short


def _stack_outputs_read(node: object) -> set[str]:
    """The stacks whose outputs a template reads with Fn::GetStackOutput."""
    if isinstance(node, dict):
        found = {node["Fn::GetStackOutput"]["StackName"]} if "Fn::GetStackOutput" in node else set()
        return found.union(*(_stack_outputs_read(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_stack_outputs_read(v) for v in node))
    return set()


def test_the_records_and_data_stacks_use_the_data_key(synthesised: Synthesised) -> None:
    data_key = json.dumps(key_arn_import(synthesised, "data"))

    assert data_key in json.dumps(synthesised["data"].template_json)
    assert data_key in json.dumps(synthesised["records"].template_json)


def test_the_stack_is_protected_from_termination_in_prod_only(
    synthesised: Synthesised, synthesised_dev: Synthesised
) -> None:
    prod = synthesised["keys"].stack
    dev = synthesised_dev["keys"].stack

    assert prod.region == dev.region == REGION
    assert prod.stack_name == physical_name(STAGE, "keys")
    assert prod.termination_protection is True
    assert dev.termination_protection is False
    # The keys are retained in dev too: its tables and buckets stay encrypted with them.
    for key in RESOURCES.keys:
        assert_retained(synthesised_dev["keys"].template_json["Resources"][key_logical_id(synthesised_dev, key.name)])
