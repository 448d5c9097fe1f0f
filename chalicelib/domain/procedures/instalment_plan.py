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
from chalicelib.domain.catalogue import OfficeId
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.instalments import InstalmentRules, Plan, plan
from chalicelib.domain.procedures.base import (
    Context,
    DocumentDraft,
    Facts,
    Field,
    Option,
    Paragraph,
    Table,
    Text,
    day,
    euros,
)

L = {
    "title": Text("Sol·licitud de fraccionament", "Solicitud de fraccionamiento", "Instalment plan request"),
    "debts": Text("Deutes", "Deudas", "Debts"),
    "fractions": Text("Nombre de terminis", "Número de plazos", "Number of instalments"),
    "day": Text("Dia de venciment", "Día de vencimiento", "Due day"),
    "first_due": Text("Primer venciment", "Primer vencimiento", "First due date"),
    "guarantee": Text("Garantia", "Garantía", "Guarantee"),
    "none": Text("Sense garantia", "Sin garantía", "No guarantee"),
    "aval": Text("Aval bancari", "Aval bancario", "Bank guarantee"),
    "amount": Text("Import", "Importe", "Amount"),
    "interest": Text("Interessos", "Intereses", "Interest"),
    "total": Text("Total", "Total", "Total"),
    "due": Text("Venciment", "Vencimiento", "Due"),
    "principal": Text("Principal", "Principal", "Principal"),
    "guarantee_needed": Text(
        "Cal aportar garantia per import de {amount}.",
        "Debe aportarse garantía por importe de {amount}.",
        "A guarantee of {amount} must be provided.",
    ),
    "consent": Text(
        "La persona sol·licitant ha donat el seu consentiment exprés durant l'atenció per videotrucada, "
        "confirmat amb un codi d'un sol ús ({at}).",
        "La persona solicitante ha dado su consentimiento expreso durante la atención por videollamada, confirmado con "
        "un código de un solo uso ({at}).",
        "The applicant gave their express consent during the video appointment, confirmed with a one-time code ({at}).",
    ),
    "resolution": Text(
        "La sol·licitud es resoldrà en un termini màxim de sis mesos; el silenci té efecte desestimatori. Els "
        "interessos meriten fins al pagament de cada termini.",
        "La solicitud se resolverá en un plazo máximo de seis meses; el silencio tiene efecto desestimatorio. Los "
        "intereses se devengan hasta el pago de cada plazo.",
        "The request will be decided within six months; no answer means it is refused. Interest accrues until each "
        "instalment is paid.",
    ),
}


def _debts(ctx: Context) -> list[dict[str, Any]]:
    return [i for i in ctx.ledger if i.get("kind") == "debt" and i.get("status", "unpaid") != "paid"]


def _owed(item: dict[str, Any]) -> int:
    return int(item.get("principal_cents", 0)) + int(item.get("surcharge_cents", 0))


class InstalmentPlan:
    type = "instalment_plan"
    office = OfficeId.OGAT
    title = L["title"]
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
                Text(*(f"{d.get('concept', d['item_id'])} · {euros(_owed(d), lang)}" for lang in ("ca", "es", "en"))),
                (("amount_cents", _owed(d)), ("voluntary_period_end", str(d["voluntary_period_end"]))),
            )
            for d in _debts(ctx)
        )
        return [
            Field("debts", "multichoice", L["debts"], options=debts),
            Field("fractions", "integer", L["fractions"], min=2, max=self.rules.max_months(10**12)),
            Field(
                "day_of_month",
                "choice",
                L["day"],
                options=(Option("5", Text("5", "5", "5")), Option("20", Text("20", "20", "20"))),
            ),
            Field("first_due", "date", L["first_due"]),
            Field(
                "guarantee", "choice", L["guarantee"], options=(Option("none", L["none"]), Option("aval", L["aval"]))
            ),
        ]

    def validate(self, data: dict[str, Any], ctx: Context) -> dict[str, Any]:
        errors: list[FieldError] = []
        owed = {str(d["item_id"]): d for d in _debts(ctx)}
        chosen = data.get("debts")
        if not isinstance(chosen, list) or not chosen or not all(isinstance(c, str) for c in chosen):
            errors.append(FieldError("data.debts", "choose at least one debt"))
            chosen = []
        elif any(c not in owed for c in chosen):
            errors.append(FieldError("data.debts", "includes a debt that is paid or not this taxpayer's"))
        fractions = data.get("fractions")
        if not isinstance(fractions, int) or isinstance(fractions, bool):
            errors.append(FieldError("data.fractions", "must be a whole number"))
        day_of_month = data.get("day_of_month")
        if str(day_of_month) not in ("5", "20"):
            errors.append(FieldError("data.day_of_month", "must be 5 or 20"))
        first_due: date | None = None
        try:
            first_due = parse_day(data.get("first_due"), "data.first_due", tax_window(ctx.now.date()))
        except ValidationFailed as exc:
            errors += exc.errors
        guarantee = data.get("guarantee", "none")
        if guarantee not in ("none", "aval"):
            errors.append(FieldError("data.guarantee", "must be none or aval"))
        if errors or first_due is None or not isinstance(fractions, int):
            raise ValidationFailed(errors)
        clean = {
            "debts": sorted(chosen),
            "fractions": fractions,
            "day_of_month": int(str(day_of_month)),
            "first_due": first_due.isoformat(),
            "guarantee": guarantee,
        }
        self._plan(clean, ctx)  # every broken rule, named as data.<field>
        return clean

    def _plan(self, clean: dict[str, Any], ctx: Context) -> Plan:
        debts = [d for d in _debts(ctx) if str(d["item_id"]) in clean["debts"]]
        amount = sum(_owed(d) for d in debts)
        period_end = min(date.fromisoformat(str(d["voluntary_period_end"])) for d in debts)
        try:
            return plan(
                amount,
                period_end,
                clean["fractions"],
                date.fromisoformat(clean["first_due"]),
                clean["day_of_month"],
                clean["guarantee"],
                self.rules,
                ctx.is_working_day,
            )
        except ValidationFailed as exc:
            raise ValidationFailed([_in_data(e) for e in exc.errors]) from None

    def summary(self, clean: dict[str, Any], ctx: Context) -> list[tuple[str, str]]:
        lang = ctx.language
        schedule = self._plan(clean, ctx)
        rows = [
            (L["amount"](lang), euros(schedule.total_cents - schedule.interest_cents, lang)),
            (L["fractions"](lang), str(len(schedule.items))),
            (L["first_due"](lang), day(schedule.items[0].due, lang)),
            (L["interest"](lang), euros(schedule.interest_cents, lang)),
            (L["total"](lang), euros(schedule.total_cents, lang)),
        ]
        if schedule.guarantee_cents:
            rows.append((L["guarantee"](lang), euros(schedule.guarantee_cents, lang)))
        return rows

    def documents(self, clean: dict[str, Any], ctx: Context) -> list[DocumentDraft]:
        lang = ctx.language
        schedule = self._plan(clean, ctx)
        debts = [d for d in _debts(ctx) if str(d["item_id"]) in clean["debts"]]
        blocks: list[Any] = [
            Facts(tuple((str(d.get("concept", d["item_id"])), euros(_owed(d), lang)) for d in debts)),
            Table(
                (L["due"](lang), L["principal"](lang), L["interest"](lang), L["total"](lang)),
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
                    (L["interest"](lang), euros(schedule.interest_cents, lang)),
                    (L["total"](lang), euros(schedule.total_cents, lang)),
                )
            ),
        ]
        if schedule.guarantee_cents:
            blocks.append(Paragraph(L["guarantee_needed"](lang).format(amount=euros(schedule.guarantee_cents, lang))))
        consent = clean.get("consented_at")
        if consent:
            blocks.append(Paragraph(L["consent"](lang).format(at=consent)))
        blocks.append(Paragraph(L["resolution"](lang)))
        return [DocumentDraft(self.type, L["title"](lang), tuple(blocks))]


def _same(text: str) -> Text:
    return Text(text, text, text)


def _in_data(error: FieldError) -> FieldError:
    return FieldError(error.field if error.field.startswith("data.") else f"data.{error.field}", error.message)
