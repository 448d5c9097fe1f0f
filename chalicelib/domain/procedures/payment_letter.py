"""Payment letter (carta de pagament / carta de pago), OGAT: Cuaderno 60 for a debt or a pending receipt of the ledger.

A debt (liquidation) gets modalidad 2, with its deadline encoded in the identificación; a pending receipt of a
collection period gets modalidad 1 (tributo, ejercicio, remesa). Amount and concept come from the ledger; the issuer
code (emisora) and how long a letter stays payable are configuration.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from chalicelib.domain.catalogue import OfficeId
from chalicelib.domain.cuaderno60 import payment_letter_mod1, payment_letter_mod2
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.procedures.base import (
    Barcode,
    Context,
    DocumentDraft,
    Facts,
    Field,
    Option,
    Paragraph,
    Text,
    day,
    euros,
)

L = {
    "title": Text("Carta de pagament", "Carta de pago", "Payment letter"),
    "item": Text("Deute o rebut", "Deuda o recibo", "Debt or receipt"),
    "concept": Text("Concepte", "Concepto", "Concept"),
    "amount": Text("Import", "Importe", "Amount"),
    "deadline": Text("Termini de pagament", "Plazo de pago", "Pay by"),
    "taxpayer": Text("Persona obligada al pagament", "Persona obligada al pago", "Taxpayer"),
    "object": Text("Objecte tributari", "Objeto tributario", "Tax object"),
    "how": Text(
        "Pagueu a qualsevol entitat col·laboradora amb aquest document, al caixer o a la seu electrònica, abans de la "
        "data límit.",
        "Pague en cualquier entidad colaboradora con este documento, en el cajero o en la sede electrónica, antes de "
        "la fecha límite.",
        "Pay at any collaborating bank with this document, at a cash machine or on the council's e-office, before the "
        "deadline.",
    ),
    "paid": Text("ja està pagat", "ya está pagado", "is already paid"),
}
# The human-readable box under the barcode (Cuaderno 60): "Emisora | Mod. | Referencia | Identificación | Importe".
BOX = {
    "emisora": Text("Emisora", "Emisora", "Issuer"),
    "modalidad": Text("Mod.", "Mod.", "Mod."),
    "referencia": Text("Referència", "Referencia", "Reference"),
    "identificacion": Text("Identificació", "Identificación", "Identification"),
    "importe": Text("Import", "Importe", "Amount"),
    "deadline": Text("Venciment", "Vencimiento", "Due"),
}


def _payable(item: dict[str, Any]) -> bool:
    if item.get("kind") == "debt":
        return bool(item.get("status", "unpaid") != "paid")
    return bool(item.get("kind") == "receipt" and item.get("status") == "pending")


def _amount(item: dict[str, Any]) -> int:
    if item.get("kind") == "debt":
        return int(item.get("principal_cents", 0)) + int(item.get("surcharge_cents", 0))
    return int(item.get("amount_cents", 0))


def _concept(item: dict[str, Any]) -> str:
    return str(item.get("concept") or f"{item.get('tax', '')} {item.get('ejercicio', '')}").strip()


class PaymentLetter:
    type = "payment_letter"
    office = OfficeId.OGAT
    title = L["title"]
    needs_consent = False
    purpose = "payment letter"
    # Its letter holds personal data (name, tax ID, the debt and its amount): issued only when identified.
    personal_data = True

    def fields(self, ctx: Context) -> list[Field]:
        options = tuple(
            Option(
                str(item["item_id"]),
                Text(*(f"{_concept(item)} · {euros(_amount(item), lang)}" for lang in ("ca", "es", "en"))),
            )
            for item in ctx.ledger
            if _payable(item)
        )
        return [Field("item_id", "choice", L["item"], options=options)]

    def validate(self, data: dict[str, Any], ctx: Context) -> dict[str, Any]:
        wanted = data.get("item_id")
        item = next((i for i in ctx.ledger if i.get("item_id") == wanted), None)
        if not isinstance(wanted, str) or item is None or item.get("kind") not in ("debt", "receipt"):
            raise ValidationFailed([FieldError("data.item_id", "is not a debt or receipt of this taxpayer")])
        if not _payable(item):
            raise ValidationFailed([FieldError("data.item_id", "is already paid")])
        if _amount(item) <= 0:
            raise ValidationFailed([FieldError("data.item_id", "has nothing to pay")])
        deadline = ctx.now.date() + timedelta(days=int(ctx.config.get("payment_letter_days", 15)))
        while not ctx.is_working_day(deadline):
            deadline += timedelta(days=1)
        return {"item_id": wanted, "deadline": deadline.isoformat()}

    def summary(self, clean: dict[str, Any], ctx: Context) -> list[tuple[str, str]]:
        item = self._item(clean, ctx)
        lang = ctx.language
        return [
            (L["concept"](lang), _concept(item)),
            (L["amount"](lang), euros(_amount(item), lang)),
            (L["deadline"](lang), day(date.fromisoformat(clean["deadline"]), lang)),
        ]

    def documents(self, clean: dict[str, Any], ctx: Context) -> list[DocumentDraft]:
        item = self._item(clean, ctx)
        lang = ctx.language
        emisora = str(ctx.config.get("emisora", "000000"))
        deadline = date.fromisoformat(clean["deadline"])
        amount = _amount(item)
        if item["kind"] == "debt":
            ref10 = str(item.get("document_number", "0")).zfill(10)[-10:]
            code = payment_letter_mod2(emisora, ref10, str(item["tributo"]), int(item["ejercicio"]), deadline, amount)
        else:
            # A stable document number for the receipt (the ledger has none): digits of its id's hash.
            ref10 = str(int(hashlib.sha256(str(item["item_id"]).encode()).hexdigest(), 16) % 10**10).zfill(10)
            code = payment_letter_mod1(
                emisora, ref10, str(item["tributo"]), int(item["ejercicio"]), str(item.get("remesa", "01")), amount
            )
        person = ctx.person or {}
        holder = " ".join(p for p in (person.get("given_name"), person.get("surname1"), person.get("surname2")) if p)
        box = " | ".join(f"{BOX[k](lang) if k in BOX else k}: {v}" for k, v in code.human_box.items())
        blocks = (
            Facts(
                (
                    (L["taxpayer"](lang), f"{holder} ({ctx.appointment.citizen})"),
                    (L["concept"](lang), _concept(item)),
                    (L["amount"](lang), euros(amount, lang)),
                    (L["deadline"](lang), day(deadline, lang)),
                )
            ),
            Paragraph(L["how"](lang)),
            Barcode(code.barcode, box),
        )
        return [DocumentDraft(self.type, f"{L['title'](lang)} · {_concept(item)}", blocks)]

    @staticmethod
    def _item(clean: dict[str, Any], ctx: Context) -> dict[str, Any]:
        return next(i for i in ctx.ledger if i.get("item_id") == clean["item_id"])
