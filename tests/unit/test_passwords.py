"""The staff password rule: long enough, not built on the user name, not among the commonest (zxcvbn, offline)."""

from __future__ import annotations

import pytest

from chalicelib.domain.passwords import MAX_LENGTH, MIN_LENGTH, password_problem


@pytest.mark.parametrize(
    "password",
    ["a quiet walk by the river", "correct horse battery staple", "Sant Cugat del Vallès 1714", "ajuntament123"],
)
def test_good_passwords_pass(password: str) -> None:
    assert password_problem(password, "laia.font") is None


@pytest.mark.parametrize(
    ("password", "key"),
    [
        ("x" * (MIN_LENGTH - 1), "too_short"),
        ("x" * (MAX_LENGTH + 1), "too_long"),
        ("I am LAIA.FONT at work", "contains_username"),
        ("passwordpassword", "too_common"),
        ("123456789012", "too_common"),
        ("qwertyuiopasdf", "too_common"),
        ("iloveyou1234", "too_common"),
        ("aaaaaaaaaaaaaaaa", "too_common"),
        (12345678901234, "text"),
    ],
)
def test_weak_passwords_are_named(password: object, key: str) -> None:
    problem = password_problem(password, "laia.font")

    assert problem is not None
    assert (problem.field, problem.key) == ("password", key)
