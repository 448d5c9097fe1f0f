"""Direct debit of tax receipts (domiciliació / domiciliación), OGAT: a SEPA Core mandate per order.

The citizen chooses tax objects of the ledger and an account (IBAN validated with mod 97 and, for Spain, the CCC
digits; bank and BIC from the IBAN registry); the account holder is named and must be the taxpayer or authorised by
them. The order applies from the first collection period that starts two months or more after it is signed (RGR art.
25), and needs the citizen's explicit consent (step-up code). Creditor identifier (AT-02), name and address, and the
taxes' collection periods are configuration.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from chalicelib.domain.errors import FieldError, ValidationFailed
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
    full_name,
)
from chalicelib.domain.sepa import bank_of, creditor_identifier, effective_from, iban, mandate_reference

TYPE = "direct_debit"
T = Texts(TYPE)


def _objects(ctx: Context) -> list[dict[str, Any]]:
    return [i for i in ctx.ledger if i.get("kind") == "tax_object"]


def _choice(tax_object: dict[str, Any]) -> Words:
    # A tax object is named by its tax and reference, the same in every language.
    return lambda language: f"{tax_object.get('tax')} · {tax_object.get('reference')}"


def _periods(tax: str, ctx: Context, year: int) -> list[tuple[date, date]]:
    spans = (ctx.config.get("collection_periods") or {}).get(tax)
    if not spans:
        return []
    start, end = spans
    return [(date.fromisoformat(f"{y}-{start}"), date.fromisoformat(f"{y}-{end}")) for y in (year, year + 1, year + 2)]


class DirectDebit(Titled):
    type = TYPE
    office_kinds = frozenset({"tax"})  # offered by tax offices only
    needs_consent = True
    purpose = "direct debit"
    # Its mandate holds personal data (name, bank account, taxes): issued only when identified.
    personal_data = True

    def fields(self, ctx: Context) -> list[Field]:
        options = tuple(Option(str(o["item_id"]), _choice(o)) for o in _objects(ctx))
        return [
            Field("objects", "multichoice", T.label("objects"), options=options),
            Field("iban", "iban", T.label("iban")),
            Field("account_holder", "text", T.label("account_holder"), max=120),
            Field("holder_authorised", "boolean", T.label("holder_authorised")),
        ]

    def validate(self, data: dict[str, Any], ctx: Context) -> dict[str, Any]:
        errors: list[FieldError] = []
        known = {str(o["item_id"]): o for o in _objects(ctx)}
        objects = chosen(
            data.get("objects"),
            known,
            errors,
            none=FieldError("data.objects", "choose_object"),
            foreign=FieldError("data.objects", "foreign_object"),
        )
        account = None
        try:
            account = iban(data.get("iban"), "data.iban")
        except ValidationFailed as exc:
            errors += exc.errors
        holder = data.get("account_holder")
        if not isinstance(holder, str) or not holder.strip() or len(holder) > 120:
            errors.append(FieldError("data.account_holder", "account_holder"))
        if data.get("holder_authorised") is not True:
            errors.append(FieldError("data.holder_authorised", "holder_authorised"))
        try:
            creditor_identifier(ctx.config.get("creditor_identifier"), "creditor_identifier")
        except ValidationFailed as exc:
            errors += exc.errors  # a configuration problem, told plainly rather than hidden
        effective: dict[str, str] = {}
        for object_id in objects if not errors else []:
            tax = str(known[object_id].get("tax"))
            try:
                effective[object_id] = effective_from(ctx.now.date(), _periods(tax, ctx, ctx.now.year)).isoformat()
            except ValidationFailed:
                errors.append(FieldError("data.objects", "no_collection_period", tax=tax))
        if errors or account is None or not isinstance(holder, str):
            raise ValidationFailed(errors)
        bank, bic = bank_of(account)
        return {
            "objects": sorted(objects),
            "iban": account,
            "bank": bank,
            "bic": bic,
            "account_holder": holder.strip(),
            "reference": mandate_reference("VAT", uuid.uuid4().hex[:20].upper()),
            "effective": effective,
            "signed_on": ctx.now.date().isoformat(),
        }

    def summary(self, clean: dict[str, Any], ctx: Context) -> list[tuple[str, str]]:
        lang = ctx.language
        masked = f"{clean['iban'][:4]} •••• {clean['iban'][-4:]}"
        first = min(clean["effective"].values())
        return [
            (T.label("objects")(lang), str(len(clean["objects"]))),
            (T.label("iban")(lang), masked),
            (T.label("account_holder")(lang), clean["account_holder"]),
            (T.say("printed.from", lang), day(date.fromisoformat(first), lang)),
            (T.say("printed.reference", lang), clean["reference"]),
        ]

    def documents(self, clean: dict[str, Any], ctx: Context) -> list[DocumentDraft]:
        lang = ctx.language
        config = ctx.config
        known = {str(o["item_id"]): o for o in _objects(ctx)}
        person = ctx.person or {}
        debtor = full_name(person)
        blocks: list[Any] = [
            Facts(
                (
                    (T.say("printed.reference", lang), clean["reference"]),
                    (
                        T.say("printed.creditor", lang),
                        f"{config.get('creditor_name', '')}, {config.get('creditor_address', '')}",
                    ),
                    (T.say("printed.creditor_id", lang), str(config.get("creditor_identifier"))),
                    (T.say("printed.debtor", lang), f"{debtor} ({ctx.appointment.citizen})"),
                    (T.label("account_holder")(lang), clean["account_holder"]),
                    (T.label("iban")(lang), clean["iban"]),
                    (T.say("printed.bank", lang), f"{clean.get('bank') or '—'} ({clean.get('bic') or '—'})"),
                    (T.say("printed.type", lang), T.say("printed.recurrent", lang)),
                    (
                        T.say("printed.signed", lang),
                        f"{day(date.fromisoformat(clean['signed_on']), lang)}, {ctx.office_name}",
                    ),
                )
            ),
            Table(
                (T.say("printed.tax", lang), T.say("printed.object", lang), T.say("printed.from", lang)),
                tuple(
                    (
                        str(known.get(o, {}).get("tax", "")),
                        str(known.get(o, {}).get("reference", o)),
                        day(date.fromisoformat(clean["effective"][o]), lang),
                    )
                    for o in clean["objects"]
                ),
            ),
            Paragraph(T.say("printed.legal", lang)),
        ]
        if clean.get("consented_at"):
            blocks.append(Paragraph(T.say("printed.consent", lang, at=clean["consented_at"])))
        return [DocumentDraft(self.type, self.title(lang), tuple(blocks))]
