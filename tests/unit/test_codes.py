"""One-time codes: what a citizen receives, and the keyed hashes that stand for codes and addresses at rest."""

from __future__ import annotations

import re

from chalicelib.auth import codes

PEPPER = b"pepper-of-this-deployment"
OTHER_PEPPER = b"pepper-of-another-deployment"


def test_a_code_is_six_ascii_digits() -> None:
    drawn = [codes.new_code() for _ in range(200)]

    assert all(len(c) == 6 and c.isascii() and c.isdigit() for c in drawn)


def test_codes_spread_over_the_whole_range() -> None:
    # GIVEN 2,000 codes drawn from a million possible
    drawn = [codes.new_code() for _ in range(2000)]

    # THEN almost none repeat, and leading zeros are kept (000123 is a code, not 123)
    assert len(set(drawn)) > 1000
    assert {c[0] for c in drawn} == set("0123456789")


def test_challenge_ids_are_unguessable_and_fit_what_code_verification_accepts() -> None:
    ids = [codes.new_id() for _ in range(100)]

    assert len(set(ids)) == 100
    # CitizenSignIn.verify_code accepts 10 to 64 characters; they travel in JSON and URLs.
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{10,64}", i) for i in ids)


def test_a_code_is_stored_only_as_a_digest_bound_to_its_challenge_and_pepper() -> None:
    digest = codes.code_digest(PEPPER, "challenge-1", "123456")

    assert "123456" not in digest
    assert digest == codes.code_digest(PEPPER, "challenge-1", "123456")
    assert digest != codes.code_digest(PEPPER, "challenge-2", "123456")
    assert digest != codes.code_digest(OTHER_PEPPER, "challenge-1", "123456")
    assert digest != codes.code_digest(PEPPER, "challenge-1", "123457")


def test_only_the_right_code_for_the_right_challenge_matches() -> None:
    # GIVEN the digest of the code sent for challenge-1
    digest = codes.code_digest(PEPPER, "challenge-1", "042042")

    # THEN that code matches, and nothing else does
    assert codes.matches(PEPPER, "challenge-1", "042042", digest)
    assert not codes.matches(PEPPER, "challenge-1", "042043", digest)
    assert not codes.matches(PEPPER, "challenge-1", "42042", digest)
    assert not codes.matches(PEPPER, "challenge-1", "", digest)
    assert not codes.matches(PEPPER, "challenge-2", "042042", digest)
    assert not codes.matches(OTHER_PEPPER, "challenge-1", "042042", digest)


def test_a_contact_digest_is_stable_and_depends_on_address_and_pepper() -> None:
    digest = codes.contact_digest(PEPPER, "anna@example.cat")

    assert digest == codes.contact_digest(PEPPER, "anna@example.cat")
    assert digest != codes.contact_digest(PEPPER, "jordi@example.cat")
    assert digest != codes.contact_digest(OTHER_PEPPER, "anna@example.cat")
    assert "anna" not in digest
    assert re.fullmatch(r"[0-9a-f]{32}", digest)
