"""The frameworks shipped in chiso/framework/data: valid, round-tripping, faithful to their sources,
and scoring hand-computed units as expected (FACTS.md §2, SUBUNIT_SETS.md)."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
import yaml

import chiso
from chiso.framework import Framework, dump_framework, load_framework, parse_framework, shipped_codes
from chiso.framework.spec import BooleanRule, PointsRule, RatioRule, ThresholdsRule, TiersRule
from chiso.framework.validate import check

EXPECTED_CODES = {"dti-province-2020", "dti-province-2022", "dti-province-2024", "commune-2025", "department-2025"}

# Maximum points of the published commune set, by its own numbering (SUBUNIT_SETS.md).
COMMUNE_POINTS = {
    **{f"1.{i}": p for i, p in enumerate([10, 10, 10, 20, 10, 10, 10], 1)},
    **{f"2.{i}": p for i, p in enumerate([30, 20, 20, 20, 10], 1)},
    **{f"3.{i}": p for i, p in enumerate([20, 20, 20, 20, 10, 10], 1)},
    **{f"4.{i}": p for i, p in enumerate([20, 20, 20, 20, 20, 10, 20, 20, 20], 1)},
    **{f"4.{i}": 10 for i in range(10, 22)},
    **{f"4.22.{i}": (30 if i == 10 else 20) for i in range(1, 12)},
    **{f"5.{i}": 20 for i in range(1, 5)},
    **{f"6.{i}": 10 for i in range(1, 9)},
}
COMMUNE_GROUPS = {
    "infrastructure": 80,
    "human_resources": 100,
    "cybersecurity": 100,
    "gov_activity": 520,
    "econ_activity": 80,
    "society_activity": 80,
}
COMMUNE_MEASURABLE = {"4.4", "4.6", "4.10", "4.11", "4.18", "4.19", "4.21"}
DEPARTMENT_GROUPS = {
    "awareness": 3,
    "institutions": 4,
    "infrastructure": 2,
    "human_resources": 3,
    "cybersecurity": 5,
    "gov_activity": 11,
    "econ_activity": 1,
    "society_activity": 3,
    "plan_completion": 2,
}


def commune_code(number: str) -> str:
    """Published number → node code: 4.22.10 → c4_22_10."""
    return "c" + number.replace(".", "_")


def extreme_values(fw: Framework, best: bool) -> dict[str, float]:
    """Values that earn every indicator its maximum (best) or nothing (worst)."""
    values: dict[str, float] = {}

    def put(name: str, value: float) -> None:
        assert values.setdefault(name, value) == value, f"{name} needs two different values"

    for ind in fw.indicators:  # rules on one variable first: ratio denominators may reuse their counts
        rule, var = ind.scoring, ind.rule_variables[0]
        if isinstance(rule, ThresholdsRule) and ind.denominator:
            put(ind.denominator, 10.0)
            put(var, 10.0 if best else 0.0)
        elif isinstance(rule, ThresholdsRule):
            top, low = max(s.at_least for s in rule.steps), min(s.at_least for s in rule.steps)
            good, bad = (top, low - 1) if ind.direction == 1 else (low, top + 1)
            put(var, good if best else bad)
        elif isinstance(rule, TiersRule):
            pick = max if best else min
            put(var, pick(rule.levels, key=lambda t: t.share).value)
        elif isinstance(rule, BooleanRule):
            put(var, 1.0 if best else 0.0)
        elif isinstance(rule, PointsRule):
            put(var, float(ind.max_points or 0) if best else 0.0)
    for ind in fw.indicators:
        if isinstance(ind.scoring, RatioRule):
            whole = values.setdefault(ind.scoring.denominator, 10.0)
            put(ind.scoring.numerator, whole if best else 0.0)
    return values


# --- every shipped framework ---------------------------------------------------------------------


def test_the_expected_frameworks_are_shipped():
    assert set(shipped_codes()) >= EXPECTED_CODES


@pytest.mark.parametrize("code", sorted(EXPECTED_CODES))
def test_loads_validates_and_round_trips(code):
    fw = load_framework(code)
    assert fw.code == code
    assert check(fw) == []
    again = parse_framework(yaml.safe_load(dump_framework(fw)))
    assert again == fw


@pytest.mark.parametrize("code", sorted(EXPECTED_CODES))
def test_every_node_has_a_vietnamese_and_an_english_name(code):
    fw = load_framework(code)
    assert fw.name and fw.name_en and fw.provenance.decision and fw.provenance.notes
    for node in fw.nodes:
        assert node.name.strip() and node.name_en.strip(), node.code
        assert node.name != node.name_en, node.code
        assert re.search(r"[^\x00-\x7f]", node.name), f"{node.code}: {node.name!r} has no Vietnamese letter"


@pytest.mark.parametrize("code", ["commune-2025", "department-2025"])
def test_sub_unit_indicators_say_how_to_prove_and_where_from(code):
    for ind in load_framework(code).indicators:
        assert ind.unit and ind.evidence and ind.source and ind.description, ind.code
        assert ind.scoring is not None and ind.max_points, ind.code
        assert set(ind.variables) == set(ind.inputs) | ({ind.denominator} if ind.denominator else set()), ind.code


@pytest.mark.parametrize("code", ["commune-2025", "department-2025"])
def test_best_values_earn_every_maximum_and_worst_values_nothing(code):
    fw = load_framework(code)
    frame = pd.DataFrame([{"unit": "best", **extreme_values(fw, True)}, {"unit": "worst", **extreme_values(fw, False)}])
    points = chiso.score(fw, frame).points_table.set_index("unit").fillna(0.0)
    for node in fw.nodes:
        if node.max_points is not None:
            assert points.loc["best", node.code] == pytest.approx(node.max_points), node.code
            assert points.loc["worst", node.code] == 0.0, node.code


# --- DTI -----------------------------------------------------------------------------------------


def test_dti_2020_quang_ninh_golden():
    fw = load_framework("dti-province-2020")
    assert {c.code: c.weight for c in fw.node("dti").children} == {"government": 400, "economy": 300, "society": 300}
    values = pd.DataFrame({"unit": ["22"], "government": [0.4513], "economy": [0.3019], "society": [0.3955]})
    result = chiso.score(fw, values)
    dti = result.scores.set_index("unit").loc["22", "dti"]
    # The pillars are published rounded to 4 decimals, so the index may differ by one in the 4th.
    assert abs(dti - 0.3897) <= 1e-4
    assert round(dti, 4) == 0.3897
    assert result.points_table.set_index("unit").loc["22", "dti"] == pytest.approx(dti * 1000)


def test_dti_2024_has_the_2022_main_indicators_but_smart_city_with_provisional_weights():
    fw, fw2022 = load_framework("dti-province-2024"), load_framework("dti-province-2022")
    main = {c.code: c.weight for c in fw.node("dti").children}
    old = {c.code: c.weight for c in fw2022.node("dti").children if c.code != "smart_city"}
    assert len(main) == 8 and main == old and sum(main.values()) == 1000
    assert all(fw.node(code).given_only and fw.node(code).scale == 1 for code in main)
    for view in ("government", "economy", "society"):
        assert fw.node(view).children == fw2022.node(view).children
    assert "PROVISIONAL" in fw.provenance.notes and "922" in fw.provenance.notes
    for code in main:
        assert "tạm tính" in fw.node(code).description, code


# --- commune set ---------------------------------------------------------------------------------


def test_commune_structure_matches_the_published_set():
    fw = load_framework("commune-2025")
    assert len(fw.indicators) == 62
    assert {i.code: i.max_points for i in fw.indicators} == {commune_code(n): p for n, p in COMMUNE_POINTS.items()}
    index = fw.node("commune_dx")
    assert index.max_points == 960 and index.method == "sum"
    assert {c.code: fw.node(c.code).max_points for c in index.children} == COMMUNE_GROUPS
    assert sum(i.max_points or 0 for i in fw.indicators) == 960
    for group in [*COMMUNE_GROUPS, "c4_22"]:
        node = fw.node(group)
        assert node.method == "sum" and node.missing == "zero"
        assert all(c.weight == 1 for c in node.children)
    assert fw.node("c4_22").max_points == 230


def test_commune_measurable_indicators_are_the_bold_seven():
    fw = load_framework("commune-2025")
    assert {i.code for i in fw.indicators if i.measurable} == {commune_code(n) for n in COMMUNE_MEASURABLE}


def test_commune_shares_are_scored_as_ratios():
    for ind in load_framework("commune-2025").indicators:
        if ind.name.startswith("Tỷ lệ"):
            assert isinstance(ind.scoring, RatioRule), ind.code


def test_commune_hand_made_units():
    fw = load_framework("commune-2025")
    best = extreme_values(fw, True)
    mixed = {
        **best,
        "dossiers_received": 1000, "dossiers_full_online": 549, "dossiers_online": 800,  # 4.4 10.98, 4.3 16
        "ai_applications": 2,  # 1.4: ≥ 2 → 15
        "dx_officer_level": 1,  # 2.1: half of 30 → 15
        "residents_skills_trained": 1500, "residents_skills_target": 1000,  # 2.4: capped at 20
        "info_systems": 0, "info_systems_level_approved": 0, "info_systems_inspected": 0,
        "info_systems_protected": 0,  # 3.1–3.3: no system of its own → full 20 each
        "cyber_drill": 0,  # 3.5: 0
        "dx_spending": 7, "budget_spending": 1000,  # 4.7: 0.7 % ≥ 0.5 % → 10
        "dx_day_points": 25,  # 4.22.3: declared 25 of 20 → clipped to 20
        "steering_meetings": 3, "steering_meetings_chaired_by_head": 2,  # 4.22.5: 15; 4.22.6: 2/3 × 20
        "population": 10_000, "population_5g_covered": 10_000,  # 1.2: 10
        "residents_ehealth_record": 5_000,  # 6.4: half → 5
        "digital_tech_enterprises": 3,  # 5.2: 0.3 per 1,000 ≥ 0.2 → 10
        "feedback_received": 0, "feedback_on_time": 0,  # 6.6: no complaints → full 10
    }  # fmt: skip
    undeclared = {**best, "public_wifi_points": np.nan}  # 4.13 left empty: no points
    frame = pd.DataFrame([{"unit": u, **v} for u, v in [("best", best), ("mixed", mixed), ("gap", undeclared)]])
    result = chiso.score(fw, frame)
    points = result.points_table.set_index("unit")
    expected = {
        "c4_4": 10.98, "c4_3": 16.0, "c1_4": 15.0, "c2_1": 15.0, "c2_4": 20.0, "c3_1": 20.0, "c3_2": 20.0,
        "c3_3": 20.0, "c3_5": 0.0, "c4_7": 10.0, "c4_22_3": 20.0, "c4_22_5": 15.0, "c4_22_6": 40 / 3,
        "c1_2": 10.0, "c6_4": 5.0, "c5_2": 10.0, "c6_6": 10.0,
        "infrastructure": 75.0,  # 80 − 5 (1.4)
        "human_resources": 85.0,  # 100 − 15 (2.1)
        "cybersecurity": 90.0,  # 100 − 10 (3.5)
        "c4_22": 230 - 5 - 20 / 3,  # 4.22.5 and 4.22.6
        "gov_activity": 520 - 9.02 - 4 - 10 - 5 - 20 / 3,  # 4.4, 4.3, 4.7, 4.22.5, 4.22.6
        "econ_activity": 70.0,  # 80 − 10 (5.2)
        "society_activity": 75.0,  # 80 − 5 (6.4)
    }  # fmt: skip
    for code, value in expected.items():
        assert points.loc["mixed", code] == pytest.approx(value), code
    total = 75 + 85 + 90 + (520 - 9.02 - 4 - 10 - 5 - 20 / 3) + 70 + 75
    assert points.loc["mixed", "commune_dx"] == pytest.approx(total)
    assert math.isclose(total, 880.3133333, abs_tol=1e-6)
    assert points.loc["best", "commune_dx"] == pytest.approx(960)
    assert points.loc["gap", "c4_13"] != points.loc["gap", "c4_13"]  # NaN: nothing declared
    assert points.loc["gap", "commune_dx"] == pytest.approx(950)
    shares = result.scores.set_index("unit")["commune_dx_share"]
    assert shares["mixed"] == pytest.approx(total / 960)

    log = result.log_table
    assert ((log.node == "c4_22_3") & (log.action == "capped") & (log.unit == "mixed")).any()
    assert ((log.node == "c2_4") & (log.action == "capped") & (log.unit == "mixed")).any()
    assert ((log.node == "c3_1") & (log.action == "zero_denominator") & (log.unit == "mixed")).any()
    assert ((log.node == "gov_activity") & (log.action == "missing_as_zero") & (log.unit == "gap")).any()


# --- department set ------------------------------------------------------------------------------


def test_department_structure():
    fw = load_framework("department-2025")
    index = fw.node("department_dx")
    assert [c.code for c in index.children] == list(DEPARTMENT_GROUPS)
    assert {g: len(fw.node(g).children) for g in DEPARTMENT_GROUPS} == DEPARTMENT_GROUPS
    assert len(fw.indicators) == 34
    assert all(re.fullmatch(r"d\d_\d+", i.code) for i in fw.indicators)
    assert index.max_points == 1000 and sum(i.max_points or 0 for i in fw.indicators) == 1000
    assert index.missing == "respread"
    assert all(fw.node(g).missing == "zero" for g in DEPARTMENT_GROUPS)
    assert "PROPOSED BY CHISO" in fw.provenance.notes


def test_department_without_a_digital_economy_mandate_is_not_penalised():
    fw = load_framework("department-2025")
    best = extreme_values(fw, True)
    no_mandate = {**best, "econ_tasks_done": np.nan, "econ_tasks_assigned": np.nan, "cyber_drill": 0}
    mandate = {**best, "cyber_drill": 0, "cyber_incidents": 1}  # 5.4: −20; 5.5: one incident → 10 of 20
    frame = pd.DataFrame([{"unit": "noi_vu", **no_mandate}, {"unit": "cong_thuong", **mandate}])
    points = chiso.score(fw, frame).points_table.set_index("unit")
    assert np.isnan(points.loc["noi_vu", "econ_activity"])
    # 930 of the 950 points that apply, scaled to 1,000.
    assert points.loc["noi_vu", "department_dx"] == pytest.approx(930 / 950 * 1000)
    assert points.loc["cong_thuong", "d5_5"] == pytest.approx(10)
    assert points.loc["cong_thuong", "department_dx"] == pytest.approx(1000 - 20 - 10)


def test_department_without_public_services_is_scored_on_what_applies():
    fw = load_framework("department-2025")
    best = extreme_values(fw, True)
    no_services = {
        **best,
        **{v: 0 for v in ("procedures_full_online", "procedures_eligible", "dossiers_full_online",
                          "dossiers_received", "dossiers_on_time", "dossiers_resolved", "dossiers_digitised",
                          "online_ratings_satisfied", "online_ratings")},
    }  # fmt: skip
    frame = pd.DataFrame([{"unit": "thanh_tra", **no_services}, {"unit": "tu_phap", **best}])
    result = chiso.score(fw, frame)
    points = result.points_table.set_index("unit")
    items = [f"d6_{i}" for i in range(1, 6)]
    assert points.loc["thanh_tra", items].isna().all()
    # 6.1–6.5 do not apply: the other digital-government items carry the group's 350 points.
    assert points.loc["thanh_tra", "gov_activity"] == pytest.approx(350)
    assert points.loc["tu_phap", "gov_activity"] == pytest.approx(350)
    log = result.log_table
    assert set(log[(log["action"] == "not_applicable") & log["node"].isin(items)]["unit"]) == {"thanh_tra"}
