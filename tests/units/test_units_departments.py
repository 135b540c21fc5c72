"""Departments (Chiso's code scheme, a province's own changes) and ranking groups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from chiso.units import ConfigError, get, list_units
from chiso.units.config import DepartmentChange, ProvinceUnitsConfig, load_config
from chiso.units.departments import CODE_PATTERN, apply_changes, catalogue
from chiso.units.groups import national_group, province_groups

THAI_NGUYEN = get("19", era="2025")


def change(action: str, code: str, day: str, **fields: str) -> DepartmentChange:
    return DepartmentChange(action=action, code=code, date=dt.date.fromisoformat(day), **fields)  # type: ignore[arg-type]


def test_every_province_has_the_standard_set_under_chiso_codes() -> None:
    standard = [spec.abbr for spec in catalogue().values() if spec.standard]
    for province in list_units(era="2025", kind="province"):
        departments = list_units(kind="department", province=province.code)
        assert sorted(d.code for d in departments) == sorted(f"{province.code}-{a}" for a in standard)
        assert all(CODE_PATTERN.match(d.code) for d in departments)
        assert all(d.parent_code == province.code and d.valid_from == dt.date(2025, 7, 1) for d in departments)


def test_names_follow_the_kind_of_province() -> None:
    assert get("19-TTRA", era="2025").name == "Thanh tra tỉnh"
    assert get("79-TTRA", era="2025").name == "Thanh tra thành phố"
    assert get("19-SKHCN", era="2025").name_en == "Department of Science and Technology"


def test_a_province_adds_renames_and_retires_its_own_departments() -> None:
    changes = [
        change("add", "19-SDTTG", "2025-07-01"),
        change("add", "19-XTTPVHCC", "2025-08-01", name="Trung tâm Phục vụ hành chính công"),
        change("rename", "19-SVHTTDL", "2026-01-01", name="Sở Văn hóa và Thể thao"),
        change("retire", "19-SDTTG", "2026-06-30"),
    ]
    everything = {d.code: d for d in apply_changes(THAI_NGUYEN, changes)}
    assert everything["19-SDTTG"].name == "Sở Dân tộc và Tôn giáo"
    assert everything["19-SDTTG"].valid_to == dt.date(2026, 6, 30)
    assert everything["19-XTTPVHCC"].origin == "province:19"
    assert everything["19-SVHTTDL"].name == "Sở Văn hóa và Thể thao"

    on_1_jul = {d.code: d for d in apply_changes(THAI_NGUYEN, changes, on=dt.date(2025, 7, 1))}
    assert "19-XTTPVHCC" not in on_1_jul
    assert on_1_jul["19-SVHTTDL"].name == "Sở Văn hóa, Thể thao và Du lịch"
    assert "19-SDTTG" not in apply_changes(THAI_NGUYEN, changes, on=dt.date(2026, 7, 1))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (change("add", "19-SKHCN", "2025-07-01"), "already exists"),
        (change("add", "19-BANXYZ", "2025-07-01", name="Ban X"), "starting with X"),
        (change("add", "19-XNEW", "2025-07-01"), "give its Vietnamese `name`"),
        (change("add", "19-so-moi", "2025-07-01"), "does not follow the scheme"),
        (change("add", "06-SNGV", "2025-07-01"), "belongs to province 06"),
        (change("retire", "19-SNGV", "2025-12-31"), "`add` it first"),
        (change("rename", "19-SYT", "2025-01-01", name="Sở Y tế mới"), "does not exist yet"),
    ],
)
def test_bad_changes_are_refused(bad: DepartmentChange, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        apply_changes(THAI_NGUYEN, [bad])


def test_rename_needs_a_name() -> None:
    with pytest.raises(ValueError, match="needs the new `name`"):
        change("rename", "19-SYT", "2026-01-01")


def test_groups_and_the_not_ranked_flag() -> None:
    config = ProvinceUnitsConfig.model_validate(
        {
            "schema": "chiso/province-units",
            "version": 1,
            "province": "19",
            "groups": {
                "not_ranked": ["19-TTRA"],
                "custom": [{"code": "khoi-kinh-te", "name": "Khối kinh tế", "members": ["19-STC", "19-SCT"]}],
            },
        }
    )
    groups = {g.code: g for g in province_groups("19", config=config)}
    departments = groups["departments"]
    assert departments.not_ranked == {"19-TTRA"}
    assert "19-TTRA" in departments.members and "19-TTRA" not in departments.ranked_members
    assert not departments.is_ranked("19-TTRA") and departments.is_ranked("19-SYT")
    assert len(groups["xa"].members) + len(groups["phuong"].members) == 92
    assert "dac-khu" not in groups  # Thái Nguyên has no special zone
    assert groups["khoi-kinh-te"].members == ("19-STC", "19-SCT")
    assert len(national_group("2024").members) == 63


def test_groups_before_the_reorganisation() -> None:
    groups = {g.code: g for g in province_groups("06", era="2024")}
    assert set(groups) == {"districts", "commune-level", "xa", "phuong", "thi-tran"}
    assert len(groups["districts"].members) == 8


def test_groups_refuse_strangers() -> None:
    config = ProvinceUnitsConfig.model_validate(
        {"schema": "chiso/province-units", "version": 1, "province": "19", "groups": {"not_ranked": ["79-SYT"]}}
    )
    with pytest.raises(ConfigError, match="not units of province 19"):
        province_groups("19", config=config)
    with pytest.raises(ConfigError, match="for province 19, not 79"):
        province_groups("79", config=config)


def test_config_file_through_the_cli(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from chiso.cli.main import app

    path = tmp_path / "thai-nguyen.yaml"
    path.write_text(
        "schema: chiso/province-units\nversion: 1\nprovince: '19'\n"
        "departments:\n  - {action: add, code: 19-SNGV, date: 2025-07-01}\n"
        "  - {action: retire, code: 19-SNGV, date: 2025-12-31}\n"
        "groups:\n  not_ranked: [19-TTRA]\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    listed = runner.invoke(
        app, ["units", "list", "--kind", "department", "--province", "19", "--config", str(path), "-f", "json"]
    )
    assert listed.exit_code == 0, listed.output
    assert any(d["code"] == "19-SNGV" and d["valid_to"] == "2025-12-31" for d in json.loads(listed.stdout))
    on_2026 = runner.invoke(
        app,
        [
            "units",
            "list",
            "--kind",
            "department",
            "--province",
            "19",
            "--config",
            str(path),
            "--on",
            "2026-01-01",
            "-f",
            "json",
        ],
    )
    assert "19-SNGV" not in {d["code"] for d in json.loads(on_2026.stdout)}
    groups = runner.invoke(app, ["units", "groups", "--config", str(path), "-f", "json"])
    departments = next(g for g in json.loads(groups.stdout) if g["code"] == "departments")
    assert departments["not_ranked"] == "19-TTRA"


def test_bad_config_files_are_refused_with_the_file_and_field(tmp_path: Path) -> None:
    wrong_schema = tmp_path / "a.yaml"
    wrong_schema.write_text("schema: something-else\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must start with `schema: chiso/province-units`"):
        load_config(wrong_schema)
    bad_field = tmp_path / "b.yaml"
    bad_field.write_text(
        "schema: chiso/province-units\nversion: 1\nprovince: '19'\n"
        "departments:\n  - {action: merge, code: 19-SYT, date: 2025-07-01}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"b.yaml: departments.0.action"):
        load_config(bad_field)
    with pytest.raises(ConfigError, match="Cannot read"):
        load_config(tmp_path / "missing.yaml")
