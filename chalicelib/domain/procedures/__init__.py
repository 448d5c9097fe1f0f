"""The procedure catalogue: adding a procedure is one module here plus one line in ``REGISTRY`` and the service it
belongs to in ``FOR_SERVICE`` (its texts live in the module, in ca/es/en)."""

from __future__ import annotations

from chalicelib.domain.procedures.base import Procedure
from chalicelib.domain.procedures.direct_debit import DirectDebit
from chalicelib.domain.procedures.instalment_plan import InstalmentPlan
from chalicelib.domain.procedures.payment_letter import PaymentLetter
from chalicelib.domain.procedures.residence_certificate import ResidenceCertificate

REGISTRY: dict[str, Procedure] = {
    p.type: p
    for p in (
        ResidenceCertificate(),
        PaymentLetter(),
        DirectDebit(),
        InstalmentPlan(),
    )
}

# Which procedure an appointment for a catalogue service carries out.
FOR_SERVICE: dict[str, str] = {
    "residence-certificate": "residence_certificate",
    "payment-letter": "payment_letter",
    "direct-debit": "direct_debit",
    "instalment-plan": "instalment_plan",
}


def for_service(service_id: str) -> Procedure | None:
    kind = FOR_SERVICE.get(service_id)
    return REGISTRY.get(kind) if kind else None
