"""Shipped programmes against FACTS.md, status rules, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from chiso.programme import Status, evaluate, load_programme, shipped

THAI_NGUYEN_TARGETS = {  # FACTS.md §1: value, year
    "dti_rank_2025": (15, 2025), "dti_rank_2030": (10, 2030), "digital_tech_enterprises": (700, 2025),
    "level4_services": (1.0, 2025), "work_records_online_province": (0.9, 2025),
    "work_records_online_district": (0.8, 2025), "work_records_online_commune": (0.6, 2025),
    "mobile_4g5g_smartphones": (1.0, 2025), "dx_specialists": (200, 2025),
    "smartphone_every_citizen": (1.0, 2022), "fibre_every_household": (1.0, 2022),
}  # fmt: skip
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
    assert "no data source yet" in by_code["dx_specialists"].reason


def rows(unit, variable, series):
    return [{"unit": unit, "variable": variable, "period": str(y), "value": v} for y, v in series.items()]


def status_of(code, data):
    results = evaluate(load_programme("01/NQ-TU"), pd.DataFrame(data))
    return next(r for r in results if r.target.code == code)


def test_value_statuses():
    on = status_of(
        "work_records_online_commune",
        rows("19", "work_records_online_share_commune", {2021: 0.30, 2022: 0.40, 2023: 0.50}),
    )
    assert on.status is Status.ON_TRACK and on.forecast.value == pytest.approx(0.70)
    achieved = status_of(
        "work_records_online_commune", rows("19", "work_records_online_share_commune", {2022: 0.5, 2023: 0.65})
    )
    assert achieved.status is Status.ACHIEVED
    off = status_of(
        "work_records_online_commune",
        rows("19", "work_records_online_share_commune", {2021: 0.10, 2022: 0.11, 2023: 0.12}),
    )
    assert off.status is Status.OFF_TRACK
    risk = status_of(
        "work_records_online_commune",
        rows("19", "work_records_online_share_commune", {2020: 0.30, 2021: 0.40, 2022: 0.36, 2023: 0.44}),
    )
    assert risk.status is Status.AT_RISK and risk.forecast.value < 0.6 < risk.forecast.high
    short = status_of("work_records_online_commune", rows("19", "work_records_online_share_commune", {2023: 0.5}))
    assert short.status is Status.NO_DATA and "too few" in short.reason
    missed = status_of("fibre_every_household", rows("19", "households_fibre_share", {2021: 0.8, 2023: 0.9}))
    assert missed.status is Status.OFF_TRACK and "reached, not met" in missed.reason
    progress = status_of("level4_services", rows("19", "level4_services_share", {2023: 0.67435}))
    assert progress.progress == pytest.approx(0.5)


def test_rank_status_from_every_province_index():
    data = rows("19", "dti", {2020: 0.40, 2021: 0.45, 2022: 0.50})
    for i in range(30):  # thirty provinces level with each other, ahead of 19 today but flat
        data += rows(f"p{i:02d}", "dti", {2020: 0.48, 2021: 0.48, 2022: 0.48})
    result = status_of("dti_rank_2025", data)
    assert result.latest == 1  # 0.50 beats everyone in 2022
    assert result.status is Status.ACHIEVED
    # 12th in 2020 already met "top 15": no way to go, so no progress share (not a negative one)
    assert result.progress is None
    assert status_of("dti_rank_2030", data).progress == pytest.approx((12 - 1) / (12 - 10))
    data = rows("19", "dti", {2020: 0.40, 2021: 0.41, 2022: 0.42})
    for i in range(30):
        data += rows(f"p{i:02d}", "dti", {2020: 0.40 + i / 100, 2021: 0.41 + i / 100, 2022: 0.42 + i / 100})
    result = status_of("dti_rank_2025", data)
    assert result.latest == 30 and result.status is Status.OFF_TRACK


def test_cli_status_and_show(cli, tmp_path: Path):
    values = tmp_path / "values.csv"
    pd.DataFrame(
        rows("19", "work_records_online_share_commune", {2021: 0.3, 2022: 0.4, 2023: 0.5})
        + rows("19", "level4_services_share", {2021: 1.0})
    ).to_csv(values, index=False)
    result = cli("programme", "status", "01/NQ-TU", "--values", values)
    assert result.exit_code == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("work_records_online_commune"))
    assert "Đúng tiến độ" in line and "70 %" in line
    assert "Đã đạt" in next(x for x in result.stdout.splitlines() if x.startswith("level4_services"))
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
