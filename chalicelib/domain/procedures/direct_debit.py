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

from chalicelib.domain.catalogue import OfficeId
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.procedures.base import Context, DocumentDraft, Facts, Field, Option, Paragraph, Table, Text, day
from chalicelib.domain.sepa import bank_of, creditor_identifier, effective_from, iban, mandate_reference

L = {
    "title": Text(
        "Ordre de domiciliació (mandat SEPA)", "Orden de domiciliación (mandato SEPA)", "Direct debit mandate"
    ),
    "objects": Text("Objectes tributaris", "Objetos tributarios", "Tax objects"),
    "iban": Text("IBAN del compte", "IBAN de la cuenta", "Account IBAN"),
    "holder": Text("Titular del compte", "Titular de la cuenta", "Account holder"),
    "authorised": Text(
        "La persona titular del compte és la contribuent o l'ha autoritzada",
        "La persona titular de la cuenta es la contribuyente o la ha autorizado",
        "The account holder is the taxpayer or has authorised them",
    ),
    "reference": Text("Referència del mandat", "Referencia del mandato", "Mandate reference"),
    "creditor": Text("Creditor", "Acreedor", "Creditor"),
    "creditor_id": Text("Identificador del creditor", "Identificador del acreedor", "Creditor identifier"),
    "debtor": Text("Deutor", "Deudor", "Debtor"),
    "bank": Text("Entitat (BIC)", "Entidad (BIC)", "Bank (BIC)"),
    "type": Text("Tipus de pagament", "Tipo de pago", "Payment type"),
    "recurrent": Text("Recurrent", "Recurrente", "Recurrent"),
    "from": Text(
        "Aplicable des del període que comença el", "Aplicable desde el periodo que empieza el", "Applies from"
    ),
    "signed": Text("Data i lloc de signatura", "Fecha y lugar de firma", "Date and place of signing"),
    "tax": Text("Impost", "Impuesto", "Tax"),
    "object": Text("Objecte", "Objeto", "Object"),
    "legal": Text(
        "Mitjançant la signatura d'aquest mandat, autoritzeu el creditor a enviar instruccions a la vostra entitat per "
        "carregar el vostre compte, i la vostra entitat a efectuar-ne els càrrecs. Podeu obtenir el reemborsament en "
        "les vuit setmanes següents a la data del càrrec. El mandat caduca 36 mesos després de l'últim cobrament.",
        "Mediante la firma de esta orden de domiciliación, autoriza al acreedor a enviar instrucciones a su entidad "
        "para adeudar su cuenta y a su entidad para efectuar los adeudos. Puede obtener el reembolso en las ocho "
        "semanas siguientes a la fecha del adeudo. El mandato caduca 36 meses después del último cobro.",
        "By signing this mandate you authorise the creditor to send instructions to your bank to debit your account "
        "and your bank to debit it accordingly. You are entitled to a refund within eight weeks of the debit date. "
        "The mandate lapses 36 months after its last collection.",
    ),
    "consent": Text(
        "Signat amb el consentiment exprés de la persona deutora durant l'atenció per videotrucada, confirmat amb un "
        "codi d'un sol ús ({at}).",
        "Firmado con el consentimiento expreso de la persona deudora durante la atención por videollamada, "
        "confirmado con un código de un solo uso ({at}).",
        "Signed with the debtor's express consent during the video appointment, confirmed with a one-time code ({at}).",
    ),
}


def _objects(ctx: Context) -> list[dict[str, Any]]:
    return [i for i in ctx.ledger if i.get("kind") == "tax_object"]


def _periods(tax: str, ctx: Context, year: int) -> list[tuple[date, date]]:
    spans = (ctx.config.get("collection_periods") or {}).get(tax)
    if not spans:
        return []
    start, end = spans
    return [(date.fromisoformat(f"{y}-{start}"), date.fromisoformat(f"{y}-{end}")) for y in (year, year + 1, year + 2)]


class DirectDebit:
    type = "direct_debit"
    office = OfficeId.OGAT
    title = L["title"]
    needs_consent = True
    purpose = "direct debit"
    # Its mandate holds personal data (name, bank account, taxes): issued only when identified.
    personal_data = True

    def fields(self, ctx: Context) -> list[Field]:
        options = tuple(
            Option(str(o["item_id"]), Text(*(f"{o.get('tax')} · {o.get('reference')}",) * 3)) for o in _objects(ctx)
        )
        return [
            Field("objects", "multichoice", L["objects"], options=options),
            Field("iban", "iban", L["iban"]),
            Field("account_holder", "text", L["holder"], max=120),
            Field("holder_authorised", "boolean", L["authorised"]),
        ]

    def validate(self, data: dict[str, Any], ctx: Context) -> dict[str, Any]:
        errors: list[FieldError] = []
        known = {str(o["item_id"]): o for o in _objects(ctx)}
        chosen = data.get("objects")
        if not isinstance(chosen, list) or not chosen or not all(isinstance(c, str) for c in chosen):
            errors.append(FieldError("data.objects", "choose at least one tax object"))
            chosen = []
        elif any(c not in known for c in chosen):
            errors.append(FieldError("data.objects", "includes an object that is not this taxpayer's"))
        account = None
        try:
            account = iban(data.get("iban"), "data.iban")
        except ValidationFailed as exc:
            errors += exc.errors
        holder = data.get("account_holder")
        if not isinstance(holder, str) or not holder.strip() or len(holder) > 120:
            errors.append(FieldError("data.account_holder", "name the account holder"))
        if data.get("holder_authorised") is not True:
            errors.append(FieldError("data.holder_authorised", "the account holder must be the taxpayer or authorise"))
        try:
            creditor_identifier(ctx.config.get("creditor_identifier"), "creditor_identifier")
        except ValidationFailed as exc:
            errors += exc.errors  # a configuration problem, told plainly rather than hidden
        effective: dict[str, str] = {}
        for object_id in chosen if not errors else []:
            tax = str(known[object_id].get("tax"))
            try:
                effective[object_id] = effective_from(ctx.now.date(), _periods(tax, ctx, ctx.now.year)).isoformat()
            except ValidationFailed:
                errors.append(FieldError("data.objects", f"no collection period is known for {tax}"))
        if errors or account is None or not isinstance(holder, str):
            raise ValidationFailed(errors)
        bank, bic = bank_of(account)
        return {
            "objects": sorted(chosen),
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
            (L["objects"](lang), str(len(clean["objects"]))),
            (L["iban"](lang), masked),
            (L["holder"](lang), clean["account_holder"]),
            (L["from"](lang), day(date.fromisoformat(first), lang)),
            (L["reference"](lang), clean["reference"]),
        ]

    def documents(self, clean: dict[str, Any], ctx: Context) -> list[DocumentDraft]:
        lang = ctx.language
        config = ctx.config
        known = {str(o["item_id"]): o for o in _objects(ctx)}
        person = ctx.person or {}
        debtor = " ".join(p for p in (person.get("given_name"), person.get("surname1"), person.get("surname2")) if p)
        blocks: list[Any] = [
            Facts(
                (
                    (L["reference"](lang), clean["reference"]),
                    (L["creditor"](lang), f"{config.get('creditor_name', '')}, {config.get('creditor_address', '')}"),
                    (L["creditor_id"](lang), str(config.get("creditor_identifier"))),
                    (L["debtor"](lang), f"{debtor} ({ctx.appointment.citizen})"),
                    (L["holder"](lang), clean["account_holder"]),
                    (L["iban"](lang), clean["iban"]),
                    (L["bank"](lang), f"{clean.get('bank') or '—'} ({clean.get('bic') or '—'})"),
                    (L["type"](lang), L["recurrent"](lang)),
                    (L["signed"](lang), f"{day(date.fromisoformat(clean['signed_on']), lang)}, {ctx.office_name}"),
                )
            ),
            Table(
                (L["tax"](lang), L["object"](lang), L["from"](lang)),
                tuple(
                    (
                        str(known.get(o, {}).get("tax", "")),
                        str(known.get(o, {}).get("reference", o)),
                        day(date.fromisoformat(clean["effective"][o]), lang),
                    )
                    for o in clean["objects"]
                ),
            ),
            Paragraph(L["legal"](lang)),
        ]
        if clean.get("consented_at"):
            blocks.append(Paragraph(L["consent"](lang).format(at=clean["consented_at"])))
        return [DocumentDraft(self.type, L["title"](lang), tuple(blocks))]
