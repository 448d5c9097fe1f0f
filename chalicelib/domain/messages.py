"""Texts of the messages we send, in the citizen's language (ca, es, en)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain import sms
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


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages an ``Accept-Language`` header asks for, by weight ("es-ES,es;q=0.9" → es)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and weight > 0:
            ranked.append((-weight, position, primary))
    return min(ranked)[2] if ranked else None


def code_message(code: str, minutes: int, lang: str) -> tuple[str, str]:
    """(subject, body) of a one-time code message."""
    lang = language(lang)
    return _CODE_SUBJECT[lang], _CODE_BODY[lang].format(code=code, minutes=minutes)


def staff_code_message(code: str, minutes: int, lang: str = "ca") -> tuple[str, str]:
    lang = language(lang)
    return _STAFF_SUBJECT[lang], _CODE_BODY[lang].format(code=code, minutes=minutes)


_WEEKDAYS = {
    "ca": ["dilluns", "dimarts", "dimecres", "dijous", "divendres", "dissabte", "diumenge"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
_MONTHS = {
    "ca": [
        "gener",
        "febrer",
        "març",
        "abril",
        "maig",
        "juny",
        "juliol",
        "agost",
        "setembre",
        "octubre",
        "novembre",
        "desembre",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


def when(local: datetime, lang: str) -> str:
    """A date and time as people say it, in the council's time (the caller passes a Europe/Madrid datetime)."""
    lang = language(lang)
    weekday, month = _WEEKDAYS[lang][local.weekday()], _MONTHS[lang][local.month - 1]
    hhmm = local.strftime("%H:%M")
    if lang == "ca":
        article = "d'" if month[0] in "aeiou" else "de "
        return f"{weekday} {local.day} {article}{month} de {local.year}, a les {hhmm} (hora peninsular)"
    if lang == "es":
        return f"{weekday} {local.day} de {month} de {local.year}, a las {hhmm} (hora peninsular)"
    return f"{weekday} {local.day} {month} {local.year}, at {hhmm} (Spanish mainland time)"


_BOOKED = {
    "ca": (
        "Cita confirmada: {service}",
        "Teniu una cita per videotrucada per a «{service}» el {when}.\n"
        "Podeu consultar-la, canviar-la o anul·lar-la aquí: {link}",
    ),
    "es": (
        "Cita confirmada: {service}",
        "Tiene una cita por videollamada para «{service}» el {when}.\n"
        "Puede consultarla, cambiarla o anularla aquí: {link}",
    ),
    "en": (
        "Appointment confirmed: {service}",
        "You have a video appointment for “{service}” on {when}.\nSee, change or cancel it here: {link}",
    ),
}
_CHANGED = {
    "ca": ("Cita canviada: {service}", "La vostra cita per a «{service}» ara és el {when}.\nGestioneu-la aquí: {link}"),
    "es": ("Cita cambiada: {service}", "Su cita para «{service}» ahora es el {when}.\nGestiónela aquí: {link}"),
    "en": ("Appointment changed: {service}", "Your appointment for “{service}” is now on {when}.\nManage it: {link}"),
}
_CANCELLED = {
    "ca": ("Cita anul·lada: {service}", "S'ha anul·lat la vostra cita per a «{service}» del {when}."),
    "es": ("Cita anulada: {service}", "Se ha anulado su cita para «{service}» del {when}."),
    "en": ("Appointment cancelled: {service}", "Your appointment for “{service}” on {when} has been cancelled."),
}
_REMINDER = {
    "ca": (
        "Recordatori: {service}",
        "Recordeu la vostra cita per videotrucada per a «{service}» el {when}.\n"
        "Si no hi podeu assistir, anul·leu-la aquí: {link}",
    ),
    "es": (
        "Recordatorio: {service}",
        "Recuerde su cita por videollamada para «{service}» el {when}.\nSi no puede asistir, anúlela aquí: {link}",
    ),
    "en": (
        "Reminder: {service}",
        "A reminder of your video appointment for “{service}” on {when}.\n"
        "If you cannot make it, cancel it here: {link}",
    ),
}
APPOINTMENT_TEMPLATES = {"booked": _BOOKED, "changed": _CHANGED, "cancelled": _CANCELLED, "reminder": _REMINDER}


def appointment_message(kind: str, lang: str, service: str, local: datetime, link: str) -> tuple[str, str]:
    lang = language(lang)
    subject, body = APPOINTMENT_TEMPLATES[kind][lang]
    values = {"service": service, "when": when(local, lang), "link": link}
    return subject.format(**values), body.format(**values)


# --- SMS ---------------------------------------------------------------------------------------------------------
# Short on purpose: every SMS must fit in two segments (chalicelib/domain/sms.py), and a Catalan or Spanish text is
# usually UCS-2 (ó, í, ·), so 134 characters. The fixed words use only the GSM alphabet, and no guillemets or curly
# quotes; a service name that would not fit is written in the GSM alphabet, then shortened (never the date, code or
# link). The link is the list of the person's appointments: one appointment's is too long for an SMS.
_SMS = {
    "booked": {
        "ca": "Cita confirmada: {service}, {when}. Detalls: {link}",
        "es": "Cita confirmada: {service}, {when}. Detalles: {link}",
        "en": "Appointment confirmed: {service}, {when}. Details: {link}",
    },
    "changed": {
        "ca": "Cita canviada: {service}, ara el {when}. Detalls: {link}",
        "es": "Cita cambiada: {service}, ahora el {when}. Detalles: {link}",
        "en": "Appointment changed: {service}, now {when}. Details: {link}",
    },
    "cancelled": {
        "ca": "Cita anul·lada: {service}, {when}.",
        "es": "Cita anulada: {service}, {when}.",
        "en": "Appointment cancelled: {service}, {when}.",
    },
    "reminder": {
        "ca": "Recordatori: cita per videotrucada el {when}, {service}. Detalls: {link}",
        "es": "Recordatorio: cita por videollamada el {when}, {service}. Detalles: {link}",
        "en": "Reminder: video appointment on {when}, {service}. Details: {link}",
    },
}
SMS_TEMPLATES = _SMS
_CONSENT = {
    "ca": "Codi {code} per confirmar: {title}. Caduca en {minutes} minuts. Si no ho heu demanat, no el faciliteu.",
    "es": "Código {code} para confirmar: {title}. Caduca en {minutes} minutos. Si no lo ha pedido, no lo facilite.",
    "en": "Code {code} to confirm: {title}. It expires in {minutes} minutes. Not asked for it? Do not share it.",
}
CONSENT_TEMPLATES = _CONSENT
_PLAIN_QUOTES = str.maketrans(
    {
        "\u00ab": '"',
        "\u00bb": '"',
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u2026": "...",
    }
)


def plain(text: str) -> str:
    """Straight quotes and three dots for the typographic ones, which are outside the GSM alphabet."""
    return text.translate(_PLAIN_QUOTES)


def short_when(local: datetime, lang: str) -> str:
    lang = language(lang)
    day = local.strftime("%d/%m/%Y")
    hhmm = local.strftime("%H:%M")
    return {"ca": f"{day} a les {hhmm}", "es": f"{day} a las {hhmm}", "en": f"{day} at {hhmm}"}[lang]


def appointment_sms(kind: str, lang: str, service: str, local: datetime, link: str) -> str:
    """The SMS for an appointment (booked, changed, cancelled, reminder): at most two segments."""
    lang = language(lang)
    template = _SMS[kind][lang]
    when_text = short_when(local, lang)
    return sms.fit(lambda name: plain(template.format(service=name, when=when_text, link=link)), plain(service))


def consent_message(code: str, title: str, minutes: int, lang: str) -> str:
    """The code a citizen confirms a procedure with (by SMS or email): at most two SMS segments."""
    template = _CONSENT[language(lang)]
    return sms.fit(lambda name: plain(template.format(code=code, title=name, minutes=minutes)), plain(title))
