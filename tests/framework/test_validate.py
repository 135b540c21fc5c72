"""Every kind of framework error is reported with the file and the node path, by the library and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chiso.framework import FrameworkError, dump_framework, load_framework, parse_framework, shipped_codes

GOOD = {
    "schema": "chiso/framework",
    "version": 1,
    "code": "mini",
    "name": "Bộ chỉ số nhỏ",
    "index": "total",
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
            "kind": "indicator",
            "name": "A",
            "max_points": 20,
            "scoring": {"rule": "ratio", "numerator": "a_num", "denominator": "a_den"},
        },
        {"code": "b", "kind": "indicator", "name": "B", "max_points": 10, "scoring": {"rule": "boolean"}},
    ],
}


def broken(mutate) -> dict:
    doc = yaml.safe_load(yaml.safe_dump(GOOD))
    mutate(doc)
    return doc


def problems_of(doc) -> list[str]:
    with pytest.raises(FrameworkError) as info:
        parse_framework(doc, "mini.yaml")
    assert str(info.value).startswith("mini.yaml: ")
    return [str(p) for p in info.value.problems]


def test_good_framework_loads_and_round_trips():
    fw = parse_framework(GOOD)
    again = parse_framework(yaml.safe_load(dump_framework(fw)))
    assert again == fw
    assert fw.variables == ("a_num", "a_den", "b")


def test_unknown_reference():
    doc = broken(lambda d: d["nodes"][0]["children"].append({"code": "zz"}))
    assert problems_of(doc) == ["nodes[0] 'total' → children[2]: unknown node 'zz'"]


def test_cycle():
    def mutate(d):
        d["nodes"].append({"code": "loop", "kind": "aggregate", "name": "L", "children": [{"code": "total"}]})
        d["nodes"][0]["children"].append({"code": "loop"})
        d["nodes"][0].pop("max_points")

    found = problems_of(broken(mutate))
    assert any("cycle: total → loop → total" in p or "cycle: loop → total → loop" in p for p in found), found


def test_weights_not_matching_declared_total():
    doc = broken(lambda d: d["nodes"][0].update(method="mean", total_weight=3, max_points=None))
    assert problems_of(doc) == ["nodes[0] 'total': weights add up to 2, not the declared total 3"]


def test_points_not_matching_declared_maximum():
    doc = broken(lambda d: d["nodes"][0].update(max_points=40))
    assert problems_of(doc) == ["nodes[0] 'total': children's maximum points add up to 30, not the declared 40"]


def test_rule_parameters_out_of_range():
    doc = broken(lambda d: d["nodes"][2].update(scoring={"rule": "goalposts", "min": 5, "max": 1}))
    found = problems_of(doc)
    assert found == ["nodes[2] 'b' → scoring: goalposts need max > min (got min 5.0, max 1.0)"]
    doc = broken(
        lambda d: d["nodes"][2].update(scoring={"rule": "thresholds", "steps": [{"at_least": 1, "points": 15}]})
    )
    assert problems_of(doc) == ["nodes[2] 'b' → scoring.steps[0]: 15 points is more than max_points 10"]
    doc = broken(
        lambda d: d["nodes"][2].update(
            scoring={
                "rule": "tiers",
                "levels": [{"code": "full", "value": 1, "share": 1.5}, {"code": "none", "value": 0, "share": 0}],
            }
        )
    )
    assert "nodes[2] 'b' → scoring.levels[0].share: Input should be less than or equal to 1" in problems_of(doc)


def test_duplicate_codes():
    doc = broken(
        lambda d: d["nodes"].append(
            {"code": "a", "kind": "indicator", "name": "A again", "max_points": 1, "scoring": {"rule": "boolean"}}
        )
    )
    assert problems_of(doc) == ["nodes[3] 'a': duplicate code: also used by nodes[1]; every node needs its own code"]


def test_points_rule_needs_max_points_and_unknown_fields_are_named():
    doc = broken(lambda d: (d["nodes"][2].pop("max_points"), d["nodes"][2].update(weigth=3)))
    assert problems_of(doc) == [
        "nodes[2] 'b' → weigth: unknown field (check its spelling against `chiso framework schema`)"
    ]
    doc = broken(lambda d: d["nodes"][2].pop("max_points"))
    assert "nodes[2] 'b' → scoring: rule 'boolean' gives points: declare max_points" in problems_of(doc)


def test_orphan_and_header():
    doc = broken(
        lambda d: d["nodes"].append({"code": "lost", "kind": "indicator", "name": "L", "scoring": {"rule": "minmax"}})
    )
    assert problems_of(doc) == [
        "nodes[3] 'lost': not reached from the index 'total' or any view; add it as a child or remove it"
    ]
    assert problems_of(broken(lambda d: d.update(version=9))) == ["version: this Chiso reads version 1 (got 9)"]


def test_yaml_syntax_error_names_line(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("schema: chiso/framework\nnodes: [\n", encoding="utf-8")
    with pytest.raises(FrameworkError) as info:
        load_framework(path)
    assert str(path) in str(info.value) and "line" in str(info.value)


@pytest.mark.parametrize("code", shipped_codes())
def test_shipped_frameworks_validate(code):
    assert load_framework(code).code == code


def test_cli_validate_reports_every_kind_with_a_path(cli, tmp_path: Path):
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(GOOD, allow_unicode=True), encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(broken(lambda d: d["nodes"][0]["children"].append({"code": "zz"}))), encoding="utf-8")
    result = cli("framework", "validate", good)
    assert result.exit_code == 0 and "OK" in result.stdout
    result = cli("framework", "validate", good, bad)
    assert result.exit_code == 1
    assert f"{bad}: 1 problem(s)" in result.stderr
    assert "nodes[0] 'total' → children[2]: unknown node 'zz'" in result.stderr


def test_cli_validate_every_shipped_and_example_framework(cli):
    from importlib import resources

    from tests.conftest import EXAMPLES

    files = [Path(str(resources.files("chiso.framework.data") / f"{c}.yaml")) for c in shipped_codes()]
    files += sorted((EXAMPLES / "frameworks").glob("*.yaml"))
    result = cli("framework", "validate", *files)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("OK") == len(files)


def test_cli_schema_and_show(cli, tmp_path: Path):
    import json

    out = tmp_path / "schema.json"
    assert cli("framework", "schema", "--out", out).exit_code == 0
    schema = json.loads(out.read_text(encoding="utf-8"))
    assert schema["title"] == "Chiso indicator framework" and "nodes" in schema["properties"]
    shown = cli("framework", "show", "dti-province-2022")
    assert shown.exit_code == 0 and "Hoạt động chính quyền số · 200 điểm" in shown.stdout
    assert cli("framework", "show", "no-such").exit_code == 2
    listed = cli("framework", "list")
    assert "dti-province-2022" in listed.stdout


def test_bands_must_descend():
    bands = [{"code": "low", "min": 0.2}, {"code": "high", "min": 0.5}]
    doc = broken(lambda d: d["nodes"][0].update(bands=bands))
    assert problems_of(doc) == ["nodes[0] 'total': bands go from the highest `min` down, each with its own `min`"]
