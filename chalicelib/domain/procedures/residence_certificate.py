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

from chalicelib.domain.catalogue import OfficeId
from chalicelib.domain.countries import country_name
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.identifiers import id_number
from chalicelib.domain.procedures.base import (
    Context,
    DocumentDraft,
    Facts,
    Field,
    Heading,
    Option,
    Paragraph,
    Table,
    Text,
    day,
)

TYPES = {
    "individual": Text("Individual", "Individual", "Individual"),
    "household": Text("Col·lectiu (convivència)", "Colectivo (convivencia)", "Household"),
    "historical": Text("Històric", "Histórico", "Historical"),
}
REQUESTERS = {
    "holder": Text("La persona titular", "La persona titular", "The holder"),
    "representative": Text("Un representant", "Un representante", "A representative"),
}
L = {
    "type": Text("Tipus de certificat", "Tipo de certificado", "Type of certificate"),
    "requester": Text("Qui ho demana", "Quién lo solicita", "Requested by"),
    "rep_name": Text("Nom del representant", "Nombre del representante", "Representative's name"),
    "rep_id": Text("DNI/NIE del representant", "DNI/NIE del representante", "Representative's ID number"),
    "auth": Text(
        "Autorització signada (PDF o imatge)",
        "Autorización firmada (PDF o imagen)",
        "Signed authorisation (PDF or image)",
    ),
    "auth_help": Text(
        "L'autorització signada amb la còpia del document de la persona titular, que la persona representant mostra "
        "a la trucada; queda desada amb l'expedient.",
        "La autorización firmada con la copia del documento de la persona titular, que la persona representante "
        "muestra en la llamada; queda guardada con el expediente.",
        "The signed authorisation with a copy of the holder's ID that the representative shows in the call; it is "
        "kept with the case.",
    ),
    "holder": Text("Persona titular", "Persona titular", "Holder"),
    "name": Text("Nom i cognoms", "Nombre y apellidos", "Name"),
    "idn": Text("Document d'identitat", "Documento de identidad", "ID document"),
    "born": Text("Data i lloc de naixement", "Fecha y lugar de nacimiento", "Date and place of birth"),
    "nationality": Text("Nacionalitat", "Nacionalidad", "Nationality"),
    "address": Text("Domicili", "Domicilio", "Address"),
    "since_address": Text("Alta en aquest domicili", "Alta en este domicilio", "Registered at this address since"),
    "since_town": Text("Alta al municipi", "Alta en el municipio", "Registered in the municipality since"),
    "household": Text("Persones que hi conviuen", "Personas que conviven", "People living at the address"),
    "others": Text(
        "Altres persones empadronades al domicili (sense autorització per mostrar-ne les dades): {n}",
        "Otras personas empadronadas en el domicilio (sin autorización para mostrar sus datos): {n}",
        "Other people registered at the address (who have not authorised showing their data): {n}",
    ),
    "history": Text("Domicilis anteriors al municipi", "Domicilios anteriores en el municipio", "Previous addresses"),
    "from": Text("Des de", "Desde", "From"),
    "to": Text("Fins a", "Hasta", "To"),
    "certify": Text(
        "{council} CERTIFICA, d'acord amb les dades del Padró municipal d'habitants, que la persona següent hi consta "
        "inscrita:",
        "{council} CERTIFICA, de acuerdo con los datos del Padrón municipal de habitantes, que la persona siguiente "
        "consta inscrita:",
        "{council} CERTIFIES, according to the municipal register of inhabitants, that the following person is "
        "registered:",
    ),
    "requested_by": Text("Sol·licitat per", "Solicitado por", "Requested by"),
    "title": Text(
        "Certificat d'empadronament", "Certificado de empadronamiento", "Certificate of registered residence"
    ),
}


def _address(address: dict[str, Any]) -> str:
    parts = [f"{address.get('street', '')} {address.get('number', '')}".strip()]
    floor = " ".join(p for p in (address.get("floor"), address.get("door")) if p)
    if floor:
        parts.append(floor)
    parts.append(f"{address.get('postcode', '')} {address.get('municipality', '')}".strip())
    return ", ".join(p for p in parts if p)


def _name(person: dict[str, Any]) -> str:
    return " ".join(p for p in (person.get("given_name"), person.get("surname1"), person.get("surname2")) if p)


class ResidenceCertificate:
    type = "residence_certificate"
    office = OfficeId.OMAC
    title = L["title"]
    needs_consent = False
    purpose = "residence certificate"
    # Its document holds personal data (birth date and place, address, co-residents): issued only when identified.
    personal_data = True

    def fields(self, ctx: Context) -> list[Field]:
        return [
            Field("certificate_type", "choice", L["type"], options=tuple(Option(k, v) for k, v in TYPES.items())),
            Field("requester", "choice", L["requester"], options=tuple(Option(k, v) for k, v in REQUESTERS.items())),
            Field("representative_name", "text", L["rep_name"], required=False, max=120),
            Field("representative_id_number", "text", L["rep_id"], required=False),
            Field("authorisation_document", "file", L["auth"], required=False, help=L["auth_help"]),
        ]

    def validate(self, data: dict[str, Any], ctx: Context) -> dict[str, Any]:
        errors: list[FieldError] = []
        kind = data.get("certificate_type")
        if kind not in TYPES:
            errors.append(FieldError("data.certificate_type", "must be individual, household or historical"))
        requester = data.get("requester")
        if requester not in REQUESTERS:
            errors.append(FieldError("data.requester", "must be holder or representative"))
        clean: dict[str, Any] = {"certificate_type": kind, "requester": requester}
        if requester == "representative":
            name = data.get("representative_name")
            if not isinstance(name, str) or not name.strip() or len(name) > 120:
                errors.append(FieldError("data.representative_name", "is required for a representative"))
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
                errors.append(
                    FieldError("data.authorisation_document", "a representative needs the signed authorisation")
                )
            else:
                clean["authorisation_document"] = {"id": attachment["id"], "sha256": attachment["sha256"]}
        if ctx.person is None:
            errors.append(
                FieldError("data", "the citizen is not in the municipal register: no certificate can be issued")
            )
        if kind == "historical" and ctx.person is not None and not ctx.person.get("history"):
            clean["history_empty"] = True
        if errors:
            raise ValidationFailed(errors)
        return clean

    def summary(self, clean: dict[str, Any], ctx: Context) -> list[tuple[str, str]]:
        lang = ctx.language
        rows = [(L["type"](lang), TYPES[clean["certificate_type"]](lang))]
        rows.append((L["requester"](lang), REQUESTERS[clean["requester"]](lang)))
        if clean["requester"] == "representative":
            rows.append((L["rep_name"](lang), clean["representative_name"]))
        return rows

    def documents(self, clean: dict[str, Any], ctx: Context) -> list[DocumentDraft]:
        lang = ctx.language
        person = ctx.person or {}
        kind = clean["certificate_type"]
        facts = [
            (L["name"](lang), _name(person)),
            (L["idn"](lang), f"{person.get('id_type', '')} {person.get('id_number', '')}".strip()),
            (
                L["born"](lang),
                f"{day(date.fromisoformat(person['birth_date']), lang)}, {person.get('birth_place', '')}",
            ),
            (L["nationality"](lang), country_name(str(person.get("nationality", "")), lang)),
            (L["address"](lang), _address(person.get("address", {}))),
            (L["since_address"](lang), day(date.fromisoformat(person["registered_at_address"]), lang)),
            (L["since_town"](lang), day(date.fromisoformat(person["registered_in_municipality"]), lang)),
        ]
        blocks: list[Any] = [
            Paragraph(L["certify"](lang).format(council=ctx.council)),
            Heading(L["holder"](lang)),
            Facts(tuple(facts)),
        ]
        if kind == "household":
            others = [p for p in ctx.household if p.get("person_id") != person.get("person_id")]
            shown = [p for p in others if p.get("authorises_household_data")]
            if shown:
                blocks.append(Heading(L["household"](lang)))
                blocks.append(
                    Table(
                        (L["name"](lang), L["since_address"](lang)),
                        tuple((_name(p), day(date.fromisoformat(p["registered_at_address"]), lang)) for p in shown),
                    )
                )
            hidden = len(others) - len(shown)
            if hidden:
                blocks.append(Paragraph(L["others"](lang).format(n=hidden)))
        if kind == "historical" and person.get("history"):
            blocks.append(Heading(L["history"](lang)))
            blocks.append(
                Table(
                    (L["address"](lang), L["from"](lang), L["to"](lang)),
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
                    f"{L['requested_by'](lang)}: {clean['representative_name']} "
                    f"({clean['representative_id_number']}). {L['auth'](lang)}: SHA-256 "
                    f"{clean['authorisation_document']['sha256'][:16]}…"
                )
            )
        title = f"{L['title'](lang)} · {TYPES[kind](lang)}"
        return [DocumentDraft(self.type, title, tuple(blocks), holder_id_number=str(person.get("id_number", "")))]
