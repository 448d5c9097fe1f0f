"""GET /offices: the council's offices, public, as the SPA reads them instead of a list in its code."""

from __future__ import annotations

import json

from chalice.test import Client

from dev.seed import DemoCounts
from tests.api.conftest import ROOT

DEMO = json.loads((ROOT / "dev/demo/catalogue.json").read_text())["offices"]


def test_every_demo_office_with_its_names_zone_address_and_hours(client: Client, demo: DemoCounts) -> None:
    response = client.http.get("/offices")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    offices = json.loads(response.body)
    assert len(offices) == demo.offices == len(DEMO)
    assert [o["id"] for o in offices] == sorted(o["id"] for o in DEMO)
    by_id = {o["id"]: o for o in offices}
    for seeded in DEMO:
        office = by_id[seeded["id"]]
        assert set(office) == {"id", "name", "timezone", "address", "kinds", "opening_hours", "overflow_after_minutes"}
        assert office["name"] == seeded["name"]
        assert all(office["name"][lang].strip() for lang in ("ca", "es", "en"))
        assert office["timezone"] == seeded["timezone"] == "Europe/Madrid"
        assert office["address"] == seeded["address"]
        # ISO weekdays: the seed's 0 (Monday) is "1"; a day without hours is an empty list, never missing.
        assert list(office["opening_hours"]) == ["1", "2", "3", "4", "5", "6", "7"]
        for day in range(7):
            assert office["opening_hours"][str(day + 1)] == seeded["opening_hours"].get(str(day + 1), [])


def test_hours_of_the_demo_offices_in_iso_weekdays(client: Client, demo: DemoCounts) -> None:
    by_id = {o["id"]: o for o in json.loads(client.http.get("/offices").body)}

    omac = by_id["OMAC"]["opening_hours"]
    assert omac["1"] == [["09:00", "14:00"]]
    assert omac["4"] == [["09:00", "14:00"], ["16:00", "19:00"]]  # Thursday afternoons
    assert omac["6"] == omac["7"] == []
    assert by_id["OGAT"]["opening_hours"]["5"] == [["08:30", "13:30"]]
    assert by_id["OGAT"]["name"]["en"] == "Tax Office"


def test_no_sign_in_needed(client: Client, demo: DemoCounts) -> None:
    response = client.http.get("/offices", headers={"Accept-Language": "es"})

    assert response.status_code == 200
    # Names come in every language at once: the page picks one, the answer does not depend on the caller's.
    assert json.loads(response.body)[0]["name"]["ca"]
