"""moto in-process, provisioned once per test process and emptied between tests.

Provisioning the dev stage costs up to seconds (moto generates an RSA or EC key pair for every KMS key and builds
every table) and the demo data more (argon2id hashes of the staff passwords): done for every test it was most of the
API lane's time. Here the KMS keys and the tables are built once; before each test every table is emptied and every
other service (S3, SSM, SES, SNS, ...) starts again from nothing, then gets what ``dev.provision`` gives it. The demo
data is loaded once and restored from a copy.

This reaches into moto's backends (pinned in requirements-dev.txt): emptying a table there is a dictionary cleared,
where deleting its items through the API would cost a request per 25 of them.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

from moto import mock_aws
from moto.backends import get_backend
from moto.core.base_backend import BackendDict
from moto.core.model_instances import reset_model_data

from chalicelib.adapters import aws as aws_clients
from dev.provision import ensure_bucket, ensure_key, provision
from infra.resources import RESOURCES, parameter_path, physical_name

STAGE = "dev"
# What survives between tests: building them again is the cost this module saves. Their contents do not survive.
KEPT_SERVICES = ("kms", "dynamodb")

T = TypeVar("T")


def _serialise_requests() -> None:
    """One mocked AWS request at a time, as ``dev/moto_server.py`` serves them: moto checks a condition and writes
    the item in separate steps, so two threads racing (a test of two approvals at once) could both pass a condition
    that DynamoDB would let only one pass."""
    from moto.core.botocore_stubber import BotocoreStubber

    if getattr(BotocoreStubber.__call__, "serialised", False):
        return
    lock = threading.RLock()
    handle = BotocoreStubber.__call__

    @functools.wraps(handle)
    def serialised(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return handle(self, *args, **kwargs)

    serialised.serialised = True  # type: ignore[attr-defined]
    BotocoreStubber.__call__ = serialised  # type: ignore[method-assign]


_serialise_requests()
_seeded: dict[str, tuple[Any, dict[str, Any]]] = {}


def _region() -> str:
    return os.environ["AWS_REGION"]


def _tables() -> dict[str, Any]:
    """Every DynamoDB table moto holds, by name, over every account and region."""
    return {
        name: table
        for _, _, backend in get_backend("dynamodb").iter_backends()
        for name, table in cast(Any, backend).tables.items()
    }


def _provisioned() -> bool:
    tables = _tables()
    return all(physical_name(STAGE, table.name) in tables for table in RESOURCES.tables)


def _start_afresh_all_but_kept() -> None:
    for backends in list(cast(Any, BackendDict)._instances):  # the services some test used, each a dict of accounts
        if backends.service_name not in KEPT_SERVICES:
            for account in backends.values():
                account.reset()
    _empty_tables()


def _empty_tables() -> None:
    for table in _tables().values():
        table.items.clear()
        if table.stream_shard is not None:  # the stream's records: a transaction deep-copies them with the table
            table.stream_shard.items.clear()
    # moto tracks every model instance it ever made, items and attribute values included, for /moto-api/data.json
    # (the dev outbox reads it): kept across tests, the list held every item of the process (1.6 GB in the property
    # lane) and each read of data.json serialised them all. The tables and keys stay in their backends.
    reset_model_data()


def _provision_the_rest() -> None:
    """What ``dev.provision`` builds outside DynamoDB and KMS (quick: no key pairs, no tables)."""
    region = _region()
    kms = aws_clients.client("kms", region)
    key_ids = {key.name: ensure_key(kms, STAGE, key) for key in RESOURCES.keys}
    s3 = aws_clients.client("s3", region)
    for bucket in RESOURCES.buckets:
        ensure_bucket(s3, STAGE, bucket, region, key_ids[bucket.kms_key])
    ssm = aws_clients.client("ssm", region)
    for parameter in RESOURCES.parameters:
        ssm.put_parameter(
            Name=parameter_path(STAGE, parameter.name),
            Value=parameter.dev_value,
            Type="SecureString" if parameter.secure else "String",
            Overwrite=True,
        )
    ses = aws_clients.client("ses", region)
    for identity in RESOURCES.email_identities:
        ses.verify_email_identity(EmailAddress=identity.dev_address)


@contextlib.contextmanager
def fresh(tables_only: bool = False) -> Iterator[None]:
    """moto intercepting AWS calls, with the dev stage's resources, all of them empty.

    ``tables_only``: only the DynamoDB tables are emptied (for tests that use nothing else: much quicker)."""
    mock = mock_aws()
    mock.start(reset=False)  # keep what an earlier test provisioned...
    try:
        if not _provisioned():  # the first test of this process, or one after a test that ran its own mock_aws
            provision(STAGE, _region())
        elif tables_only:
            _empty_tables()
        else:
            _start_afresh_all_but_kept()  # ...but none of its data
            _provision_the_rest()
        yield
    finally:
        mock.stop(remove_data=False)


def seeded(key: str, load: Callable[[], T]) -> T:
    """Within ``fresh()``: ``load()``'s data in the tables — loaded once per process, then restored from a copy.

    ``load`` must write only to DynamoDB (the copy holds the tables alone) and return a value describing what it
    loaded, kept with the copy."""
    if key not in _seeded:
        result = load()
        _seeded[key] = (result, {name: copy.deepcopy(table.items) for name, table in _tables().items()})
    result, items = _seeded[key]
    for name, table in _tables().items():
        table.items.clear()
        table.items.update(copy.deepcopy(items.get(name, {})))
    return cast(T, result)
