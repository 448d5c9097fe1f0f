"""CSV (código seguro de verificación, Ley 40/2015 art. 42): the code printed on every issued document that lets
anyone fetch the original from the council's electronic office.

The code gives access to the document, so it must not be guessable: 100 bits from the operating system's CSPRNG,
written as 20 characters of Crockford's Base32 (no I, L, O, U), plus two check characters so that a mistyped code is
told apart from an unknown one without a lookup. The check is the 100-bit number mod 1021 (a prime below 32²): a
changed character alters the number by δ·32^k with 0 < |δ| < 32, and an adjacent swap by δ·31·32^k, neither a multiple
of the prime 1021, so every single-character substitution and every swap of adjacent data characters is caught.
Printed in groups, e.g. ``7K3QD-M9XH4-TR8WP-D3JNB-6Y``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from chalicelib.domain.errors import FieldError, ValidationFailed

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's Base32
DATA_CHARS = 20  # 100 bits
CHECK_CHARS = 2
_CHECK_MODULUS = 1021
_GROUP = 5
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# What a person may type instead: lower case, I/L for 1, O for 0, and separators.
_TYPED = str.maketrans({"I": "1", "L": "1", "O": "0", "-": None, " ": None, "\u2010": None, "\u2011": None})


def new_csv(randbits: Callable[[int], int] = secrets.randbits) -> str:
    """A fresh random CSV in its printed (grouped) form; tests may pass their own source of bits."""
    return _format(randbits(5 * DATA_CHARS) % (1 << (5 * DATA_CHARS)))


def valid_csv(code: object) -> bool:
    """Whether ``code`` is a well-formed CSV whose check characters match (typing slips of case, hyphens,
    spaces and I/L/O are forgiven)."""
    return _value(code) is not None


def normalise_csv(code: object, field: str = "csv") -> str:
    """The printed form of a typed CSV, or ValidationFailed naming ``field`` when it is malformed or mistyped."""
    value = _value(code)
    if value is None:
        raise ValidationFailed([FieldError(field, "csv_code")])
    return _format(value)


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def _format(value: int) -> str:
    compact = _encode(value, DATA_CHARS) + _encode(value % _CHECK_MODULUS, CHECK_CHARS)
    return "-".join(compact[i : i + _GROUP] for i in range(0, len(compact), _GROUP))


def _value(code: object) -> int | None:
    if not isinstance(code, str) or len(code) > 64:
        return None
    compact = code.strip().upper().translate(_TYPED)
    if not re.fullmatch(rf"[{ALPHABET}]{{{DATA_CHARS + CHECK_CHARS}}}", compact):
        return None
    value = 0
    for char in compact[:DATA_CHARS]:
        value = value * 32 + _VALUE[char]
    check = _VALUE[compact[DATA_CHARS]] * 32 + _VALUE[compact[DATA_CHARS + 1]]
    return value if value % _CHECK_MODULUS == check else None
