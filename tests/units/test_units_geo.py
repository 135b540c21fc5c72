"""Every mapped unit has a boundary and every boundary a unit, joined on (era, code)."""

from __future__ import annotations

import pytest

from chiso.units import geo, get, list_units
from chiso.units.errors import UnitsError
from chiso.units.schemas import Era, Kind

# Units that have no boundary, and why. Everything else of these kinds must have one.
NOT_MAPPED = {
    (Era.Y2024, Kind.DISTRICT): "districts of 2024 are not in ../shared/geo",
    (Era.Y2024, Kind.COMMUNE): "communes of 2024 are not in ../shared/geo",
    (Era.Y2025, Kind.DEPARTMENT): "departments are not places",
}


@pytest.mark.parametrize(
    ("era", "kind"), [(Era.Y2025, Kind.PROVINCE), (Era.Y2025, Kind.COMMUNE), (Era.Y2024, Kind.PROVINCE)]
)
def test_units_and_boundaries_correspond(era: Era, kind: Kind) -> None:
    units = {u.code for u in list_units(era=era, kind=kind)}
    assert geo.geometry_codes(era, kind) == units


@pytest.mark.parametrize(("era", "kind"), sorted(NOT_MAPPED))
def test_the_exceptions_have_no_boundaries(era: Era, kind: Kind) -> None:
    assert geo.geometry_codes(era, kind) == frozenset()


def test_commune_files_hold_the_communes_of_their_province() -> None:
    for province in list_units(era="2025", kind="province"):
        collection = geo.boundaries("2025", kind="commune", province=province.code)
        communes = {u.code for u in list_units(era="2025", kind="commune", province=province.code)}
        assert {f["properties"]["code"] for f in collection["features"]} == communes, province.code
        assert {f["properties"]["province_code"] for f in collection["features"]} == {province.code}


def test_boundary_is_keyed_on_era_and_code() -> None:
    old = geo.boundary("24", era="2024")
    new = geo.boundary("24", era="2025")
    assert old["properties"]["name"] == "Tỉnh Bắc Giang"
    assert new["properties"]["name"] == "Thành phố Bắc Ninh"
    assert geo.boundary("1843", era="2025")["properties"]["name"] == "Phường Bắc Kạn"
    assert geo.boundary("20333", era="2025")["geometry"]["type"] == "MultiPolygon"


def test_callers_get_their_own_copy() -> None:
    first = geo.boundaries("2025")
    first["features"].clear()
    assert len(geo.boundaries("2025")["features"]) == 34


def test_has_boundary() -> None:
    assert geo.has_boundary(get("06", era="2024"))
    assert not geo.has_boundary(get("164", era="2024"))


def test_unmapped_kinds_are_refused_with_a_reason() -> None:
    with pytest.raises(UnitsError, match="No boundaries are shipped for communes of era 2024"):
        geo.boundaries("2024", kind="commune")
    with pytest.raises(UnitsError, match="No boundary is shipped for district 164"):
        geo.boundary("164", era="2024")


def test_the_licence_notice_ships_with_the_files() -> None:
    import yaml

    from chiso.units.registry import data_file

    notice = yaml.safe_load(data_file("geo/NOTICE.yaml"))
    assert notice["licence"] == "MIT"
    assert "Copyright (c) 2021 Thang Le Quoc" in notice["licence_text"]
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in notice["licence_text"]
