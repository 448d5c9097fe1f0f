"""Cuaderno 60 payment letters: control digits, identificación, barcode digits and the printed box."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain.cuaderno60 import (
    PaymentLetterCode,
    control_digits,
    identificacion_mod1,
    identificacion_mod2,
    payment_letter_mod1,
    payment_letter_mod2,
    valid_referencia,
)

# --- control digits: DOMAIN.md's worked examples ---------------------------------------------------------------------


def test_first_worked_example() -> None:
    assert control_digits("481166", "1234567890", "1002188121", 1160) == "16"
    assert valid_referencia("481166", "123456789016", "1002188121", 1160)


def test_second_worked_example_with_a_leading_zero_and_one_cent() -> None:
    assert control_digits("481166", "0280724001", "1002188265", 1) == "07"
    assert valid_referencia("481166", "028072400107", "1002188265", 1)


def _residue(emisora: str, ref10: str, identificacion: str, importe: int) -> int:
    return (76 * int(emisora) + 9 * int(ref10) + 55 * (int(identificacion) + importe - 1)) % 97


def _importe_with_residue(residue: int) -> int:
    # 55 is invertible mod 97, so each residue is reached by exactly one importe among any 97 consecutive ones.
    return next(i for i in range(1, 98) if _residue("481166", "1234567890", "1002188121", i) == residue)


def test_residue_zero_gives_99_not_the_three_digit_100() -> None:
    # The "100 -" variant a library once shipped answers "100" here.
    assert control_digits("481166", "1234567890", "1002188121", _importe_with_residue(0)) == "99"


def test_the_largest_residue_gives_01() -> None:
    assert control_digits("481166", "1234567890", "1002188121", _importe_with_residue(96)) == "01"


def test_every_residue_gives_two_digits_and_no_two_residues_share_them() -> None:
    digits = [control_digits("481166", "1234567890", "1002188121", _importe_with_residue(m)) for m in range(97)]

    assert all(len(d) == 2 and d.isdigit() and d != "00" for d in digits)
    assert len(set(digits)) == 97  # so any change of E mod 97 changes the control digits


def test_zero_cents_is_accepted_by_the_formula() -> None:
    assert len(control_digits("481166", "1234567890", "1002188121", 0)) == 2


@pytest.mark.parametrize(
    ("emisora", "ref10", "identificacion", "importe"),
    [
        ("48116", "1234567890", "1002188121", 1160),  # emisora of 5 digits
        ("481166", "123456789", "1002188121", 1160),  # ref10 of 9 digits
        ("481166", "12345678A0", "1002188121", 1160),
        ("481166", "1234567890", "10021881", 1160),  # neither 7 nor 10 digits
        ("481166", "1234567890", "1002188121", -1),
        ("481166", "1234567890", "1002188121", 100_000_000),  # does not fit the barcode's 8 digits
    ],
)
def test_malformed_inputs_are_programming_errors(emisora: str, ref10: str, identificacion: str, importe: int) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message names the field; any ValueError will do
        control_digits(emisora, ref10, identificacion, importe)


@pytest.mark.parametrize(
    "referencia", ["123456789017", "123456789061", "223456789016", "12345678901", "1234567890166", "12345678901X", ""]
)
def test_a_wrong_or_malformed_referencia_is_rejected(referencia: str) -> None:
    assert not valid_referencia("481166", referencia, "1002188121", 1160)


def test_a_referencia_is_tied_to_its_amount_and_identificacion() -> None:
    assert not valid_referencia("481166", "123456789016", "1002188121", 1161)
    assert not valid_referencia("481166", "123456789016", "1002188122", 1160)
    assert not valid_referencia("481167", "123456789016", "1002188121", 1160)


# --- identificación ---------------------------------------------------------------------------------------------------


def test_modalidad_2_identificacion_encodes_the_deadline() -> None:
    # DOMAIN.md's examples: tributo 002, ejercicio 2018, deadlines 1 May 2018 (day 121) and 22 September 2018 (265).
    assert identificacion_mod2("002", 2018, date(2018, 5, 1)) == "1002188121"
    assert identificacion_mod2("002", 2018, date(2018, 9, 22)) == "1002188265"


def test_modalidad_2_deadline_year_and_day_come_from_the_deadline_not_the_ejercicio() -> None:
    assert identificacion_mod2("105", 2025, date(2026, 1, 5)) == "1105256005"
    assert identificacion_mod2("105", 2024, date(2024, 12, 31)) == "1105244366"  # leap year: day 366
    assert identificacion_mod2("105", 2024, date(2024, 2, 1), period=2) == "2105244032"


def test_modalidad_1_identificacion() -> None:
    assert identificacion_mod1("001", 2026, "03") == "0012603"


@pytest.mark.parametrize(
    ("tributo", "ejercicio", "period"),
    [("02", 2018, 1), ("0002", 2018, 1), ("A02", 2018, 1), ("002", 18, 1), ("002", 2018, 0)],
)
def test_modalidad_2_rejects_malformed_parts(tributo: str, ejercicio: int, period: int) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        identificacion_mod2(tributo, ejercicio, date(2018, 5, 1), period)


def test_modalidad_1_rejects_a_malformed_remesa() -> None:
    with pytest.raises(ValueError, match="remesa"):
        identificacion_mod1("001", 2026, "3")


# --- letters ----------------------------------------------------------------------------------------------------------


def test_modalidad_2_letter_barcode_has_42_digits_in_the_norm_layout() -> None:
    letter = payment_letter_mod2("481166", "1234567890", "002", 2018, date(2018, 5, 1), 1160)

    assert letter.referencia == "123456789016"
    assert letter.identificacion == "1002188121"
    assert letter.barcode == "90" + "521" + "481166" + "123456789016" + "1002188121" + "00001160" + "0"
    assert len(letter.barcode) == 42


def test_modalidad_2_human_box() -> None:
    letter = payment_letter_mod2("481166", "0280724001", "002", 2018, date(2018, 9, 22), 121_633)

    assert letter.human_box == {
        "emisora": "481166",
        "modalidad": "2",
        "referencia": letter.referencia,
        "identificacion": "1002188265",
        "importe": "1.216,33",
        "deadline": "22/09/2018",
    }


def test_modalidad_1_letter_barcode_has_38_digits_in_the_norm_layout() -> None:
    letter = payment_letter_mod1("481166", "0000004711", "001", 2026, "03", 98_765)

    assert letter.modalidad == 1
    assert valid_referencia("481166", letter.referencia, "0012603", 98_765)
    assert letter.barcode == "90502" + "481166" + letter.referencia + "001" + "26" + "03" + "00098765"
    assert len(letter.barcode) == 38
    assert "deadline" not in letter.human_box
    assert letter.human_box["importe"] == "987,65"


def test_modalidad_1_letter_may_print_the_period_end() -> None:
    letter = payment_letter_mod1("481166", "0000004711", "001", 2026, "03", 5, deadline=date(2026, 11, 20))

    assert letter.human_box["deadline"] == "20/11/2026"
    assert letter.human_box["importe"] == "0,05"


def test_a_letter_needs_a_positive_amount() -> None:
    with pytest.raises(ValueError, match="importe_cents"):
        payment_letter_mod2("481166", "1234567890", "002", 2018, date(2018, 5, 1), 0)


def test_a_letter_cannot_be_built_with_wrong_control_digits() -> None:
    with pytest.raises(ValueError, match="control digits"):
        PaymentLetterCode(2, "481166", "123456789017", "1002188121", 1160, date(2018, 5, 1))


def test_a_modalidad_2_letter_needs_a_ten_digit_identificacion_and_a_deadline() -> None:
    with pytest.raises(ValueError, match="modalidad"):
        PaymentLetterCode(2, "481166", "123456789016", "0012603", 1160, date(2018, 5, 1))
    with pytest.raises(ValueError, match="deadline"):
        PaymentLetterCode(2, "481166", "123456789016", "1002188121", 1160, None)
