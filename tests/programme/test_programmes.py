"""Shipped programmes against FACTS.md, status rules, and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from chiso.programme import Status, evaluate, load_programme, shipped
from chiso.programme.status import describe

THAI_NGUYEN_TARGETS = {  # FACTS.md §1: value, year
    "dti_rank_2025": (15, 2025), "dti_rank_2030": (10, 2030), "digital_tech_enterprises": (700, 2025),
    "level4_services": (1.0, 2025), "work_records_online_province": (0.9, 2025),
    "work_records_online_district": (0.8, 2025), "work_records_online_commune": (0.6, 2025),
    "mobile_4g5g_smartphones": (1.0, 2025), "dx_specialists": (200, 2025),
}  # fmt: skip
# FACTS.md §1's last row: said by a department director in an interview (seed 001), not set by the resolution.
THAI_NGUYEN_EXPECTATIONS = {"smartphone_every_citizen": (1.0, 2022), "fibre_every_household": (1.0, 2022)}
BINH_DUONG_TARGETS = {
    "level4_services": 1.0, "data_driven_services_growth": 0.3, "digital_economy_grdp": 0.3,
    "digital_economy_each_sector": 0.2, "ecommerce_retail": 0.2, "econtract_enterprises": 1.0,
    "sme_digital_platforms": 0.7, "payment_account_15plus": 0.95, "digital_signature_adults": 0.7,
    "online_services_adults": 0.7,
}  # fmt: skip


def test_every_facts_target_is_shipped_with_its_baseline():
    tn = load_programme("01/NQ-TU")
    assert tn.unit.code == "19" and tn.document.date.isoformat() == "2020-12-31"
    assert {t.code: (t.value, t.year) for t in tn.targets} == THAI_NGUYEN_TARGETS
    assert {t.code: (t.value, t.year) for t in tn.expectations} == THAI_NGUYEN_EXPECTATIONS
    assert all("seed 001" in t.source and "không phải chỉ tiêu" in t.source for t in tn.expectations)
    assert all("01/NQ-TU" in t.source for t in tn.targets), "every target cites the resolution"
    assert next(t for t in tn.targets if t.code == "digital_tech_enterprises").name == "Trên 700 doanh nghiệp số"
    ranks = [t for t in tn.targets if t.comparison == "top"]
    assert ranks and all(tn.unit_of(t).era == "2024" for t in ranks), "rank targets keep the 63 provinces"
    baselines = {t.code: t.baseline.value for t in tn.targets if t.baseline}
    assert baselines["level4_services"] == 0.3487 and baselines["dti_rank_2025"] == 12
    bd = load_programme("05-NQ/TU")
    assert bd.unit.era == "2024" and bd.unit.code == "74"
    assert {t.code: t.value for t in bd.targets} == BINH_DUONG_TARGETS
    assert all(t.year == 2030 for t in bd.targets)
    national = {t.code: (t.value, t.year) for t in load_programme("749/QĐ-TTg").targets}
    assert national["level4_services_2025"] == (0.8, 2025) and national["egdi_rank_2030"] == (50, 2030)
    assert {p.code for p in shipped()} >= {"thai-nguyen-01-nq-tu", "binh-duong-05-nq-tu", "national-749-qd-ttg"}


def test_untracked_targets_say_so():
    results = evaluate(load_programme("01/NQ-TU"), pd.DataFrame(columns=["unit", "variable", "period", "value"]))
    by_code = {r.target.code: r for r in results}
    assert by_code["dx_specialists"].status is Status.NO_DATA
    assert by_code["dx_specialists"].reason.code == "no_source"
    assert describe(by_code["dx_specialists"].reason, "en") == "No data source yet"
    assert describe(by_code["dx_specialists"].reason, "vi") == "Chưa có nguồn dữ liệu"


def rows(unit, variable, series):
    return [{"unit": unit, "variable": variable, "period": str(y), "value": v} for y, v in series.items()]


def status_of(code, data, today=None):
    results = evaluate(load_programme("01/NQ-TU"), pd.DataFrame(data), today=today)
    return next(r for r in results if r.target.code == code)


def test_value_statuses():
    commune = "work_records_online_share_commune"  # > 60 % by 2025
    on = status_of("work_records_online_commune", rows("19", commune, {2021: 0.30, 2022: 0.40, 2023: 0.50}))
    assert on.status is Status.ON_TRACK and on.forecast.value == pytest.approx(0.70)
    assert on.reason.code == "forecast_meets"
    # Met in an interim year: on track, never "achieved" before the target year's figure is in.
    early = status_of("work_records_online_commune", rows("19", commune, {2022: 0.5, 2023: 0.65}))
    assert early.status is Status.ON_TRACK and early.reason.code == "meets_early"
    achieved = status_of("work_records_online_commune", rows("19", commune, {2023: 0.5, 2025: 0.65}))
    assert achieved.status is Status.ACHIEVED and achieved.reason.code == "achieved"
    off = status_of("work_records_online_commune", rows("19", commune, {2021: 0.10, 2022: 0.11, 2023: 0.12}))
    assert off.status is Status.AT_RISK and off.reason.code == "forecast_misses"
    risk = status_of(
        "work_records_online_commune", rows("19", commune, {2020: 0.30, 2021: 0.40, 2022: 0.36, 2023: 0.44})
    )
    assert risk.status is Status.AT_RISK and risk.forecast.value < 0.6 < risk.forecast.high
    assert risk.reason.code == "forecast_may_miss"
    short = status_of("work_records_online_commune", rows("19", commune, {2023: 0.5}))
    assert short.status is Status.NO_DATA and short.reason.code == "too_few"
    missed = status_of("work_records_online_commune", rows("19", commune, {2024: 0.5, 2025: 0.55}))
    assert missed.status is Status.LATE and missed.reason.code == "late_observed"
    progress = status_of("level4_services", rows("19", "level4_services_share", {2023: 0.67435}))
    assert progress.progress == pytest.approx(0.5)


def test_the_calendar_decides_a_target_year_without_its_figure():
    """2025 is over and its figure is not in: late if the last value misses, on track if it already meets."""
    commune = "work_records_online_share_commune"
    after = dt.date(2026, 6, 1)
    late = status_of("work_records_online_commune", rows("19", commune, {2023: 0.5, 2024: 0.55}), after)
    assert late.status is Status.LATE and late.reason.code == "late_calendar"
    waiting = status_of("work_records_online_commune", rows("19", commune, {2023: 0.5, 2024: 0.65}), after)
    assert waiting.status is Status.ON_TRACK and waiting.reason.code == "meets_early"
    before = status_of("work_records_online_commune", rows("19", commune, {2023: 0.5, 2024: 0.55}), dt.date(2025, 3, 1))
    assert before.status is not Status.LATE


def test_a_roadmap_judges_a_year_by_its_milestone():
    """Level-4 services: 100 % by 2025, with the 2021 milestone of "over 80 %" (seed 004)."""
    level4 = load_programme("01/NQ-TU").targets[3]
    assert level4.code == "level4_services" and level4.milestones == {2021: 0.8}
    behind = status_of("level4_services", rows("19", "level4_services_share", {2021: 0.7}), dt.date(2021, 12, 31))
    assert behind.status is Status.AT_RISK and behind.reason.code == "milestone_missed"
    assert behind.milestone == (2021, 0.8)
    ahead = status_of("level4_services", rows("19", "level4_services_share", {2021: 0.85}), dt.date(2021, 12, 31))
    assert ahead.status is Status.ON_TRACK and ahead.reason.code == "milestone_met"
    text = describe(behind.reason, "vi", lambda x: f"{x * 100:g} %")
    assert text == "Chưa đạt mốc lộ trình năm 2021 (80 %): 70 % năm 2021"


def test_rank_status_from_every_province_index():
    data = rows("19", "dti", {2020: 0.40, 2021: 0.45, 2022: 0.50})
    for i in range(30):  # thirty provinces level with each other, ahead of 19 today but flat
        data += rows(f"p{i:02d}", "dti", {2020: 0.48, 2021: 0.48, 2022: 0.48})
    result = status_of("dti_rank_2025", data)
    assert result.latest == 1  # 0.50 beats everyone in 2022
    assert result.status is Status.ON_TRACK  # already "top 15" in 2022; judged on 2025
    # 12th in 2020 already met "top 15": no way to go, so no progress share (not a negative one)
    assert result.progress is None
    assert status_of("dti_rank_2030", data).progress == pytest.approx((12 - 1) / (12 - 10))
    data = rows("19", "dti", {2020: 0.40, 2021: 0.41, 2022: 0.42})
    for i in range(30):
        data += rows(f"p{i:02d}", "dti", {2020: 0.40 + i / 100, 2021: 0.41 + i / 100, 2022: 0.42 + i / 100})
    result = status_of("dti_rank_2025", data)
    assert result.latest == 30 and result.status is Status.AT_RISK and result.reason.code == "rank_forecast_misses"


def test_a_published_rank_is_taken_before_a_recomputed_one():
    """Thái Nguyên was published 8th in 2022; the simulated indices would rank it otherwise."""
    data = [{**r, "rank_published": 8.0 if r["unit"] == "19" else float("nan")} for r in rows("19", "dti", {2022: 0.4})]
    for i in range(30):
        data += [{**r, "rank_published": float("nan")} for r in rows(f"p{i:02d}", "dti", {2022: 0.41 + i / 100})]
    result = status_of("dti_rank_2025", data)
    assert result.latest == 8 and result.status is Status.ON_TRACK


def test_cli_status_and_show(cli, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("CHISO_CLOCK", "2024-06-01")  # the figures below are judged as they stood mid-2024
    values = tmp_path / "values.csv"
    pd.DataFrame(
        rows("19", "work_records_online_share_commune", {2021: 0.3, 2022: 0.4, 2023: 0.5})
        + rows("19", "level4_services_share", {2021: 1.0})
    ).to_csv(values, index=False)
    result = cli("programme", "status", "01/NQ-TU", "--values", values)
    assert result.exit_code == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("work_records_online_commune"))
    assert "Đúng tiến độ" in line and "70 %" in line
    # 100 % in 2021 against "100 % by 2025": on track until the 2025 figure (issue 13), never "Đã đạt" before
    level4 = next(x for x in result.stdout.splitlines() if x.startswith("level4_services"))
    assert "Đúng tiến độ" in level4 and "Đã đạt" not in level4
    as_json = json.loads(cli("programme", "status", "01/NQ-TU", "-v", values, "--format", "json").stdout)
    assert {r["target"]: r["status"] for r in as_json}["dx_specialists"] == "no_data"
    shown = cli("programme", "show", "thai-nguyen-01-nq-tu")
    assert "34,87 % (2020)" in shown.stdout and "chưa có nguồn dữ liệu" in shown.stdout
    assert cli("programme", "list").stdout.count("NQ") >= 2
    bad = cli("programme", "status", "99/NQ-XX", "-v", values)
    assert bad.exit_code == 2 and "no programme '99/NQ-XX'" in bad.stderr
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,period,x\n19,2021,1\n", encoding="utf-8")
    bad = cli("programme", "status", "01/NQ-TU", "-v", wide)
    assert bad.exit_code == 2 and "long table" in bad.stderr
