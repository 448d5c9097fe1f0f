"""The cost model's arithmetic (bench/cost.py): line items by hand, FX and VAT, SMS segments, scaling. No network."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bench import cost
from bench.cost import Prices, Volume, bill, eur_with_vat, media_nodes, segments_of, sms_text
from chalicelib.domain import sms
from chalicelib.domain.retention import RetentionRules
from infra.stages import PROD

RULES = RetentionRules.load()


def round_prices(**changes: dict[str, float]) -> Prices:
    """The real file's shape with round figures, so a line item can be worked out by hand."""
    raw: dict[str, Any] = {
        name: (dict(section) if isinstance(section, dict) else section) for name, section in Prices.load().raw.items()
    }
    for section in raw.values():
        for key, value in section.items():
            if isinstance(value, float | int) and not isinstance(value, bool) and key != "tender_months":
                section[key] = 1.0
    raw["meta"].update({"eur_per_usd": 0.5, "vat": 0.2, "tender_total_eur": 24_000, "tender_months": 24})
    for name, values in changes.items():
        raw[name].update(values)
    return Prices(raw)


def item(items: list[cost.LineItem], service: str) -> float:
    (found,) = [i.usd for i in items if i.service == service]
    return found


def test_the_price_file_is_dated_and_every_price_names_its_page() -> None:
    prices = Prices.load()

    assert prices.raw["meta"]["region"] == "eu-south-2"
    assert prices.raw["meta"]["written"]
    for name, section in prices.raw.items():
        if name != "meta":
            assert section["source"].startswith("aws.amazon.com/"), name
            assert isinstance(section["sure"], bool), name
            assert section["sure"] or section["note"], f"{name}: an unsure price says why"
    assert prices.monthly_budget_eur() == pytest.approx(70_180 / 24)


def test_usd_are_converted_at_the_configured_rate_and_vat_is_added() -> None:
    prices = round_prices()

    assert eur_with_vat(100.0, prices) == pytest.approx(100 * 0.5 * 1.2)
    assert eur_with_vat(100.0, Prices.load()) == pytest.approx(100 * 0.92 * 1.21)


def test_api_gateway_and_waf_by_hand() -> None:
    prices = round_prices(api_gateway={"per_million_requests": 3.5}, waf={"per_million_requests": 0.6})
    volume = Volume(2_000, api_requests_per_recorded=250)

    items = bill(PROD, volume, prices, RULES)

    requests = 2_000 * 250
    assert item(items, "API Gateway") == pytest.approx(requests / 1e6 * 3.5)
    # A web ACL (1.0), 9 rules (1.0 each) and the requests.
    assert item(items, "WAF") == pytest.approx(1.0 + 9 * 1.0 + requests / 1e6 * 0.6)


def test_media_nodes_by_hand() -> None:
    # 10,000 calls of 12 min over 21 days x 8 h: 11.9 at once on average, 23.8 at the peak; 3 per node -> 8 nodes.
    three = dataclasses.replace(PROD, media_target_rooms_per_node=3, media_max_rooms_per_node=4, media_max_nodes=10)
    nodes, hours = media_nodes(three, Volume(10_000))
    assert nodes == 8
    assert hours == pytest.approx(three.media_min_nodes * (730 - 168) + 8 * 168)
    # Prod's nodes on the RTP path aim at 12 calls each: the same peak fits in 2.
    assert media_nodes(PROD, Volume(10_000))[0] == max(PROD.media_min_nodes, 2)
    # Few calls: the minimum all month.
    assert media_nodes(PROD, Volume(500)) == (PROD.media_min_nodes, PROD.media_min_nodes * 730)
    # The cut: fewer nodes while the offices are closed.
    assert media_nodes(PROD, Volume(500, media_nodes_closed=1))[1] == pytest.approx(1 * (730 - 168) + 2 * 168)

    prices = round_prices(fargate={"per_vcpu_hour": 0.04, "per_gb_hour": 0.005})
    sized = dataclasses.replace(PROD, media_cpu_units=2048, media_memory_mb=4096, media_min_nodes=2)
    items = bill(sized, Volume(500), prices, RULES)
    # 2 nodes x 730 h x (2 vCPU x 0.04 + 4 GB x 0.005).
    assert item(items, "Fargate media nodes") == pytest.approx(2 * 730 * (2 * 0.04 + 4 * 0.005))


def test_sms_segments_are_those_of_the_real_texts() -> None:
    code_ca = sms_text("code", "ca", "Certificat d'empadronament")
    assert sms.encoding(code_ca) == "GSM-7"  # the code's own short text
    assert sms.segments(code_ca) == 1
    booked = sms_text("booked", "es", "Carta de pago")
    assert sms.encoding(booked) == "GSM-7"
    assert sms.segments(booked) == 1
    assert cost.SMS_LINK in booked

    assert segments_of("code", {"ca": 1.0}).mean == pytest.approx(1.0)
    assert segments_of("code", {"ca": 1.0}).ucs2_share == pytest.approx(0.0)
    assert segments_of("reminder 1h", {"en": 1.0}).mean == pytest.approx(1.0)


def test_the_sms_line_is_segments_times_the_price() -> None:
    prices = round_prices(sns_sms={"per_segment": 0.08})
    volume = Volume(2_000)

    items = bill(PROD, volume, prices, RULES)

    booked = 2_000 * volume.booked_per_recorded
    segments = booked * sum(c.sms_per_booked * c.segments.mean for c in cost.message_counts(volume))
    assert item(items, "SNS SMS (Spain)") == pytest.approx(segments * 0.08)
    # SMS only to those without an email cost less.
    fewer = dataclasses.replace(volume, sms_when_email_too=False)
    assert item(bill(PROD, fewer, prices, RULES), "SNS SMS (Spain)") < segments * 0.08


def test_volume_lines_scale_with_the_volume_and_fixed_ones_do_not() -> None:
    prices = Prices.load()
    small, large = bill(PROD, Volume(500), prices, RULES), bill(PROD, Volume(2_000), prices, RULES)

    for service in ("API Gateway", "SNS SMS (Spain)", "SES", "Data transfer (calls)"):
        assert item(large, service) == pytest.approx(4 * item(small, service)), service
    for service in ("Secrets Manager", "Fargate media nodes"):
        assert item(large, service) == pytest.approx(item(small, service)), service
    assert cost.total_usd(large) > cost.total_usd(small)


def test_recordings_pile_up_as_their_retention_says() -> None:
    # 1,000 calls of 12 min at 9 MB a minute: 105.5 GB a month.
    month_gb = 1_000 * 12 * 9 / 1024
    # Kept 30 days (no procedure): about one month's worth, in month 1 as in month 24.
    quality: dict[str | None, float] = {None: 1.0}
    for month in (1, 24):
        store = cost.storage(Volume(1_000, procedures=quality, month=month), RULES)
        assert store.new_recordings_gb == pytest.approx(month_gb)
        assert store.recordings_gb == pytest.approx(month_gb * 30 / 30.4)
    # Kept 4 years and a month (payment letter): 24 months' worth by month 24, 12 by month 12.
    tax: dict[str | None, float] = {"payment_letter": 1.0}
    assert cost.storage(Volume(1_000, procedures=tax, month=24), RULES).recordings_gb == pytest.approx(24 * month_gb)
    assert cost.storage(Volume(1_000, procedures=tax, month=12), RULES).recordings_gb == pytest.approx(12 * month_gb)
    # The cut: all but the first month in Glacier IR.
    cold = cost.storage(Volume(1_000, procedures=tax, month=24, cold_recordings=True), RULES)
    assert cold.cold_recordings_gb == pytest.approx(23 * month_gb)

    prices = round_prices(s3={"standard_gb_month": 0.024, "glacier_ir_gb_month": 0.005})
    store = cost.storage(Volume(1_000, procedures=tax), RULES)
    stored = store.recordings_gb + store.documents_gb + store.audit_gb
    s3 = item(bill(PROD, Volume(1_000, procedures=tax), prices, RULES), "S3")
    puts = 1_000 * 12 * 6 + 1_000 * 1.2 * 5 + cost.TRAIL_FILES_PER_MONTH
    gets = 1_000 * 2 + 1_000 * 1.2 * 2
    assert s3 == pytest.approx(stored * 0.024 + puts / 1000 + gets / 1000)


def test_the_report_prints_the_goal_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    assert cost.main([]) == 0

    out = capsys.readouterr().out
    assert "2,924 EUR a month" in out
    assert ("-> PASS" in out) != ("-> MISS" in out)
    for n in ("500", "2,000", "10,000"):
        assert n in out


def test_the_figures_copied_from_the_stack_match_it() -> None:
    """The TURN task and the schedules are copied (their modules need the CDK or Chalice): they must not drift."""
    root = cost.ROOT
    turn = (root / "infra" / "stacks" / "media" / "turn.py").read_text(encoding="utf-8")
    assert f"TURN_TASKS = {cost.TURN_TASKS}\n" in turn
    assert f"TURN_CPU_UNITS = {int(cost.TURN_VCPU * 1024)}\n" in turn
    assert f"TURN_MEMORY_MB = {int(cost.TURN_MEMORY_GB * 1024)}\n" in turn
    app = (root / "app.py").read_text(encoding="utf-8")
    for schedule in (
        'Rate(5, unit=Rate.MINUTES), name="reminders"',
        'Rate(1, unit=Rate.MINUTES), name="trail"',
        'Rate(1, unit=Rate.DAYS), name="retention"',
    ):
        assert schedule in app
