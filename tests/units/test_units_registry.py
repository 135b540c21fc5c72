"""The registry: (era, code) keys, lookups, filters, search, text folding."""

from __future__ import annotations

import datetime as dt

import pytest

from chiso.units import Era, Kind, UnknownEraError, UnknownUnitError, children, find, get, list_units, parent, search
from chiso.units.registry import official_units
from chiso.units.text import fold, modern_tone_placement


def test_units_are_keyed_on_era_and_code() -> None:
    keys = [u.key for u in official_units()]
    assert len(keys) == len(set(keys))
    assert get("24", era="2024").name == "Tỉnh Bắc Giang"
    assert get("24", era="2025").name == "Thành phố Bắc Ninh"


def test_counts_per_era_and_kind() -> None:
    counts = {(e, k): len(list_units(era=e, kind=k)) for e in Era for k in Kind}
    assert counts[(Era.Y2025, Kind.PROVINCE)] == 34
    assert counts[(Era.Y2025, Kind.COMMUNE)] == 3321
    assert counts[(Era.Y2025, Kind.DISTRICT)] == 0
    assert counts[(Era.Y2025, Kind.DEPARTMENT)] == 34 * 12
    assert counts[(Era.Y2024, Kind.PROVINCE)] == 63
    assert counts[(Era.Y2024, Kind.DISTRICT)] == 696
    assert counts[(Era.Y2024, Kind.COMMUNE)] == 10_035


def test_validity_dates_follow_the_era() -> None:
    for unit in official_units():
        if unit.era is Era.Y2024:
            assert unit.valid_to == dt.date(2025, 6, 30)
            assert unit.is_valid_on(dt.date(2025, 6, 30)) and not unit.is_valid_on(dt.date(2025, 7, 1))
        else:
            assert unit.valid_from == dt.date(2025, 7, 1) and unit.valid_to is None


def test_subtypes() -> None:
    assert {u.subtype for u in list_units(era="2025", kind="commune")} == {"xa", "phuong", "dac_khu"}
    assert {u.subtype for u in list_units(era="2024", kind="commune")} == {"xa", "phuong", "thi_tran"}
    assert {u.subtype for u in list_units(era="2024", kind="district")} == {"huyen", "quan", "thi_xa", "thanh_pho"}
    assert get("79", era="2025").subtype_label == "thành phố trực thuộc trung ương"


def test_parents_and_children() -> None:
    commune = get("01651", era="2024")
    district = parent(commune)
    assert district is not None and (district.code, district.kind) == ("049", Kind.DISTRICT)
    province = parent(district)
    assert province is not None and province.name == "Tỉnh Cao Bằng"
    assert commune in children(district)
    for unit in list_units(era="2025", kind="commune"):
        assert unit.parent_code == unit.province_code


def test_codes_are_found_with_or_without_leading_zeros() -> None:
    assert get("1843", era="2025").code == "01843"
    assert get("6", era="2024").code == "06"
    assert [u.kind for u in find("19")] == [Kind.PROVINCE, Kind.PROVINCE]
    assert get("00019", era="2024").kind is Kind.COMMUNE


def test_unknown_code_and_era_say_what_to_do() -> None:
    with pytest.raises(UnknownUnitError, match=r"No unit with code 99 in era 2025\..*chiso units search"):
        get("99", era="2025")
    with pytest.raises(UnknownEraError, match="use one of: 2024, 2025"):
        get("19", era="2023")
    with pytest.raises(UnknownUnitError, match="No province with code 77 in era 2025"):
        list_units(era="2025", province="77")


def test_search_ignores_accents_and_case_and_ranks_exact_names_first() -> None:
    found = search("thai nguyen")
    assert [(u.era, u.code) for u in found[:2]] == [(Era.Y2025, "19"), (Era.Y2024, "19")]
    assert [u.code for u in search("Bắc Kạn", era="2024", kind="province")] == ["06"]
    assert search("bac kan", era="2025")[0].name == "Phường Bắc Kạn"
    assert search("ho chi minh", kind="province")[0].name == "Thành phố Hồ Chí Minh"
    assert search("hue city")[0].code == "46"  # English names are searched too
    assert search("  ") == []
    assert len(search("xa", limit=5)) == 5


def test_search_finds_dac_khu_by_folded_d() -> None:
    assert [u.code for u in search("dac khu hoang sa")] == ["20333"]


def test_fold_and_tone_placement() -> None:
    assert fold("Tỉnh Thái Nguyên") == "tinh thai nguyen"
    assert fold("ĐẮK LẮK") == "dak lak"
    assert modern_tone_placement("Tỉnh Hoà Bình") == "Tỉnh Hòa Bình"
    assert modern_tone_placement("Huyện Thanh Thuỷ") == "Huyện Thanh Thủy"
    assert modern_tone_placement("Xã Quý Lộc") == "Xã Quý Lộc"
    assert modern_tone_placement("Hoàng") == "Hoàng"


def test_english_names() -> None:
    assert get("20333", era="2025").name_en == "Paracel Special administrative region"
    assert get("06", era="2024").name_en == "Bac Kan Province"
    assert get("01", era="2024").name_en == "Hanoi City"
    # The map source calls these Đồng Nai communes wards; the English name follows the registry's type.
    assert get("25270", era="2025").name == "Xã Lộc Ninh"
    assert get("25270", era="2025").name_en == "Loc Ninh Commune"
