"""Payment letters under Cuaderno 60 (Norma 60 of the Spanish banking associations, AEB/CSB).

A payment letter lets a bank collect a municipal debt: it carries the council's **emisora** (6-digit issuer code),
a **referencia** (10-digit document number + 2 control digits), an **identificación** and the **importe** in cents.

- Modalidad 1 (receipts of a fixed collection period): identificación = tributo(3) + ejercicio(2) + remesa(2).
- Modalidad 2 (self-assessments and settlements with a deadline): identificación = D(1, period discriminator) +
  tributo(3) + ejercicio(2) + last digit of the deadline's year(1) + the deadline's day of the year(3).

Everything here is integer arithmetic on digit strings (see DOMAIN.md, "Payment letters"). Inputs come from the
council's configuration and tax ledger, not from a form, so a malformed one is a programming or data error: ValueError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

_MAX_IMPORTE_CENTS = 99_999_999  # the barcode has 8 digits for the amount


def _digits(value: str, length: int, name: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(rf"[0-9]{{{length}}}", value):
        raise ValueError(f"{name} must be {length} digits, got {value!r}")
    return value


def _importe(importe_cents: int, minimum: int = 0) -> int:
    if isinstance(importe_cents, bool) or not isinstance(importe_cents, int):
        raise ValueError(f"importe_cents must be an integer, got {importe_cents!r}")
    if not minimum <= importe_cents <= _MAX_IMPORTE_CENTS:
        raise ValueError(f"importe_cents must be between {minimum} and {_MAX_IMPORTE_CENTS}, got {importe_cents}")
    return importe_cents


def _identificacion(value: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{7}|[0-9]{10}", value):
        raise ValueError(f"identificacion must be 7 (modalidad 1) or 10 (modalidad 2) digits, got {value!r}")
    return value


def control_digits(emisora: str, ref10: str, identificacion: str, importe_cents: int) -> str:
    """The two control digits of the referencia (modalidades 1 and 2).

    ``E = 76·emisora + 9·ref10 + 55·(identificación + importe - 1)`` and ``DC = 99 - ⌊100·(E mod 97) / 97⌋``.
    E mod 97 lies in 0…96, so DC lies in 01…99: never "00" and never three digits (the "100 -" variant once
    published by a library gave 100 when E mod 97 = 0).
    """
    e = (
        76 * int(_digits(emisora, 6, "emisora"))
        + 9 * int(_digits(ref10, 10, "ref10"))
        + 55 * (int(_identificacion(identificacion)) + _importe(importe_cents) - 1)
    )
    return f"{99 - (100 * (e % 97)) // 97:02d}"


def valid_referencia(emisora: str, referencia12: str, identificacion: str, importe_cents: int) -> bool:
    """Whether ``referencia12`` (10 digits + 2 control digits) matches the other fields; malformed input is False."""
    if not isinstance(referencia12, str) or not re.fullmatch(r"[0-9]{12}", referencia12):
        return False
    try:
        return control_digits(emisora, referencia12[:10], identificacion, importe_cents) == referencia12[10:]
    except ValueError:
        return False


def identificacion_mod2(tributo: str, ejercicio: int, deadline: date, period: int = 1) -> str:
    """The 10-digit identificación of modalidad 2: D + tributo + ejercicio(2) + deadline year's last digit + day."""
    _digits(tributo, 3, "tributo")
    if not 1 <= period <= 9:
        raise ValueError(f"period must be 1 to 9, got {period}")
    day_of_year = deadline.timetuple().tm_yday
    return f"{period}{tributo}{_ejercicio(ejercicio)}{deadline.year % 10}{day_of_year:03d}"


def identificacion_mod1(tributo: str, ejercicio: int, remesa: str) -> str:
    """The 7-digit identificación of modalidad 1: tributo + ejercicio(2) + remesa."""
    return f"{_digits(tributo, 3, 'tributo')}{_ejercicio(ejercicio)}{_digits(remesa, 2, 'remesa')}"


def _ejercicio(ejercicio: int) -> str:
    if isinstance(ejercicio, bool) or not isinstance(ejercicio, int) or not 1900 <= ejercicio <= 2999:
        raise ValueError(f"ejercicio must be a year, got {ejercicio!r}")
    return f"{ejercicio % 100:02d}"


@dataclass(frozen=True)
class PaymentLetterCode:
    """What a payment letter prints: the barcode digits and the human-readable box."""

    modalidad: Literal[1, 2]
    emisora: str
    referencia: str  # 12 digits: document number + control digits
    identificacion: str  # 7 digits (modalidad 1) or 10 (modalidad 2)
    importe_cents: int
    deadline: date | None  # modalidad 2 always; modalidad 1 when the collection period's end is known

    def __post_init__(self) -> None:
        if self.modalidad not in (1, 2):
            raise ValueError(f"modalidad must be 1 or 2, got {self.modalidad!r}")
        if len(self.identificacion) != (10 if self.modalidad == 2 else 7):
            raise ValueError(f"identificacion {self.identificacion!r} does not fit modalidad {self.modalidad}")
        if self.modalidad == 2 and self.deadline is None:
            raise ValueError("a modalidad 2 letter needs its deadline")
        _importe(self.importe_cents, minimum=1)
        if not valid_referencia(self.emisora, self.referencia, self.identificacion, self.importe_cents):
            raise ValueError(f"referencia {self.referencia!r} does not carry the right control digits")

    @property
    def barcode(self) -> str:
        """The digits of the GS1-128 barcode: 42 for modalidad 2, 38 for modalidad 1."""
        importe = f"{self.importe_cents:08d}"
        if self.modalidad == 2:
            return f"90521{self.emisora}{self.referencia}{self.identificacion}{importe}0"
        return f"90502{self.emisora}{self.referencia}{self.identificacion}{importe}"

    @property
    def human_box(self) -> dict[str, str]:
        """The box printed under the barcode, in print order; the caller translates the keys into labels.

        Keys: emisora, modalidad, referencia, identificacion, importe (euros with a decimal comma, e.g. "1.216,33")
        and deadline (dd/mm/yyyy) when there is one.
        """
        box = {
            "emisora": self.emisora,
            "modalidad": str(self.modalidad),
            "referencia": self.referencia,
            "identificacion": self.identificacion,
            "importe": _euros(self.importe_cents),
        }
        if self.deadline is not None:
            box["deadline"] = self.deadline.strftime("%d/%m/%Y")
        return box


def _euros(cents: int) -> str:
    return f"{cents // 100:,d}".replace(",", ".") + f",{cents % 100:02d}"


def payment_letter_mod2(
    emisora: str, ref10: str, tributo: str, ejercicio: int, deadline: date, importe_cents: int
) -> PaymentLetterCode:
    """A modalidad 2 letter (one period, D = 1) for a debt or self-assessment payable until ``deadline``."""
    identificacion = identificacion_mod2(tributo, ejercicio, deadline)
    referencia = ref10 + control_digits(emisora, ref10, identificacion, importe_cents)
    return PaymentLetterCode(2, emisora, referencia, identificacion, importe_cents, deadline)


def payment_letter_mod1(
    emisora: str,
    ref10: str,
    tributo: str,
    ejercicio: int,
    remesa: str,
    importe_cents: int,
    deadline: date | None = None,
) -> PaymentLetterCode:
    """A modalidad 1 letter for a receipt of remesa ``remesa``; ``deadline`` (the period's end) is only printed."""
    identificacion = identificacion_mod1(tributo, ejercicio, remesa)
    referencia = ref10 + control_digits(emisora, ref10, identificacion, importe_cents)
    return PaymentLetterCode(1, emisora, referencia, identificacion, importe_cents, deadline)
