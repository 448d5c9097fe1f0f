"""Identifiers citizens type: Spanish ID numbers (DNI, NIE), email addresses and phone numbers.

ID numbers are checked with python-stdnum (check letter included) and kept in their compact upper-case form.
"""

from __future__ import annotations

import re
from enum import StrEnum

from chalicelib.domain.errors import FieldError, ValidationFailed

_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+")
_PHONE = re.compile(r"\+?[0-9]{9,15}")


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


def id_number(raw: object, field: str = "id_number") -> str:
    """A valid DNI or NIE in compact form (``12345678Z``), or ValidationFailed naming ``field``."""
    from stdnum.es import dni, nie, nif  # ~0.1 s of import: paid by the requests that read an ID number

    if not isinstance(raw, str) or not raw.strip():
        raise ValidationFailed([FieldError(field, "id_number_format")])
    compact = dni.compact(raw.replace(".", "")).upper()
    if dni.is_valid(compact) or nie.is_valid(compact):
        return compact
    # K, L and M NIFs (people without a DNI or NIE): the DNI rule on their seven digits.
    if compact[:1] in ("K", "L", "M") and nif.is_valid(compact):
        return compact
    raise ValidationFailed([FieldError(field, "id_number_letter")])


def destination(channel: Channel, raw: object, field: str = "destination") -> str:
    """An email address (lower-cased) or a phone number in E.164 (Spanish numbers may omit +34)."""
    if not isinstance(raw, str):
        raise ValidationFailed([FieldError(field, "text")])
    value = raw.strip()
    if channel is Channel.EMAIL:
        if len(value) <= 254 and _EMAIL.fullmatch(value):
            return value.lower()
        raise ValidationFailed([FieldError(field, "email")])
    digits = re.sub(r"[\s().-]", "", value)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if re.fullmatch(r"[6789][0-9]{8}", digits):
        digits = "+34" + digits
    if _PHONE.fullmatch(digits) and digits.startswith("+"):
        return digits
    raise ValidationFailed([FieldError(field, "mobile")])


def masked(value: str) -> str:
    """What a screen or message may show of an identifier: the last four characters (the stars hide the length)."""
    return "****" + value[-4:]
