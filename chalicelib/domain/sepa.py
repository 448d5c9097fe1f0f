"""Direct debit of tax receipts (domiciliación): the debtor's IBAN, the council's SEPA creditor identifier, the
mandate reference and the first collection period an order reaches.

IBANs and creditor identifiers are checked with python-stdnum (ISO 13616 mod 97, and for Spanish accounts the two
control digits of the embedded CCC); the bank and its BIC come from schwifty's bank registry.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date

from chalicelib.domain.errors import FieldError, ValidationFailed

MANDATE_REFERENCE_MAX = 35
_MANDATE_CHARS = re.compile(r"[A-Za-z0-9:?/+(),. -]+")  # the SEPA Latin subset DOMAIN.md allows, minus the apostrophe
ORDER_NOTICE_MONTHS = 2  # RGR art. 25: an order applies to periods starting at least two months after it arrives


def iban(value: object, field: str = "iban") -> str:
    """A valid IBAN of the SEPA area in compact upper-case form, or ValidationFailed naming ``field``.

    Spanish IBANs must also carry the right CCC control digits (DC1 over bank + branch, DC2 over the account).
    """
    from schwifty import IBAN  # ~0.15 s of import: paid by the requests that read an IBAN
    from stdnum import iban as stdnum_iban
    from stdnum.exceptions import ValidationError

    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed([FieldError(field, "iban_format")])
    compact = stdnum_iban.compact(value)
    try:
        stdnum_iban.validate(compact, check_country=False)
    except ValidationError:
        raise ValidationFailed([FieldError(field, "iban_check")]) from None
    try:
        stdnum_iban.validate(compact)  # the country's own format and, for Spain, the CCC digits
    except ValidationError:
        raise ValidationFailed(
            [FieldError(field, "iban_ccc" if compact.startswith("ES") else "iban_country")]
        ) from None
    if not IBAN(compact, allow_invalid=True).in_sepa_zone:
        raise ValidationFailed([FieldError(field, "iban_sepa")])
    return compact


def bank_of(iban: str) -> tuple[str | None, str | None]:
    """(bank name, BIC) of a valid IBAN from schwifty's registry; None for what the registry does not know."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        account = IBAN(iban)
        bic = account.bic
    except SchwiftyException:
        return None, None
    return account.bank_name, str(bic) if bic is not None else None


def creditor_identifier(value: object, field: str = "creditor_identifier") -> str:
    """A valid SEPA creditor identifier (AT-02) in compact form; Spanish ones must embed a valid NIF.

    Layout: country + 2 check digits + 3-character business code (not part of the check) + national identifier.
    """
    from stdnum.es import nif
    from stdnum.eu import at_02

    if not isinstance(value, str) or not at_02.is_valid(value):
        raise ValidationFailed([FieldError(field, "creditor_identifier")])
    compact = at_02.compact(value)
    if compact.startswith("ES") and not nif.is_valid(compact[7:]):
        raise ValidationFailed([FieldError(field, "creditor_nif")])
    return compact


def mandate_reference(prefix: str, unique: str) -> str:
    """``prefix-unique`` as a SEPA mandate reference: ≤ 35 characters of the allowed set, never starting or ending
    with "/" nor containing "//" (EPC rules for identifiers; DOMAIN.md states the "//" start). Both parts are ours
    (configuration and a generated id), so a bad one is a programming error: ValueError.
    """
    reference = f"{prefix}-{unique}" if prefix else unique
    if not unique or len(reference) > MANDATE_REFERENCE_MAX:
        raise ValueError(f"mandate reference must be 1 to {MANDATE_REFERENCE_MAX} characters: {reference!r}")
    if not _MANDATE_CHARS.fullmatch(reference) or reference.strip() != reference:
        raise ValueError(f"mandate reference has characters SEPA does not allow: {reference!r}")
    if reference.startswith("/") or reference.endswith("/") or "//" in reference:
        raise ValueError(f"mandate reference may not start or end with '/' nor contain '//': {reference!r}")
    return reference


def effective_from(signed_on: date, collection_periods: list[tuple[date, date]]) -> date:
    """Start of the first collection period the order reaches: one starting at least two months after the order
    arrived (signing at the office is arrival), i.e. the order is on or before the period's start minus two months.
    Otherwise it waits for the next period (RGR art. 25). ValidationFailed when no listed period qualifies.
    """
    for start, _end in sorted(collection_periods):
        if signed_on <= _months_before(start, ORDER_NOTICE_MONTHS):
            return start
    raise ValidationFailed([FieldError("collection_periods", "no_collection_period_after_signing")])


def _months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier, or that month's last day when it is shorter (30 April → 28/29 February)."""
    month = day.month - 1 - months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))
