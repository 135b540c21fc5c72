"""One test per patch of src/chiso/units/data/patches.yaml.

Each test checks both sides: the raw source still has the problem (so the patch is still needed; when
upstream fixes it, the test fails and the patch should go), and the shipped data has the correction.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from vietnam_provinces import _province_conversion_2025 as province_table
from vietnam_provinces import _ward_conversion_2025 as ward_table
from vietnam_provinces.legacy import _lookup as legacy

from chiso.units import get, list_units, succession
from chiso.units.schemas import Era, Kind

F = TypeVar("F", bound=Callable[..., Any])
PATCHES_FILE = Path(__file__).resolve().parents[2] / "src" / "chiso" / "units" / "data" / "patches.yaml"


def patches() -> list[dict[str, object]]:
    loaded: list[dict[str, object]] = yaml.safe_load(PATCHES_FILE.read_text(encoding="utf-8"))["patches"]
    return loaded


def targets(code: str) -> list[str]:
    return sorted(link.to_code for link in succession.successors(code, era=Era.Y2024))


def sources(code: str) -> list[str]:
    return sorted(link.from_code for link in succession.predecessors(code, era=Era.Y2025))


def table_rows(old_code: int) -> list[tuple[int, object]]:
    return sorted(
        (entry.new_ward.code, old)
        for entry in ward_table.NEW_TO_OLD.values()
        for old in entry.old_wards
        if old.code == old_code
    )


TESTED: set[str] = set()


def covers_patch(*ids: str) -> Callable[[F], F]:
    """Mark a test as the test of these patches; test_every_patch_has_a_reason_and_a_test checks them."""
    TESTED.update(ids)
    return lambda test: test


def test_every_patch_has_a_reason_and_a_test() -> None:
    for patch in patches():
        assert patch["reason"] and patch["sources"], patch["id"]
    assert {str(p["id"]) for p in patches()} == TESTED


@covers_patch("table-27691-province")
def test_table_27691_province() -> None:
    # The source: the row puts the Long An ward in Tiền Giang, so old 82 seems to feed new 80.
    assert [old.province_code for _, old in table_rows(27691)] == [82]
    assert [p.code for p in province_table.OLD_TO_NEW[82].new_provinces] == [80, 82]
    # Chiso: the ward is in Long An; Tiền Giang goes to Đồng Tháp (82) only.
    assert get("27691", era="2024").province_code == "80"
    assert targets("82") == ["82"]
    assert sources("80") == ["72", "80"]
    link = succession.successors("27691", era="2024")[0]
    assert (link.to_code, link.origin) == ("27694", "table-27691-province")


@covers_patch("table-30781-province")
def test_table_30781_province() -> None:
    assert [old.province_code for _, old in table_rows(30781)] == [89]
    assert get("30781", era="2024").province_code == "91"
    assert [link.origin for link in succession.successors("30781", era="2024")] == ["table-30781-province"]
    assert sources("91") == ["89", "91"]


@covers_patch("table-01615-is-01651")
def test_table_01615_is_01651() -> None:
    assert 1651 not in ward_table.OLD_TO_NEW
    assert [new for new, _ in table_rows(1615)] == [1636, 1648]
    assert targets("01651") == ["01648"]
    assert targets("01615") == ["01636"]
    assert "01651" in sources("01648")


@covers_patch("table-02485-is-02482")
def test_table_02485_is_02482() -> None:
    assert 2482 not in ward_table.OLD_TO_NEW
    assert [new for new, _ in table_rows(2485)] == [2458, 2494]
    assert targets("02482") == ["02494"]
    assert targets("02485") == ["02458"]


@pytest.mark.parametrize(
    ("district", "zone", "name"),
    [
        ("318", "11948", "Đặc khu Bạch Long Vĩ"),
        ("471", "19742", "Đặc khu Cồn Cỏ"),
        ("498", "20333", "Đặc khu Hoàng Sa"),
        ("536", "21548", "Đặc khu Lý Sơn"),
        ("755", "26732", "Đặc khu Côn Đảo"),
    ],
)
@covers_patch(
    "special-zone-bach-long-vi",
    "special-zone-con-co",
    "special-zone-hoang-sa",
    "special-zone-ly-son",
    "special-zone-con-dao",
)
def test_special_zones_link_from_their_island_district(district: str, zone: str, name: str) -> None:
    assert not ward_table.NEW_TO_OLD.get(int(zone), None)
    assert not any(w.district_code.value == int(district) for w in legacy.WARD_MAPPING.values())
    assert get(zone, era="2025").name == name
    [link] = succession.predecessors(zone, era="2025")
    assert (link.from_kind, link.from_code, link.partial, link.source_share) == (Kind.DISTRICT, district, False, 1)


@covers_patch("legacy-communes-dissolved")
def test_legacy_communes_dissolved() -> None:
    [patch] = [p for p in patches() if p["id"] == "legacy-communes-dissolved"]
    codes = list(patch["codes"])  # type: ignore[call-overload]
    for code in codes:
        assert int(code) in legacy.WARD_MAPPING
        assert int(code) not in ward_table.OLD_TO_NEW
    present = {u.code for u in list_units(era="2024", kind="commune")}
    assert not present & set(codes)
    assert len(present) == 10_035


@covers_patch("legacy-communes-created")
def test_legacy_communes_created() -> None:
    for code, name, district in [("03980", "Phường Mộc Lỵ", "123"), ("26929", "Phường 14", "765")]:
        assert int(code) not in legacy.WARD_MAPPING
        assert int(code) in ward_table.OLD_TO_NEW
        unit = get(code, era="2024")
        assert (unit.name, unit.parent_code, unit.origin) == (name, district, "legacy-communes-created")
    assert targets("03980") == ["03980"]


@covers_patch("legacy-son-la-renamed")
def test_legacy_son_la_renamed() -> None:
    assert legacy.DISTRICT_MAPPING[123].name == "Huyện Mộc Châu"
    district = get("123", era="2024")
    assert (district.name, district.subtype) == ("Thị xã Mộc Châu", "thi_xa")
    wards = [u for u in list_units(era="2024", kind="commune", parent="123") if u.subtype == "phuong"]
    assert len(wards) == 8
    assert not [u for u in list_units(era="2024", kind="commune", parent="123") if u.subtype == "thi_tran"]
    assert get("04075", era="2024").name == "Thị trấn Yên Châu"


def test_every_old_commune_has_a_successor_and_every_new_one_a_predecessor() -> None:
    # Together the patches close every gap of the table.
    for unit in list_units(era="2024", kind="commune"):
        assert succession.successors(unit.code, era="2024"), unit
    for unit in list_units(era="2025", kind="commune"):
        assert succession.predecessors(unit.code, era="2025"), unit


def test_every_old_province_goes_whole_into_one_new_province() -> None:
    for unit in list_units(era="2024", kind="province"):
        [link] = succession.successors(unit.code, era="2024")
        assert not link.partial and link.source_share == 1
    for unit in list_units(era="2025", kind="province"):
        shares = [link.target_share for link in succession.predecessors(unit.code, era="2025")]
        assert sum(s for s in shares if s is not None) == pytest.approx(1, abs=1e-3)
