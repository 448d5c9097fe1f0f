"""CSV verification codes: unguessable, printable, forgiving of typing slips and strict about mistakes."""

from __future__ import annotations

import re

import pytest

from chalicelib.domain.csv_code import ALPHABET, new_csv, normalise_csv, valid_csv
from chalicelib.domain.errors import FieldError, ValidationFailed

PRINTED = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}-[0-9A-HJKMNP-TV-Z]{2}")


def test_a_new_code_is_printed_in_groups_of_crockford_characters() -> None:
    code = new_csv()

    assert PRINTED.fullmatch(code)
    assert valid_csv(code)
    assert normalise_csv(code) == code


def test_new_codes_carry_100_random_bits() -> None:
    codes = {new_csv() for _ in range(2_000)}

    assert len(codes) == 2_000
    # Each of the 20 data characters takes every value of the alphabet somewhere in 2,000 codes.
    for position in (0, 7, 13, 19):
        index = position + position // 5
        assert {code[index] for code in codes} == set(ALPHABET)


def test_case_hyphens_spaces_and_look_alike_letters_are_forgiven() -> None:
    code = new_csv()
    typed = code.lower().replace("-", " ").replace("1", "l").replace("0", "o")

    assert valid_csv(typed)
    assert normalise_csv(typed) == code
    assert normalise_csv(code.replace("-", "").replace("1", "I")) == code


def test_a_changed_character_is_caught() -> None:
    code = new_csv()
    first = code[0]
    changed = ALPHABET[(ALPHABET.index(first) + 1) % 32] + code[1:]

    assert not valid_csv(changed)
    assert _errors(changed) == [FieldError("csv", "csv_code")]


@pytest.mark.parametrize("bad", ["", "ABC", "U" * 22, "0" * 21, "0" * 23, "0" * 20 + "!!", "0" * 200])
def test_malformed_codes(bad: str) -> None:
    assert not valid_csv(bad)


def test_the_all_zero_code_is_well_formed() -> None:
    # 0 mod 1021 = 0, so twenty-two zeros are a (never issued in practice) valid code: the check is arithmetic only.
    assert normalise_csv("0" * 22) == "00000-00000-00000-00000-00"


def test_not_text_is_not_a_code() -> None:
    assert not valid_csv(None)
    assert not valid_csv(12345)


def _errors(code: str) -> list[FieldError]:
    with pytest.raises(ValidationFailed) as raised:
        normalise_csv(code)
    return raised.value.errors
