"""Texts of the messages we send, in the citizen's language (ca, es, en)."""

from __future__ import annotations

from chalicelib.domain.catalogue import LANGUAGES

_CODE_SUBJECT = {
    "ca": "El vostre codi de Videoatenció",
    "es": "Su código de Videoatención",
    "en": "Your Videoatención code",
}
_CODE_BODY = {
    "ca": "El vostre codi és {code}. Caduca d'aquí a {minutes} minuts. No el compartiu amb ningú: "
    "l'Ajuntament no us el demanarà mai per telèfon.",
    "es": "Su código es {code}. Caduca en {minutes} minutos. No lo comparta con nadie: "
    "el Ayuntamiento no se lo pedirá nunca por teléfono.",
    "en": "Your code is {code}. It expires in {minutes} minutes. Do not share it with anyone: "
    "the council will never ask you for it by phone.",
}
_STAFF_SUBJECT = {
    "ca": "Codi d'accés del personal",
    "es": "Código de acceso del personal",
    "en": "Staff sign-in code",
}


def language(value: object) -> str:
    return value if isinstance(value, str) and value in LANGUAGES else "ca"


def code_message(code: str, minutes: int, lang: str) -> tuple[str, str]:
    """(subject, body) of a one-time code message."""
    lang = language(lang)
    return _CODE_SUBJECT[lang], _CODE_BODY[lang].format(code=code, minutes=minutes)


def staff_code_message(code: str, minutes: int, lang: str = "ca") -> tuple[str, str]:
    lang = language(lang)
    return _STAFF_SUBJECT[lang], _CODE_BODY[lang].format(code=code, minutes=minutes)
