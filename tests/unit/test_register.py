"""One formal register per language in every text the backend sends or prints (emails, SMS, PDF documents, procedure
forms): "vós" in Catalan, "usted" in Spanish. The texts are found where they live — the catalogues
(``chalicelib/texts/<language>.json``), the data (service names, holidays), and in the source any ``Text(ca=…, es=…)``
or mapping keyed by language — so a new text written the familiar way fails here."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from chalicelib.texts import catalogue

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "chalicelib").rglob("*.py"))
# Texts kept as data: the procedures' configuration and the demo catalogue (service names and descriptions).
DATA = [*sorted((ROOT / "chalicelib" / "config").glob("*.json")), ROOT / "dev" / "demo" / "catalogue.json"]

A = "['\u2019]"  # the apostrophes texts use
INFORMAL = {
    "ca": [
        re.compile(
            r"\b(teu|teva|teus|teves|pots|vols|tens|has|ets|estàs|podràs|hauràs|tindràs|rebràs|vulguis|puguis)\b", re.I
        ),
        re.compile(rf"(^|[\s(«“]){'t'}{A}", re.I),
        re.compile(rf"[^\W\d_]{A}t(?![^\W\d_])", re.I),
        re.compile(r"(^|\s)et\s", re.I),
        re.compile(r"[^\W\d_]-te\b", re.I),
        re.compile(
            r"(^|[.:;!?]\s+|«)(Escriu|Tria|Revisa|Comprova|Introdueix|Torna-ho|Torna|Demana|Anul·la|Vés|Fes|Prova|"
            r"Mostra|Desa|Envia|Afegeix|Descarrega|Confirma|Canvia|Marca|Omple|Recorda|Gestiona)\b"
        ),
    ],
    "es": [
        re.compile(
            r"\b(tu|tus|tú|te|ti|contigo|tuyo|tuya|tuyos|tuyas|puedes|podrás|tienes|tendrás|quieres|eres|estás|has|"
            r"debes|recibirás)\b",
            re.I,
        ),
        re.compile(r"\b(identifícate|ponte|conéctate|asegúrate|recuérdala|gestiónala|anúlala|consúltala)\b", re.I),
        re.compile(
            r"(^|[.:;!?¿]\s+|«)(Escribe|Elige|Revisa|Comprueba|Introduce|Vuelve|Pide|Espera|Anula|Prueba|Usa|Recuerda|"
            r"Gestiona|Entra|Descarga|Confirma)\b"
        ),
    ],
}


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def texts_by_language() -> dict[str, list[tuple[str, str]]]:
    """(where, text) of every Catalan and Spanish text in chalicelib."""
    found: dict[str, list[tuple[str, str]]] = {"ca": [], "es": []}
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Text":
                for lang, arg in zip(("ca", "es"), node.args, strict=False):
                    found[lang] += [(where, s) for s in _strings(arg)]
                for keyword in node.keywords:
                    if keyword.arg in found:
                        found[keyword.arg] += [(where, s) for s in _strings(keyword.value)]
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value in found:
                        found[key.value] += [(where, s) for s in _strings(value)]
    for path in DATA:
        _json_texts(json.loads(path.read_text(encoding="utf-8")), str(path.relative_to(ROOT)), found)
    for lang, texts in found.items():
        texts += [(f"chalicelib/texts/{lang}.json: {key}", text) for key, text in catalogue(lang).items()]
    return found


def _json_texts(value: object, where: str, found: dict[str, list[tuple[str, str]]]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in found and isinstance(item, str):
                found[key].append((where, item))
            else:
                _json_texts(item, where, found)
    elif isinstance(value, list):
        for item in value:
            _json_texts(item, where, found)


TEXTS = texts_by_language()


def offences(lang: str, texts: list[tuple[str, str]]) -> list[str]:
    return [f"{where}: {text}" for where, text in texts if any(p.search(text) for p in INFORMAL[lang])]


def test_the_backend_has_texts_in_both_languages_to_check() -> None:
    # The collector must keep finding them (messages, procedures, PDF labels): a refactor that hid them would pass.
    assert len(TEXTS["ca"]) > 100
    assert len(TEXTS["es"]) > 100
    assert any("El vostre codi és" in text for _, text in TEXTS["ca"])


@pytest.mark.parametrize("lang", ["ca", "es"])
def test_every_backend_text_uses_the_formal_register(lang: str) -> None:
    assert offences(lang, TEXTS[lang]) == []


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ca", "El teu codi és 123456."),
        ("ca", "Pots consultar-la aquí."),
        ("ca", "Recorda la teva cita."),
        ("ca", "T'enviarem un recordatori."),
        ("es", "Tu código es 123456."),
        ("es", "Puedes consultarla aquí."),
        ("es", "Recuerda tu cita."),
        ("es", "Si no puedes asistir, anúlala aquí."),
    ],
)
def test_the_familiar_forms_are_caught(lang: str, text: str) -> None:
    assert offences(lang, [("example", text)]) != []
