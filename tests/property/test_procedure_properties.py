"""Properties of the procedures' pure rules: payment-letter references, instalment schedules and CSV codes."""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from chalicelib.domain.calendar import HolidayCalendar
from chalicelib.domain.csv_code import ALPHABET, new_csv, normalise_csv, valid_csv
from chalicelib.domain.cuaderno60 import (
    control_digits,
    identificacion_mod1,
    identificacion_mod2,
    payment_letter_mod1,
    payment_letter_mod2,
    valid_referencia,
)
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.instalments import InstalmentRequest, InstalmentRules, Plan, plan, working_days

RULES = InstalmentRules.load()
IS_WORKING_DAY = working_days(HolidayCalendar.load())


def digits(length: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=length, max_size=length)


IMPORTE = st.integers(min_value=0, max_value=99_999_999)
IDENTIFICACION = digits(7) | digits(10)


def _change_one_digit(text: str, position: int, shift: int) -> str:
    position %= len(text)
    changed = str((int(text[position]) + shift) % 10)
    return text[:position] + changed + text[position + 1 :]


# --- Cuaderno 60 -----------------------------------------------------------------------------------------------------


@given(emisora=digits(6), ref10=digits(10), identificacion=IDENTIFICACION, importe=IMPORTE)
def test_any_valid_input_gives_a_referencia_the_rule_accepts(
    emisora: str, ref10: str, identificacion: str, importe: int
) -> None:
    dc = control_digits(emisora, ref10, identificacion, importe)

    assert len(dc) == 2
    assert dc.isdigit()
    assert valid_referencia(emisora, ref10 + dc, identificacion, importe)


@given(
    emisora=digits(6),
    ref10=digits(10),
    identificacion=IDENTIFICACION,
    importe=IMPORTE,
    position=st.integers(min_value=0, max_value=11),
    shift=st.integers(min_value=1, max_value=9),
)
def test_any_one_digit_of_the_referencia_changed_is_rejected(
    emisora: str, ref10: str, identificacion: str, importe: int, position: int, shift: int
) -> None:
    referencia = ref10 + control_digits(emisora, ref10, identificacion, importe)

    assert not valid_referencia(emisora, _change_one_digit(referencia, position, shift), identificacion, importe)


@given(
    emisora=digits(6),
    ref10=digits(10),
    identificacion=IDENTIFICACION,
    importe=st.integers(min_value=0, max_value=9_999_999),
    field=st.sampled_from(["emisora", "identificacion", "importe"]),
    position=st.integers(min_value=0, max_value=9),
    shift=st.integers(min_value=1, max_value=9),
)
def test_any_one_digit_of_the_other_fields_changed_is_rejected(
    emisora: str, ref10: str, identificacion: str, importe: int, field: str, position: int, shift: int
) -> None:
    referencia = ref10 + control_digits(emisora, ref10, identificacion, importe)
    if field == "emisora":
        emisora = _change_one_digit(emisora, position, shift)
    elif field == "identificacion":
        identificacion = _change_one_digit(identificacion, position, shift)
    else:
        importe = int(_change_one_digit(f"{importe:08d}", position, shift))

    assert not valid_referencia(emisora, referencia, identificacion, importe)


@given(
    emisora=digits(6),
    ref10=digits(10),
    tributo=digits(3),
    ejercicio=st.integers(min_value=2000, max_value=2099),
    deadline=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    importe=st.integers(min_value=1, max_value=99_999_999),
)
def test_modalidad_2_letters_are_well_formed(
    emisora: str, ref10: str, tributo: str, ejercicio: int, deadline: date, importe: int
) -> None:
    letter = payment_letter_mod2(emisora, ref10, tributo, ejercicio, deadline, importe)

    assert letter.identificacion == identificacion_mod2(tributo, ejercicio, deadline)
    assert len(letter.barcode) == 42
    assert letter.barcode.isdigit()
    assert valid_referencia(emisora, letter.referencia, letter.identificacion, importe)
    # The deadline can be read back from the identificación (within the decade of the year digit).
    day_of_year = int(letter.identificacion[7:])
    assert date(deadline.year, 1, 1) + timedelta(days=day_of_year - 1) == deadline
    assert letter.identificacion[6] == str(deadline.year)[-1]


@given(
    emisora=digits(6),
    ref10=digits(10),
    tributo=digits(3),
    ejercicio=st.integers(min_value=2000, max_value=2099),
    remesa=digits(2),
    importe=st.integers(min_value=1, max_value=99_999_999),
)
def test_modalidad_1_letters_are_well_formed(
    emisora: str, ref10: str, tributo: str, ejercicio: int, remesa: str, importe: int
) -> None:
    letter = payment_letter_mod1(emisora, ref10, tributo, ejercicio, remesa, importe)

    assert letter.identificacion == identificacion_mod1(tributo, ejercicio, remesa)
    assert len(letter.barcode) == 38
    assert letter.barcode.isdigit()
    assert letter.barcode.endswith(f"{importe:08d}")


# --- instalment plans -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanRequest(InstalmentRequest):
    def run(self) -> Plan:
        return plan(self, RULES, IS_WORKING_DAY)


@st.composite
def plan_requests(draw: st.DrawFn) -> PlanRequest:
    """Requests every rule accepts, within the years the shipped rates cover."""
    amount = draw(st.integers(min_value=RULES.minimum_cents, max_value=2_000_000))
    most = min(RULES.max_months(amount), amount // RULES.min_fraction_cents)
    fractions = draw(st.integers(min_value=RULES.min_fractions, max_value=most))
    end = draw(st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 6, 30)))
    day_of_month = draw(st.sampled_from(RULES.due_days))
    month = end.month - 1 + draw(st.integers(min_value=1, max_value=6))
    first_due = date(end.year + month // 12, month % 12 + 1, day_of_month)
    above = amount > RULES.guarantee_threshold_cents
    guarantee = "aval" if above else draw(st.sampled_from(["none", "aval"]))
    return PlanRequest(amount, fractions, end, first_due, day_of_month, guarantee)


@given(request=plan_requests())
def test_any_valid_request_gives_a_consistent_schedule(request: PlanRequest) -> None:
    result = request.run()
    dues = [item.due for item in result.items]
    principals = [item.principal_cents for item in result.items]

    assert len(result.items) == request.fractions
    assert sum(principals) == request.amount_cents
    assert max(principals) - min(principals) < request.fractions  # an even split, the leftover cents on the last
    assert principals[-1] == max(principals)
    assert result.interest_cents == sum(item.interest_cents for item in result.items)
    assert result.total_cents == request.amount_cents + result.interest_cents
    assert all(item.total_cents == item.principal_cents + item.interest_cents for item in result.items)
    assert all(item.interest_cents > 0 for item in result.items)
    assert all(earlier < later for earlier, later in itertools.pairwise(dues))
    assert all(IS_WORKING_DAY(due) for due in dues)
    assert request.first_due <= dues[0] < request.first_due + timedelta(days=7)
    assert result.guarantee_required == (request.amount_cents > RULES.guarantee_threshold_cents)
    assert (result.guarantee_cents > result.total_cents) == (request.guarantee == "aval")


@given(request=plan_requests(), amount=st.integers(min_value=-10_000, max_value=RULES.minimum_cents - 1))
def test_an_amount_below_the_minimum_is_always_named(request: PlanRequest, amount: int) -> None:
    with pytest.raises(ValidationFailed) as raised:
        dataclasses.replace(request, amount_cents=amount).run()

    assert "amount_cents" in {e.field for e in raised.value.errors}


@given(request=plan_requests(), extra=st.integers(min_value=1, max_value=12))
def test_more_fractions_than_the_band_allows_are_always_named(request: PlanRequest, extra: int) -> None:
    too_many = RULES.max_months(request.amount_cents) + extra
    with pytest.raises(ValidationFailed) as raised:
        dataclasses.replace(request, fractions=too_many).run()

    assert [e.field for e in raised.value.errors] == ["fractions"]


# --- CSV codes --------------------------------------------------------------------------------------------------------

BITS = st.integers(min_value=0, max_value=(1 << 100) - 1)


def _csv(value: int) -> str:
    return new_csv(lambda _bits: value)


@given(value=BITS, lower=st.booleans(), hyphens=st.booleans(), look_alikes=st.booleans())
def test_csv_round_trip_through_typing_slips(value: int, lower: bool, hyphens: bool, look_alikes: bool) -> None:
    code = _csv(value)
    typed = code.lower() if lower else code
    typed = typed if hyphens else typed.replace("-", "")
    typed = typed.replace("1", "l").replace("0", "O") if look_alikes else typed

    assert valid_csv(typed)
    assert normalise_csv(typed) == code


@given(value=BITS, position=st.integers(min_value=0, max_value=21), replacement=st.sampled_from(ALPHABET))
def test_any_single_character_changed_in_a_csv_is_caught(value: int, position: int, replacement: str) -> None:
    compact = _csv(value).replace("-", "")
    assume(compact[position] != replacement)

    assert not valid_csv(compact[:position] + replacement + compact[position + 1 :])


@given(value=BITS, choice=st.integers(min_value=0, max_value=18))
def test_any_swap_of_adjacent_data_characters_in_a_csv_is_caught(value: int, choice: int) -> None:
    compact = _csv(value).replace("-", "")
    # Among the data positions whose neighbour differs (Hypothesis favours small values: runs of zeros), so that
    # few examples are thrown away.
    positions = [i for i in range(19) if compact[i] != compact[i + 1]]
    assume(positions)
    position = positions[choice % len(positions)]
    swapped = compact[:position] + compact[position + 1] + compact[position] + compact[position + 2 :]

    assert not valid_csv(swapped)
