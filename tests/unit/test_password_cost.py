"""Staff passwords are hashed at a real cost (the in-process tests lower it: tests/conftest.py)."""

from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters, profiles

from chalicelib.services import identity
from tests.conftest import PRODUCTION_ARGON2_PROFILE


def test_the_product_hashes_with_argon2id_at_least_at_owasps_minimum() -> None:
    parameters = extract_parameters(
        PasswordHasher.from_parameters(getattr(profiles, PRODUCTION_ARGON2_PROFILE)).hash("a long passphrase")
    )

    assert parameters.type.name == "ID"
    # OWASP's password storage minimum for argon2id: 19 MiB of memory and 2 passes.
    assert parameters.memory_cost >= 19 * 1024
    assert parameters.time_cost >= 2


def test_a_hash_verifies_at_the_cost_written_in_it() -> None:
    costly = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY).hash("a long passphrase")

    assert identity.password_ok(costly, "a long passphrase")
    assert not identity.password_ok(costly, "another passphrase")
    assert not identity.password_ok(None, "a long passphrase")
