"""The back office's catalogue: offices, services and the procedure modules, for administrators (``/admin/*``).

Everyone else is told these routes do not exist (404; anonymous 401, as on every staff route). Creates are safe to
retry with an ``Idempotency-Key``; a change sends the version it read (409 ``version_conflict`` if stale) and may be
previewed (``?preview=true``: nothing saved, the appointments it would affect).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Response

from chalicelib.api import commands, idempotency
from chalicelib.api.blueprint import NO_STORE, ApiBlueprint, json_response, principal
from chalicelib.api.request import context_of, json_object, preview_asked, query_params
from chalicelib.auth.principal import Principal
from chalicelib.bootstrap import get_container
from chalicelib.domain.audit import RequestContext
from chalicelib.services.catalogue_admin import Preview, Saved, office_record, service_record

admin = ApiBlueprint(__name__)


def _changed(result: Saved[Any] | Preview, name: str, record: Any) -> Response:
    if isinstance(result, Preview):
        return json_response({"affected": result.affected}, headers=NO_STORE)
    answer: dict[str, Any] = {name: record(result.record), "affected": result.affected}
    if result.job is not None:
        answer["job"] = result.job
    return json_response(answer, headers=NO_STORE)


@admin.route("/admin/offices", methods=["GET"], auth="staff")
def list_offices() -> Response:
    query_params(admin.current_request)
    found = get_container().catalogue_admin.offices(principal())
    return json_response({"items": [office_record(o) for o in found]}, headers=NO_STORE)


def _created(scope: str, create: Callable[[Principal, dict[str, Any], RequestContext], dict[str, Any]]) -> Response:
    """A new record, made once per idempotency key (a retry answers the first result)."""
    request, caller = admin.current_request, principal()
    result = idempotency.once(
        request, caller, scope, json_object(request), lambda body: create(caller, body, context_of(request))
    )
    return json_response(result, status=201, headers=NO_STORE)


@admin.route("/admin/offices", methods=["POST"], auth="staff")
def create_office() -> Response:
    def create(caller: Principal, body: dict[str, Any], context: RequestContext) -> dict[str, Any]:
        made = get_container().catalogue_admin.create_office(caller, commands.office_change(body), context)
        return office_record(made)

    return _created("admin.office.create", create)


@admin.route("/admin/offices/{office_id}", methods=["PUT"], auth="staff")
def update_office(office_id: str) -> Response:
    request = admin.current_request
    preview = preview_asked(admin.current_request)
    parsed = commands.office_change(json_object(request), office_id=office_id)
    result = get_container().catalogue_admin.update_office(principal(), office_id, parsed, context_of(request), preview)
    return _changed(result, "office", office_record)


@admin.route("/admin/services", methods=["GET"], auth="staff")
def list_services() -> Response:
    office = query_params(admin.current_request).get("office") or None
    found = get_container().catalogue_admin.services(principal(), office)
    return json_response({"items": [service_record(s) for s in found]}, headers=NO_STORE)


@admin.route("/admin/services", methods=["POST"], auth="staff")
def create_service() -> Response:
    def create(caller: Principal, body: dict[str, Any], context: RequestContext) -> dict[str, Any]:
        made = get_container().catalogue_admin.create_service(caller, commands.service_change(body), context)
        return service_record(made)

    return _created("admin.service.create", create)


@admin.route("/admin/services/{service_id}", methods=["PUT"], auth="staff")
def update_service(service_id: str) -> Response:
    request = admin.current_request
    preview = preview_asked(admin.current_request)
    parsed = commands.service_change(json_object(request), service_id=service_id)
    result = get_container().catalogue_admin.update_service(
        principal(), service_id, parsed, context_of(request), preview
    )
    return _changed(result, "service", service_record)


@admin.route("/admin/procedures", methods=["GET"], auth="staff")
def list_procedures() -> Response:
    query_params(admin.current_request)
    found = get_container().catalogue_admin.procedures(principal())
    items = [{"id": p.id, "office_kinds": list(p.office_kinds), "name": p.name.as_dict()} for p in found]
    return json_response({"items": items}, headers=NO_STORE)
