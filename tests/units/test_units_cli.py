"""`chiso units …` through the real CLI: the counts of the issue's "done when", formats and errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from chiso.cli.main import app

runner = CliRunner()


def run(*args: str) -> Any:
    result = runner.invoke(app, ["units", *args])
    assert result.exit_code == 0, result.output
    return result


def run_json(*args: str) -> Any:
    return json.loads(run(*args, "--format", "json").stdout)


@pytest.mark.parametrize(
    ("args", "count"),
    [
        (["--era", "2025", "--kind", "province"], 34),
        (["--era", "2025", "--kind", "commune"], 3321),
        (["--era", "2024", "--kind", "province"], 63),
        (["--era", "2025", "--kind", "commune", "--province", "19"], 92),
        (["--era", "2025", "--kind", "commune", "--province", "79"], 168),
    ],
)
def test_list_counts(args: list[str], count: int) -> None:
    assert len(run_json("list", *args)) == count


def test_list_json_objects_have_the_documented_fields() -> None:
    rows = run_json("list", "--era", "2025", "--kind", "province")
    assert set(rows[0]) == {
        "era",
        "code",
        "kind",
        "subtype",
        "name",
        "name_en",
        "parent_code",
        "province_code",
        "valid_from",
        "valid_to",
    }
    thai_nguyen = next(r for r in rows if r["code"] == "19")
    assert thai_nguyen["name"] == "Tỉnh Thái Nguyên"
    assert thai_nguyen["valid_from"] == "2025-07-01"


def test_2025_communes_by_subtype_add_up() -> None:
    rows = run_json("list", "--era", "2025", "--kind", "commune")
    by_subtype = {s: sum(r["subtype"] == s for r in rows) for s in ("xa", "phuong", "dac_khu")}
    assert sum(by_subtype.values()) == 3321
    assert by_subtype["dac_khu"] == 13


def test_new_thai_nguyen_communes_come_55_from_old_thai_nguyen_and_37_from_bac_kan() -> None:
    new_communes = {r["code"] for r in run_json("list", "--era", "2025", "--kind", "commune", "--province", "19")}
    from_thai_nguyen = {r["to_code"] for r in run_json("successors", "19", "--era", "2024", "--level", "commune")}
    from_bac_kan = {r["to_code"] for r in run_json("successors", "06", "--era", "2024", "--level", "commune")}
    assert len(from_thai_nguyen) == 55
    assert len(from_bac_kan) == 37
    assert from_thai_nguyen | from_bac_kan == new_communes
    assert not from_thai_nguyen & from_bac_kan


def test_old_bac_kan_has_successor_19() -> None:
    links = run_json("successors", "06", "--era", "2024")
    assert [(link["to_era"], link["to_code"], link["partial"]) for link in links] == [("2025", "19", False)]


def test_predecessors_of_ho_chi_minh_city() -> None:
    links = run_json("predecessors", "79", "--era", "2025")
    assert sorted(link["from_code"] for link in links) == ["74", "77", "79"]
    assert sum(link["target_share"] for link in links) == pytest.approx(1, abs=1e-3)


def test_successors_of_a_split_commune_show_partial_and_unknown_share() -> None:
    links = run_json("successors", "00019", "--era", "2024")
    assert len(links) == 4
    assert all(link["partial"] and link["source_share"] is None for link in links)
    assert {link["source_share_basis"] for link in links} == {"unknown"}


def test_search_is_accent_insensitive_and_finds_both_eras() -> None:
    rows = run_json("search", "thai nguyen", "--kind", "province")
    assert [(r["era"], r["code"], r["name"]) for r in rows] == [
        ("2025", "19", "Tỉnh Thái Nguyên"),
        ("2024", "19", "Tỉnh Thái Nguyên"),
    ]
    assert run_json("search", "THÁI NGUYÊN")[0]["name"] == "Tỉnh Thái Nguyên"


def test_show_a_reused_code_gives_one_unit_per_era() -> None:
    details = run_json("show", "24")
    assert [(d["era"], d["name"]) for d in details] == [("2024", "Tỉnh Bắc Giang"), ("2025", "Thành phố Bắc Ninh")]
    assert [s["code"] for s in details[0]["successors"]] == ["24"]
    assert [p["code"] for p in details[1]["predecessors"]] == ["24", "27"]
    assert details[1]["has_boundary"] is True


def test_show_table_and_csv() -> None:
    table = run("show", "06", "--era", "2024").stdout
    assert "Tỉnh Bắc Kạn" in table and "19 Tỉnh Thái Nguyên" in table
    csv_text = run("list", "--era", "2025", "--kind", "province", "--format", "csv").stdout
    assert csv_text.splitlines()[0].startswith("era,code,kind,subtype,name")
    assert len(csv_text.splitlines()) == 35


def test_departments_are_listed_under_a_province() -> None:
    rows = run_json("list", "--kind", "department", "--province", "19")
    assert "19-SKHCN" in {r["code"] for r in rows}
    assert all(r["parent_code"] == "19" and r["era"] == "2025" for r in rows)


def test_groups_command() -> None:
    groups = run_json("groups", "--province", "19")
    codes = {g["code"]: g for g in groups}
    assert codes["commune-level"]["members"] == 92
    assert codes["xa"]["members"] + codes["phuong"]["members"] == 92
    assert codes["departments"]["ranked"] == codes["departments"]["members"]


def test_geojson_command_writes_a_feature_collection(tmp_path: Any) -> None:
    target = tmp_path / "19.geojson"
    run("geojson", "--kind", "commune", "--province", "19", "--output", str(target))
    collection = json.loads(target.read_text(encoding="utf-8"))
    assert len(collection["features"]) == 92


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "99", "--era", "2025"], "No unit with code 99 in era 2025"),
        (["show", "12345678"], "chiso units search"),
        (["list", "--province", "06", "--era", "2025"], "No province with code 06 in era 2025"),
        (["successors", "1234567"], "No unit with code 1234567 in era 2024"),
        (["predecessors", "19", "--level", "department"], "--level commune"),
        (["geojson", "--era", "2024", "--kind", "district"], "No boundaries are shipped"),
    ],
)
def test_bad_input_exits_non_zero_with_a_hint(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["units", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_unknown_era_is_refused() -> None:
    result = runner.invoke(app, ["units", "list", "--era", "2023"])
    assert result.exit_code == 2
    assert "2024" in result.output and "2025" in result.output
