"""Country names in the reader's language, from the ISO 3166 codes the registers keep (``MA``, ``RO``).

The names and their translations come from pycountry (ISO 3166-1 and the iso-codes project's translations), so a
certificate printed in Catalan says "Marroc" and one in Spanish "Marruecos" rather than the bare code.
"""

from __future__ import annotations

import gettext
from functools import cache

from chalicelib.texts import language


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    import pycountry

    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)


def country_name(code: str, lang: str) -> str:
    """The country's common name in ``lang`` (en when the language has no translation); the code itself when it is
    not an ISO 3166 country."""
    import pycountry  # loaded by the first document that names a country, not by every cold start

    country = pycountry.countries.get(alpha_2=code.strip().upper()) if len(code.strip()) == 2 else None
    if country is None:
        return code
    name = getattr(country, "common_name", None) or country.name
    return _translations(language(lang)).gettext(name)
