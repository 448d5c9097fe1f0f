"""Certificate of registered residence (certificat / certificado de empadronamiento), OMAC.

Types: individual; household (co-residents' data only where the padrón records their authorisation, otherwise only how
many they are); historical (every address in the municipality). Requested by the holder or a representative, who
shows a signed authorisation (its reference is recorded). Content per DOMAIN.md: holder identity, full address, date of
registration at the address and in the municipality, household members when applicable, issue time, issuing body; the
seal, CSV and verification URL + QR are added when the document is issued.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.domain.countries import country_name
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.identifiers import id_number
from chalicelib.domain.procedures.base import (
    Context,
    DocumentDraft,
    Facts,
    Field,
    Heading,
    Paragraph,
    Table,
    Texts,
    Titled,
    day,
    full_name,
)

TYPE = "residence_certificate"
T = Texts(TYPE)
TYPES = ("individual", "household", "historical")
REQUESTERS = ("holder", "representative")


def _address(address: dict[str, Any]) -> str:
    parts = [f"{address.get('street', '')} {address.get('number', '')}".strip()]
    floor = " ".join(p for p in (address.get("floor"), address.get("door")) if p)
    if floor:
        parts.append(floor)
    parts.append(f"{address.get('postcode', '')} {address.get('municipality', '')}".strip())
    return ", ".join(p for p in parts if p)


class ResidenceCertificate(Titled):
    type = TYPE
    office_kinds: frozenset[str] = frozenset()  # any office may offer it
    needs_consent = False
    purpose = "residence certificate"
    # Its document holds personal data (birth date and place, address, co-residents): issued only when identified.
    personal_data = True

    def fields(self, ctx: Context) -> list[Field]:
        return [
            Field(
                "certificate_type", "choice", T.label("certificate_type"), options=T.options("certificate_type", TYPES)
            ),
            Field("requester", "choice", T.label("requester"), options=T.options("requester", REQUESTERS)),
            Field("representative_name", "text", T.label("representative_name"), required=False, max=120),
            Field("representative_id_number", "text", T.label("representative_id_number"), required=False),
            Field(
                "authorisation_document",
                "file",
                T.label("authorisation_document"),
                required=False,
                help=T.help("authorisation_document"),
            ),
        ]

    def validate(self, data: dict[str, Any], ctx: Context) -> dict[str, Any]:
        errors: list[FieldError] = []
        kind = data.get("certificate_type")
        if kind not in TYPES:
            errors.append(FieldError("data.certificate_type", "one_of", choices="individual, household, historical"))
        requester = data.get("requester")
        if requester not in REQUESTERS:
            errors.append(FieldError("data.requester", "one_of", choices="holder, representative"))
        clean: dict[str, Any] = {"certificate_type": kind, "requester": requester}
        if requester == "representative":
            name = data.get("representative_name")
            if not isinstance(name, str) or not name.strip() or len(name) > 120:
                errors.append(FieldError("data.representative_name", "representative_name"))
            else:
                clean["representative_name"] = name.strip()
            try:
                clean["representative_id_number"] = id_number(
                    data.get("representative_id_number"), "data.representative_id_number"
                )
            except ValidationFailed as exc:
                errors += exc.errors
            wanted = data.get("authorisation_document")
            attachment = next((a for a in ctx.attachments if a.get("id") == wanted), None)
            if attachment is None:
                errors.append(FieldError("data.authorisation_document", "authorisation_needed"))
            else:
                clean["authorisation_document"] = {"id": attachment["id"], "sha256": attachment["sha256"]}
        if ctx.person is None:
            errors.append(FieldError("data", "not_registered"))
        if kind == "historical" and ctx.person is not None and not ctx.person.get("history"):
            clean["history_empty"] = True
        if errors:
            raise ValidationFailed(errors)
        return clean

    def summary(self, clean: dict[str, Any], ctx: Context) -> list[tuple[str, str]]:
        lang = ctx.language
        kind, requester = clean["certificate_type"], clean["requester"]
        rows = [(T.label("certificate_type")(lang), T.say(f"option.certificate_type.{kind}", lang))]
        rows.append((T.label("requester")(lang), T.say(f"option.requester.{requester}", lang)))
        if clean["requester"] == "representative":
            rows.append((T.label("representative_name")(lang), clean["representative_name"]))
        return rows

    def documents(self, clean: dict[str, Any], ctx: Context) -> list[DocumentDraft]:
        lang = ctx.language
        person = ctx.person or {}
        kind = clean["certificate_type"]
        facts = [
            (T.say("printed.name", lang), full_name(person)),
            (T.say("printed.idn", lang), f"{person.get('id_type', '')} {person.get('id_number', '')}".strip()),
            (
                T.say("printed.born", lang),
                f"{day(date.fromisoformat(person['birth_date']), lang)}, {person.get('birth_place', '')}",
            ),
            (T.say("printed.nationality", lang), country_name(str(person.get("nationality", "")), lang)),
            (T.say("printed.address", lang), _address(person.get("address", {}))),
            (T.say("printed.since_address", lang), day(date.fromisoformat(person["registered_at_address"]), lang)),
            (T.say("printed.since_town", lang), day(date.fromisoformat(person["registered_in_municipality"]), lang)),
        ]
        blocks: list[Any] = [
            Paragraph(T.say("printed.certify", lang, council=ctx.council)),
            Heading(T.say("printed.holder", lang)),
            Facts(tuple(facts)),
        ]
        if kind == "household":
            others = [p for p in ctx.household if p.get("person_id") != person.get("person_id")]
            shown = [p for p in others if p.get("authorises_household_data")]
            if shown:
                blocks.append(Heading(T.say("printed.household", lang)))
                blocks.append(
                    Table(
                        (T.say("printed.name", lang), T.say("printed.since_address", lang)),
                        tuple((full_name(p), day(date.fromisoformat(p["registered_at_address"]), lang)) for p in shown),
                    )
                )
            hidden = len(others) - len(shown)
            if hidden:
                blocks.append(Paragraph(T.say("printed.others", lang, n=hidden)))
        if kind == "historical" and person.get("history"):
            blocks.append(Heading(T.say("printed.history", lang)))
            blocks.append(
                Table(
                    (T.say("printed.address", lang), T.say("printed.from", lang), T.say("printed.to", lang)),
                    tuple(
                        (
                            f"{h['street']} {h['number']}",
                            day(date.fromisoformat(h["from"]), lang),
                            day(date.fromisoformat(h["to"]), lang),
                        )
                        for h in person["history"]
                    ),
                )
            )
        if clean["requester"] == "representative":
            blocks.append(
                Paragraph(
                    f"{T.say('printed.requested_by', lang)}: {clean['representative_name']} "
                    f"({clean['representative_id_number']}). {T.label('authorisation_document')(lang)}: SHA-256 "
                    f"{clean['authorisation_document']['sha256'][:16]}…"
                )
            )
        title = f"{self.title(lang)} · {T.say(f'option.certificate_type.{kind}', lang)}"
        return [DocumentDraft(self.type, title, tuple(blocks), holder_id_number=str(person.get("id_number", "")))]
