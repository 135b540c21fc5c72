"""Boundaries as GeoJSON, keyed on official codes for an era.

Shipped (gzip) from ../shared/geo by tools/export_units.py: the 34 provinces and 3,321 communes of 2025
and the 63 provinces of 2024. There are no boundaries for 2024 districts and communes. The files are a
simplified reference map, not legal boundaries; their MIT notice is `data/geo/NOTICE.yaml`.
"""

from __future__ import annotations

import functools
import gzip
import json
from typing import Any

from chiso.units.errors import UnitsError
from chiso.units.registry import data_file, get, list_units, parse_era, parse_kind
from chiso.units.schemas import Era, Kind, Unit

GeoJSON = dict[str, Any]


@functools.cache
def _text(name: str) -> str:
    # Cache the text, not the parsed object: callers get their own dict and may change it freely.
    return gzip.decompress(data_file(f"geo/{name}.geojson.gz")).decode("utf-8")


def _collection(name: str) -> GeoJSON:
    document: GeoJSON = json.loads(_text(name))
    return document


def _province_files(era: Era) -> str:
    return f"provinces-{era.value}"


def boundaries(era: str | Era, *, kind: str | Kind = Kind.PROVINCE, province: str | None = None) -> GeoJSON:
    """A FeatureCollection: the provinces of `era`, or the 2025 communes (of one province or all).

    Each feature's properties carry `code` (official, with leading zeros) and `name`; join on `code`.
    """
    era, kind = parse_era(era), parse_kind(kind)
    if kind is Kind.PROVINCE:
        return _collection(_province_files(era))
    if kind is Kind.COMMUNE and era is Era.Y2025:
        codes = [get(province, era=era).code] if province is not None else _province_codes(era)
        features = [f for code in codes for f in _collection(f"communes-2025/{code}")["features"]]
        return {"type": "FeatureCollection", "features": features}
    raise UnitsError(
        f"No boundaries are shipped for {kind.value}s of era {era.value}; there are provinces of both eras "
        "and communes of 2025 (see docs/units.md)."
    )


def boundary(code: str, *, era: str | Era) -> GeoJSON:
    """The feature of one province or 2025 commune."""
    unit = get(code, era=era)
    if unit.kind is Kind.COMMUNE and unit.era is Era.Y2025:
        collection = _collection(f"communes-2025/{unit.province_code}")
    elif unit.kind is Kind.PROVINCE:
        collection = _collection(_province_files(unit.era))
    else:
        raise UnitsError(f"No boundary is shipped for {unit.kind.value} {unit.code} ({unit.name}).")
    for feature in collection["features"]:
        if feature["properties"]["code"] == unit.code:
            feature_: GeoJSON = feature
            return feature_
    raise UnitsError(f"{unit.name} ({unit.code}, era {unit.era.value}) has no boundary in the shipped map.")


def has_boundary(unit: Unit) -> bool:
    return unit.code in geometry_codes(unit.era, unit.kind)


@functools.cache
def geometry_codes(era: Era, kind: Kind) -> frozenset[str]:
    """Codes that have a feature in the shipped maps (empty for what is not mapped)."""
    try:
        collection = boundaries(era, kind=kind)
    except UnitsError:
        return frozenset()
    return frozenset(f["properties"]["code"] for f in collection["features"])


def _province_codes(era: Era) -> list[str]:
    return [u.code for u in list_units(era=era, kind=Kind.PROVINCE)]
