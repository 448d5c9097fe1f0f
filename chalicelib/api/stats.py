"""The supervisor's figures: ``/stats`` as JSON and ``/stats.csv`` as a spreadsheet (the same rows)."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from typing import Any

from chalice.app import Response

from chalicelib.api import commands
from chalicelib.api.blueprint import NO_STORE, ApiBlueprint, json_response, principal
from chalicelib.api.request import context_of, query_params
from chalicelib.bootstrap import get_container
from chalicelib.domain.files import content_disposition
from chalicelib.domain.stats import Figures, ServiceFigures

stats = ApiBlueprint(__name__)

COLUMNS = ("office", *ServiceFigures.__dataclass_fields__)


def _figures() -> Figures:
    request = stats.current_request
    service = get_container().stats
    query = commands.stats_query(
        query_params(request),
        today=service.today(),
        window=service.window(),
        zone=service.zone,
        offices=service.offices(),
    )
    return service.figures(principal(), query, context_of(request))


@stats.route("/stats", methods=["GET"], auth="staff")
def figures() -> Response:
    return json_response(figures_json(_figures()), headers=NO_STORE)


@stats.route("/stats.csv", methods=["GET"], auth="staff")
def figures_csv() -> Response:
    found = _figures()
    name = f"stats-{found.start.isoformat()}-{found.end.isoformat()}.csv"
    return Response(
        body=figures_to_csv(found),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": content_disposition(name),
            **NO_STORE,
        },
    )


def figures_json(found: Figures) -> dict[str, Any]:
    """openapi ``Stats``."""
    return {
        "from": found.start.isoformat(),
        "to": found.end.isoformat(),
        "offices": [
            {"office": office.office, "services": [asdict(s) for s in office.services]} for office in found.offices
        ],
    }


def figures_to_csv(found: Figures) -> str:
    """A header row, then a row per office and service; an empty cell where a figure has no data."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for office in found.offices:
        for service in office.services:
            row = asdict(service)
            writer.writerow([office.office, *("" if row[c] is None else row[c] for c in COLUMNS[1:])])
    return out.getvalue()
