"""The procedure catalogue: every module of this package but ``base`` is one procedure, found here by itself (its
class is the one that names a ``type``), with the kinds of office that may offer it (``office_kinds``); a catalogue
service names the procedure it carries out (``Service.procedure``). Its texts are in the catalogues under
``procedure.<type>.`` (README: "How to extend" → "Add a procedure")."""

from __future__ import annotations

import importlib
import pkgutil

from chalicelib.domain.procedures.base import Procedure


def _discover() -> dict[str, Procedure]:
    found: dict[str, Procedure] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__ == module.__name__
                and isinstance(getattr(value, "type", None), str)
            ):
                procedure: Procedure = value()
                found[procedure.type] = procedure
    return found


REGISTRY: dict[str, Procedure] = _discover()
