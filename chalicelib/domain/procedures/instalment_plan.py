"""Instalment plan (fraccionament / fraccionamiento), OGAT: debts of the ledger paid in monthly fractions with interest.

Rules (minimum, bands → maximum months, minimum fraction, guarantee threshold, interest rates per year, due day 5 or
20, working days) are configuration in ``chalicelib/config/instalments.json`` and computed by
``chalicelib.domain.instalments``. The citizen must consent (step-up code) before the request is filed.

Several debts make one plan over their sum, with interest counted from the earliest end of their voluntary periods
(never less than what is owed; a per-debt schedule is a refinement for later).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.domain.bounds import parse_day, tax_window
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.instalments import InstalmentRequest, InstalmentRules, Plan, plan
from chalicelib.domain.procedures.base import (
    Context,
    DocumentDraft,
    Facts,
    Field,
    Option,
    Paragraph,
    Table,
    Texts,
    Titled,
    Words,
    chosen,
    day,
    euros,
    owed_cents,
)

TYPE = "instalment_plan"
T = Texts(TYPE)
DAYS = ("5", "20")
GUARANTEES = ("none", "aval")


def _debts(ctx: Context) -> list[dict[str, Any]]:
    return [i for i in ctx.ledger if i.get("kind") == "debt" and i.get("status", "unpaid") != "paid"]


def _choice(debt: dict[str, Any]) -> Words:
    return lambda language: f"{debt.get('concept', debt['item_id'])} · {euros(owed_cents(debt), language)}"


class InstalmentPlan(Titled):
    type = TYPE
    office_kinds = frozenset({"tax"})  # offered by tax offices only
    needs_consent = True
    purpose = "instalment plan"
    # Its plan holds personal data (debts, amounts, bank account): issued only when identified.
    personal_data = True

    def __init__(self, rules: InstalmentRules | None = None) -> None:
        self._rules = rules

    @property
    def rules(self) -> InstalmentRules:
        if self._rules is None:
            self._rules = InstalmentRules.load()
        return self._rules

    def fields(self, ctx: Context) -> list[Field]:
        debts = tuple(
            Option(
                str(d["item_id"]),
                _choice(d),
                (("amount_cents", owed_cents(d)), ("voluntary_period_end", str(d["voluntary_period_end"]))),
            )
            for d in _debts(ctx)
        )
        return [
            Field("debts", "multichoice", T.label("debts"), options=debts),
            Field("fractions", "integer", T.label("fractions"), min=2, max=self.rules.max_months(10**12)),
            Field("day_of_month", "choice", T.label("day_of_month"), options=tuple(Option(d, _same(d)) for d in DAYS)),
            Field("first_due", "date", T.label("first_due")),
            Field("guarantee", "choice", T.label("guarantee"), options=T.options("guarantee", GUARANTEES)),
        ]

    def validate(self, data: dict[str, Any], ctx: Context) -> dict[str, Any]:
        errors: list[FieldError] = []
        owed = {str(d["item_id"]): d for d in _debts(ctx)}
        debts = chosen(
            data.get("debts"),
            owed,
            errors,
            none=FieldError("data.debts", "choose_debt"),
            foreign=FieldError("data.debts", "foreign_debt"),
        )
        fractions = data.get("fractions")
        if not isinstance(fractions, int) or isinstance(fractions, bool):
            errors.append(FieldError("data.fractions", "whole_number"))
        day_of_month = data.get("day_of_month")
        if str(day_of_month) not in DAYS:
            errors.append(FieldError("data.day_of_month", "one_of", choices="5, 20"))
        first_due: date | None = None
        try:
            first_due = parse_day(data.get("first_due"), "data.first_due", tax_window(ctx.now.date()))
        except ValidationFailed as exc:
            errors += exc.errors
        guarantee = data.get("guarantee", "none")
        if guarantee not in GUARANTEES:
            errors.append(FieldError("data.guarantee", "one_of", choices="none, aval"))
        if errors or first_due is None or not isinstance(fractions, int):
            raise ValidationFailed(errors)
        clean = {
            "debts": sorted(debts),
            "fractions": fractions,
            "day_of_month": int(str(day_of_month)),
            "first_due": first_due.isoformat(),
            "guarantee": guarantee,
        }
        self._plan(clean, ctx)  # every broken rule, named as data.<field>
        return clean

    def _plan(self, clean: dict[str, Any], ctx: Context) -> Plan:
        debts = [d for d in _debts(ctx) if str(d["item_id"]) in clean["debts"]]
        amount = sum(owed_cents(d) for d in debts)
        period_end = min(date.fromisoformat(str(d["voluntary_period_end"])) for d in debts)
        try:
            request = InstalmentRequest(
                amount_cents=amount,
                fractions=clean["fractions"],
                voluntary_period_end=period_end,
                first_due=date.fromisoformat(clean["first_due"]),
                day_of_month=clean["day_of_month"],
                guarantee=clean["guarantee"],
            )
            return plan(request, self.rules, ctx.is_working_day)
        except ValidationFailed as exc:
            raise ValidationFailed([_in_data(e) for e in exc.errors]) from None

    def summary(self, clean: dict[str, Any], ctx: Context) -> list[tuple[str, str]]:
        lang = ctx.language
        schedule = self._plan(clean, ctx)
        rows = [
            (T.say("printed.amount", lang), euros(schedule.total_cents - schedule.interest_cents, lang)),
            (T.label("fractions")(lang), str(len(schedule.items))),
            (T.label("first_due")(lang), day(schedule.items[0].due, lang)),
            (T.say("printed.interest", lang), euros(schedule.interest_cents, lang)),
            (T.say("printed.total", lang), euros(schedule.total_cents, lang)),
        ]
        if schedule.guarantee_cents:
            rows.append((T.label("guarantee")(lang), euros(schedule.guarantee_cents, lang)))
        return rows

    def documents(self, clean: dict[str, Any], ctx: Context) -> list[DocumentDraft]:
        lang = ctx.language
        schedule = self._plan(clean, ctx)
        debts = [d for d in _debts(ctx) if str(d["item_id"]) in clean["debts"]]
        blocks: list[Any] = [
            Facts(tuple((str(d.get("concept", d["item_id"])), euros(owed_cents(d), lang)) for d in debts)),
            Table(
                (
                    T.say("printed.due", lang),
                    T.say("printed.principal", lang),
                    T.say("printed.interest", lang),
                    T.say("printed.total", lang),
                ),
                tuple(
                    (
                        day(f.due, lang),
                        euros(f.principal_cents, lang),
                        euros(f.interest_cents, lang),
                        euros(f.total_cents, lang),
                    )
                    for f in schedule.items
                ),
            ),
            Facts(
                (
                    (T.say("printed.interest", lang), euros(schedule.interest_cents, lang)),
                    (T.say("printed.total", lang), euros(schedule.total_cents, lang)),
                )
            ),
        ]
        if schedule.guarantee_cents:
            blocks.append(
                Paragraph(T.say("printed.guarantee_needed", lang, amount=euros(schedule.guarantee_cents, lang)))
            )
        consent = clean.get("consented_at")
        if consent:
            blocks.append(Paragraph(T.say("printed.consent", lang, at=consent)))
        blocks.append(Paragraph(T.say("printed.resolution", lang)))
        return [DocumentDraft(self.type, self.title(lang), tuple(blocks))]


def _same(text: str) -> Words:
    return lambda language: text


def _in_data(error: FieldError) -> FieldError:
    return FieldError(
        error.field if error.field.startswith("data.") else f"data.{error.field}", error.key, **dict(error.params)
    )
