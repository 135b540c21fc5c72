"""Frameworks describe their inputs for people: every variable a unit declares has a Vietnamese and an
English label, a unit, a kind and bounds; every node its official number (issue 12, item 1)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from chiso.framework import FrameworkError, dump_framework, load_framework, parse_framework
from chiso.framework.describe import display_code, label_of
from chiso.framework.spec import TiersRule

COLLECTED = ["commune-2025", "department-2025"]

MINI = {
    "schema": "chiso/framework",
    "version": 1,
    "code": "mini",
    "name": "Bộ chỉ số nhỏ",
    "index": "total",
    "collected": True,
    "nodes": [
        {
            "code": "total",
            "kind": "aggregate",
            "name": "Tổng",
            "method": "sum",
            "max_points": 30,
            "children": [{"code": "a"}, {"code": "b"}],
        },
        {
            "code": "a",
            "number": "1",
            "kind": "indicator",
            "name": "Tỷ lệ hộ có cáp quang",
            "max_points": 20,
            "scoring": {"rule": "ratio", "numerator": "homes_fibre", "denominator": "homes"},
        },
        {
            "code": "b",
            "number": "2",
            "kind": "indicator",
            "name": "Kế hoạch",
            "max_points": 10,
            "scoring": {
                "rule": "tiers",
                "input": "plan_level",
                "levels": [
                    {"code": "full", "value": 2, "share": 1},
                    {"code": "half", "value": 1, "share": 0.5},
                    {"code": "none", "value": 0, "share": 0},
                ],
            },
        },
    ],
    "variables": [
        {"name": "homes_fibre", "label": "Số hộ có cáp quang", "label_en": "Homes with fibre", "unit": "hộ",
         "kind": "count", "min": 0},
        {"name": "homes", "label": "Tổng số hộ", "label_en": "Homes", "unit": "hộ", "kind": "count", "min": 0},
        {"name": "plan_level", "label": "Mức ban hành kế hoạch", "label_en": "Plan issued", "unit": "mức",
         "kind": "level", "min": 0, "max": 2,
         "options": [{"value": 2, "label": "Đạt đầy đủ", "label_en": "Fully met"},
                     {"value": 1, "label": "Đạt một phần", "label_en": "Partly met"},
                     {"value": 0, "label": "Không đạt", "label_en": "Not met"}]},
    ],
}  # fmt: skip


def mini(mutate=None) -> dict:
    doc = yaml.safe_load(yaml.safe_dump(MINI, allow_unicode=True))
    if mutate:
        mutate(doc)
    return doc


def problems_of(doc) -> list[str]:
    with pytest.raises(FrameworkError) as info:
        parse_framework(doc, "mini.yaml")
    return [str(p) for p in info.value.problems]


# --- the shipped collected sets ------------------------------------------------------------------


@pytest.mark.parametrize("code", COLLECTED)
def test_shipped_sets_declare_every_variable_for_people(code):
    fw = load_framework(code)
    assert fw.collected
    assert {v.name for v in fw.variable_specs} == set(fw.variables)
    for name in fw.variables:
        spec = fw.variable(name)
        assert spec.label and spec.label_en and spec.unit and spec.kind, name
        assert re.search(r"[^\x00-\x7f]", spec.label), f"{name}: {spec.label!r} is not Vietnamese"
        assert spec.label != name and spec.label_en != name and spec.label != spec.label_en, name
        assert "_" not in spec.label and "_" not in spec.label_en, name
        if spec.kind in {"count", "amount"}:
            assert spec.min == 0, name
        if spec.kind in {"share", "boolean"}:
            assert (spec.min, spec.max) == (0, 1), name
        if spec.kind == "level":
            assert spec.options and spec.min == min(o.value for o in spec.options), name
            assert spec.max == max(o.value for o in spec.options), name


@pytest.mark.parametrize("code", COLLECTED)
def test_rules_read_variables_of_the_matching_kind(code):
    fw = load_framework(code)
    for ind in fw.indicators:
        rule = ind.scoring
        spec = fw.variable(ind.rule_variables[0])
        if isinstance(rule, TiersRule):
            assert spec.kind == "level", ind.code
            assert {o.value for o in spec.options} == {t.value for t in rule.levels}, ind.code
        elif rule is not None and rule.rule == "boolean":
            assert spec.kind == "boolean", ind.code
        else:
            assert spec.kind in {"count", "share", "amount"}, ind.code


def test_a_variable_means_the_same_in_both_sub_unit_sets():
    commune, department = load_framework("commune-2025"), load_framework("department-2025")
    shared = set(commune.variables) & set(department.variables)
    assert len(shared) >= 20
    worded_for_the_set = {"label", "label_en"}  # "… UBND tỉnh giao" reads better on a department's form
    for name in shared:
        a, b = commune.variable(name), department.variable(name)
        assert a.model_dump(exclude=worded_for_the_set) == b.model_dump(exclude=worded_for_the_set), name
    assert sum(commune.variable(n).label == department.variable(n).label for n in shared) >= len(shared) - 1


def test_level_options_are_labelled_in_both_languages():
    spec = load_framework("commune-2025").variable("dx_officer_level")
    assert spec.kind == "level" and [o.value for o in spec.options] == [2, 1, 0]
    assert all(o.label and o.label_en for o in spec.options)
    assert load_framework("commune-2025").variable("cyber_training").kind == "boolean"
    share = load_framework("commune-2025").variable("digital_economy_share")
    assert share.kind == "share" and share.unit == "%"
    five_g = load_framework("commune-2025").variable("population_5g_covered")
    assert (five_g.label, five_g.unit) == ("Số dân trong vùng phủ sóng 5G", "người")
    assert (five_g.kind, five_g.min) == ("count", 0)


def test_commune_nodes_carry_the_published_numbers():
    fw = load_framework("commune-2025")
    assert fw.node("c4_22_10").number == "4.22.10"
    assert fw.node("c4_22").number == "4.22"
    for ind in fw.indicators:
        assert ind.number == ind.code.removeprefix("c").replace("_", "."), ind.code
    groups = [c.code for c in fw.node("commune_dx").children]
    assert [fw.node(g).number for g in groups] == ["1", "2", "3", "4", "5", "6"]


def test_department_nodes_carry_their_numbers():
    fw = load_framework("department-2025")
    assert fw.node("d6_11").number == "6.11"
    for ind in fw.indicators:
        assert ind.number == ind.code.removeprefix("d").replace("_", "."), ind.code
    groups = [c.code for c in fw.node("department_dx").children]
    assert [fw.node(g).number for g in groups] == [str(i) for i in range(1, 10)]


def test_dti_frameworks_are_not_collected_and_stay_valid_without_labels():
    fw = load_framework("dti-province-2022")
    assert not fw.collected and fw.variable_specs == ()
    assert display_code(fw.node("gov_activity")) == "gov_activity"
    assert label_of(fw, "gov_activity", "vi") == "gov_activity"


# --- the small API --------------------------------------------------------------------------------


def test_variable_lookup_display_code_and_labels():
    fw = load_framework("commune-2025")
    assert fw.variable("households").unit == "hộ"
    with pytest.raises(KeyError):
        fw.variable("no_such_variable")
    assert display_code(fw.node("c4_22_10")) == "4.22.10"
    assert display_code(fw.node("commune_dx")) == "commune_dx"
    assert label_of(fw, "population_5g_covered", "vi") == "Số dân trong vùng phủ sóng 5G"
    assert label_of(fw, "population_5g_covered", "en") == fw.variable("population_5g_covered").label_en
    assert label_of(fw, "not_declared", "en") == "not_declared"


# --- validation -----------------------------------------------------------------------------------


def test_the_mini_collected_framework_loads_and_round_trips():
    fw = parse_framework(mini())
    assert parse_framework(yaml.safe_load(dump_framework(fw))) == fw
    assert fw.variable("plan_level").options[0].label == "Đạt đầy đủ"


@pytest.mark.parametrize("code", COLLECTED)
def test_shipped_sets_round_trip_with_their_labels(code):
    fw = load_framework(code)
    again = parse_framework(yaml.safe_load(dump_framework(fw)))
    assert again == fw and again.variable_specs == fw.variable_specs


def test_collected_framework_missing_a_label_fails_with_the_path():
    doc = mini(lambda d: d["variables"][1].pop("label"))
    assert problems_of(doc) == [
        "variables[1] 'homes': missing label; a collected framework gives every variable label, label_en, unit and kind"
    ]


def test_collected_framework_must_declare_every_variable_and_number_every_indicator():
    def mutate(d):
        d["variables"].pop(0)
        d["nodes"][2].pop("number")

    assert problems_of(mini(mutate)) == [
        "nodes[1] 'a': reads 'homes_fibre', which `variables` does not declare; a collected framework "
        "declares every variable it reads (label, label_en, unit, kind)",
        "nodes[2] 'b': no `number`; a collected framework shows every indicator by its published number",
    ]


def test_not_collected_needs_no_declarations():
    doc = mini(lambda d: (d.pop("collected"), d.pop("variables"), d["nodes"][1].pop("number")))
    fw = parse_framework(doc)
    assert not fw.collected and fw.node("a").number is None


def test_declared_bounds_are_consistent():
    def mutate(d):
        d["variables"][0].update(min=5, max=1)
        d["variables"][1].update(kind="share", min=0, max=100)
        d["variables"][2]["options"] = []

    assert problems_of(mini(mutate)) == [
        "variables[0] 'homes_fibre': min 5 is above max 1",
        "variables[1] 'homes': a share is a decimal from 0 to 1 (15 % = 0.15); its bounds must lie within 0–1",
        "variables[2] 'plan_level': a level variable lists its `options` (value → label), e.g. 2 = Đạt đầy đủ",
    ]


def test_level_options_must_match_the_tiers_that_read_them():
    def mutate(d):
        d["variables"][2]["options"].pop()  # 0 = Không đạt

    assert problems_of(mini(mutate)) == [
        "variables[2] 'plan_level': options 1, 2 differ from the levels 0, 1, 2 of nodes[2] 'b' → scoring"
    ]


def test_duplicate_declarations_and_numbers():
    def mutate(d):
        d["variables"].append(dict(d["variables"][1]))
        d["nodes"][2]["number"] = "1"

    assert problems_of(mini(mutate)) == [
        "variables[3] 'homes': declared twice (also variables[1])",
        "nodes[2] 'b': number '1' is also used by nodes[1]",
    ]


def test_unquoted_number_and_unknown_kind_are_named():
    def mutate(d):
        d["nodes"][1]["number"] = 4.1
        d["variables"][0]["kind"] = "money"

    found = problems_of(mini(mutate))
    assert found[0].startswith("nodes[1] 'a' → number: write the number in quotes")
    assert found[1].startswith("variables[0] 'homes_fibre' → kind: ")


# --- CLI and schema -------------------------------------------------------------------------------


def test_cli_show_gives_numbers_labels_and_units(cli):
    shown = cli("framework", "show", "commune-2025")
    assert shown.exit_code == 0
    assert "4.22.10  Mức độ hoàn thành các chỉ tiêu chuyển đổi số năm của xã" in shown.stdout
    assert "Số dân trong vùng phủ sóng 5G (người) — population_5g_covered" in shown.stdout
    assert "4  Hoạt động chính quyền số · 520 điểm" in shown.stdout


def test_cli_show_yaml_round_trips(cli):
    shown = cli("framework", "show", "commune-2025", "--format", "yaml")
    assert shown.exit_code == 0
    assert parse_framework(yaml.safe_load(shown.stdout)) == load_framework("commune-2025")


def test_cli_validate_lists_the_missing_label(cli, tmp_path: Path):
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(mini(lambda d: d["variables"][1].pop("label")), allow_unicode=True), "utf-8")
    result = cli("framework", "validate", path)
    assert result.exit_code == 1
    assert "variables[1] 'homes': missing label" in result.stderr


def test_json_schema_describes_the_new_fields(cli, tmp_path: Path):
    out = tmp_path / "schema.json"
    assert cli("framework", "schema", "--out", out).exit_code == 0
    schema = json.loads(out.read_text(encoding="utf-8"))
    assert {"variables", "collected"} <= set(schema["properties"])
    spec = schema["$defs"]["VariableSpec"]["properties"]
    assert {"name", "label", "label_en", "unit", "kind", "min", "max", "options"} <= set(spec)
    assert "number" in schema["$defs"]["Indicator"]["properties"]


def test_the_documented_example_is_a_valid_collected_framework():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "frameworks.md").read_text(encoding="utf-8")
    example = docs.split("A small example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    fw = parse_framework(yaml.safe_load(example))
    assert fw.collected and fw.node("c1_1").number == "1.1"
    assert label_of(fw, "steering_meetings", "en") == "Steering committee meetings in the year"


def test_ratio_rules_read_with_labels_when_the_framework_is_given():
    from chiso.framework.describe import rule_in_words

    fw = load_framework("commune-2025")
    vi, en = rule_in_words(fw.node("c1_2"), framework=fw)
    assert vi == "Số dân trong vùng phủ sóng 5G / Dân số trên địa bàn × 10 điểm, tối đa"
    assert en == "Residents within 5G coverage / Population of the area × 10 points, capped"
    assert rule_in_words(fw.node("c1_2"))[0].startswith("population_5g_covered / population")
