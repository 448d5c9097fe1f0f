"""The public catalogue: the council's offices and the services citizens can book."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.blueprint import ApiBlueprint, json_response
from chalicelib.api.request import query_params
from chalicelib.bootstrap import get_container
from chalicelib.domain.catalogue import Office, Service

services = ApiBlueprint(__name__)

# Browsers and CloudFront may reuse the catalogue briefly; it changes a few times a year.
CACHE = {"Cache-Control": "public, max-age=60"}


def service_json(service: Service) -> dict[str, Any]:
    """openapi ``Service``: what a citizen is told of it, and how many days ahead it may be booked or waited for."""
    return {"id": service.id, **service.described(), "horizon_days": service.horizon_days}


def office_json(office: Office) -> dict[str, Any]:
    """openapi ``Office``: what anyone may know of an office."""
    return office.described()


@services.route("/offices", methods=["GET"])
def list_offices() -> Response:
    return json_response([office_json(o) for o in get_container().catalogue.offices()], headers=CACHE)


@services.route("/services", methods=["GET"])
def list_services() -> Response:
    catalogue = get_container().catalogue
    office = catalogue.office_named(query_params(services.current_request).get("office"))
    items = catalogue.list_services(office)
    return json_response({"items": [service_json(s) for s in items], "next": None}, headers=CACHE)


@services.route("/services/{service_id}", methods=["GET"])
def get_service(service_id: str) -> Response:
    return json_response(service_json(get_container().catalogue.get_service(service_id)), headers=CACHE)


@services.route("/retention", methods=["GET"])
def get_retention() -> Response:
    """How long each service's call recording and documents are kept, from the rules the deletion sweep applies."""
    rules = get_container().retention
    items = []
    for service in get_container().catalogue.list_services(None):
        kept = rules.of_service(service.procedure)
        items.append(
            {"service_id": service.id, "recording": kept.recording.to_json(), "documents": kept.documents.to_json()}
        )
    body = {"recording_default": rules.recording_default.to_json(), "services": items}
    return json_response(body, headers=CACHE)
