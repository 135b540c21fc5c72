"""Issue 12, item 1: a framework that units declare on forms must describe every input for people.
`chiso framework validate` lists, in one pass and each with its path, every variable left undeclared
or unlabelled and every indicator without its published number; a number written unquoted (which YAML
would silently read as a decimal) is refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import yaml

COLLECTED_SET = """
schema: chiso/framework
version: 1
code: commune-set
name: Bộ chỉ số cấp xã (thử)
index: total
collected: true
nodes:
  - {code: total, kind: aggregate, name: Tổng, method: sum, max_points: 30, children: [{code: a}, {code: b}]}
  - code: a
    number: "1"
    kind: indicator
    name: Tỷ lệ hộ có cáp quang
    max_points: 20
    scoring: {rule: ratio, numerator: homes_fibre, denominator: homes}
  - {code: b, number: "2", kind: indicator, name: Diễn tập, max_points: 10, scoring: {rule: boolean, input: drill}}
variables:
  - {name: homes_fibre, label: Số hộ có cáp quang, label_en: Homes with fibre, unit: hộ, kind: count, min: 0}
  - {name: homes, label: Tổng số hộ, label_en: Homes, unit: hộ, kind: count, min: 0}
  - {name: drill, label: Có tham gia diễn tập, label_en: Took part in a drill, unit: có/không, kind: boolean}
"""


def mini(mutate=None) -> dict:
    doc = yaml.safe_load(COLLECTED_SET)
    if mutate:
        mutate(doc)
    return doc


def test_validate_lists_every_labelling_problem_with_its_path(cli, tmp_path: Path):
    def mutate(doc):
        doc["variables"].pop(0)  # homes_fibre: read by 'a', never declared
        doc["variables"][0].pop("unit")  # homes: no unit
        doc["nodes"][2].pop("number")  # 'b': no number

    path = tmp_path / "commune-set.yaml"
    path.write_text(yaml.safe_dump(mini(mutate), allow_unicode=True), encoding="utf-8")
    result = cli("framework", "validate", path)
    assert result.exit_code == 1
    assert f"{path}: 3 problem(s)" in result.stderr
    assert "variables[0] 'homes': missing unit" in result.stderr
    assert "nodes[1] 'a': reads 'homes_fibre', which `variables` does not declare" in result.stderr
    assert "nodes[2] 'b': no `number`" in result.stderr


def test_an_unquoted_number_is_refused_not_misread(cli, tmp_path: Path):
    text = yaml.safe_dump(mini(), allow_unicode=True).replace("number: '2'", "number: 4.10")
    path = tmp_path / "commune-set.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("framework", "validate", path)
    assert result.exit_code == 1
    assert "nodes[2] 'b' → number: write the number in quotes" in result.stderr
