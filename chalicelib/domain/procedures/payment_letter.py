"""Payment letter (carta de pagament / carta de pago), OGAT: Cuaderno 60 for a debt or a pending receipt of the ledger.

A debt (liquidation) gets modalidad 2, with its deadline encoded in the identificación; a pending receipt of a
collection period gets modalidad 1 (tributo, ejercicio, remesa). Amount and concept come from the ledger; the issuer
code (emisora) and how long a letter stays payable are configuration.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

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
    Texts,
    Titled,
    Words,
    day,
    euros,
    full_name,
    owed_cents,
)

TYPE = "payment_letter"
T = Texts(TYPE)
# The human-readable box under the barcode (Cuaderno 60): "Emisora | Mod. | Referencia | Identificación | Importe",
# each label under ``procedure.payment_letter.box.<name>``.
BOX = ("emisora", "modalidad", "referencia", "identificacion", "importe", "deadline")


def _payable(item: dict[str, Any]) -> bool:
    if item.get("kind") == "debt":
        return bool(item.get("status", "unpaid") != "paid")
    return bool(item.get("kind") == "receipt" and item.get("status") == "pending")


def _amount(item: dict[str, Any]) -> int:
    if item.get("kind") == "debt":
        return owed_cents(item)
    return int(item.get("amount_cents", 0))


def _concept(item: dict[str, Any]) -> str:
    return str(item.get("concept") or f"{item.get('tax', '')} {item.get('ejercicio', '')}").strip()


def _choice(item: dict[str, Any]) -> Words:
    return lambda language: f"{_concept(item)} · {euros(_amount(item), language)}"


class PaymentLetter(Titled):
    type = TYPE
    office_kinds = frozenset({"tax"})  # offered by tax offices only
    needs_consent = False
    purpose = "payment letter"
    # Its letter holds personal data (name, tax ID, the debt and its amount): issued only when identified.
    personal_data = True

    def fields(self, ctx: Context) -> list[Field]:
        options = tuple(Option(str(item["item_id"]), _choice(item)) for item in ctx.ledger if _payable(item))
        return [Field("item_id", "choice", T.label("item_id"), options=options)]

    def validate(self, data: dict[str, Any], ctx: Context) -> dict[str, Any]:
        wanted = data.get("item_id")
        item = next((i for i in ctx.ledger if i.get("item_id") == wanted), None)
        if not isinstance(wanted, str) or item is None or item.get("kind") not in ("debt", "receipt"):
            raise ValidationFailed([FieldError("data.item_id", "foreign_item")])
        if not _payable(item):
            raise ValidationFailed([FieldError("data.item_id", "already_paid")])
        if _amount(item) <= 0:
            raise ValidationFailed([FieldError("data.item_id", "nothing_to_pay")])
        deadline = ctx.now.date() + timedelta(days=int(ctx.config.get("payment_letter_days", 15)))
        while not ctx.is_working_day(deadline):
            deadline += timedelta(days=1)
        return {"item_id": wanted, "deadline": deadline.isoformat()}

    def summary(self, clean: dict[str, Any], ctx: Context) -> list[tuple[str, str]]:
        item = self._item(clean, ctx)
        lang = ctx.language
        return [
            (T.say("printed.concept", lang), _concept(item)),
            (T.say("printed.amount", lang), euros(_amount(item), lang)),
            (T.say("printed.deadline", lang), day(date.fromisoformat(clean["deadline"]), lang)),
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
        holder = full_name(person)
        box = " | ".join(f"{T.say(f'box.{k}', lang) if k in BOX else k}: {v}" for k, v in code.human_box.items())
        blocks = (
            Facts(
                (
                    (T.say("printed.taxpayer", lang), f"{holder} ({ctx.appointment.citizen})"),
                    (T.say("printed.concept", lang), _concept(item)),
                    (T.say("printed.amount", lang), euros(amount, lang)),
                    (T.say("printed.deadline", lang), day(deadline, lang)),
                )
            ),
            Paragraph(T.say("printed.how", lang)),
            Barcode(code.barcode, box),
        )
        return [DocumentDraft(self.type, f"{self.title(lang)} · {_concept(item)}", blocks)]

    @staticmethod
    def _item(clean: dict[str, Any], ctx: Context) -> dict[str, Any]:
        return next(i for i in ctx.ledger if i.get("item_id") == clean["item_id"])
