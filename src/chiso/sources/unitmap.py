"""Units across the 1/7/2025 break for measures: which old codes map wholly onto one new unit.

Records dated before 1/7/2025 carry old (2024) codes and keep them in the lake. When values are wanted
on 2025 units for every period, a record of an old commune or province that went *whole* into one new
unit counts for that new unit. An old commune split among several new ones (or given only "in part")
cannot be divided without knowing which part a record came from, so its records count for no new unit,
and the new units that received a part of it get no value for periods before 1/7/2025: they are listed
as underived rather than given a value that silently leaves a part out.
"""

from __future__ import annotations

import collections
import functools

import pyarrow as pa

from chiso import units
from chiso.units.schemas import Era, Kind
from chiso.units.succession import links

MAPPED_KINDS = (Kind.COMMUNE, Kind.PROVINCE)


@functools.cache
def whole_links() -> tuple[dict[str, str], frozenset[str]]:
    """(old code → new code for units that went whole into one new unit, new units missing a part)."""
    targets: dict[str, list[tuple[str, bool]]] = collections.defaultdict(list)
    for link in links():
        if link.from_era is Era.Y2024 and link.from_kind in MAPPED_KINDS and link.to_kind is link.from_kind:
            targets[link.from_code].append((link.to_code, link.partial))
    mapping: dict[str, str] = {}
    incomplete: set[str] = set()
    for code, found in targets.items():
        if len(found) == 1 and not found[0][1]:
            mapping[code] = found[0][0]
        else:
            incomplete.update(to for to, _ in found)
    return mapping, frozenset(incomplete)


def unit_map_table() -> pa.Table:
    mapping, _ = whole_links()
    codes = sorted(mapping)
    return pa.table({"era": [Era.Y2024.value] * len(codes), "code": codes, "to_code": [mapping[c] for c in codes]})


@functools.cache
def province_units(province: str) -> frozenset[tuple[str, str]]:
    """(era, code) of a 2025 province, its units, and the old provinces it succeeded with their units."""
    new = units.get(province, era=Era.Y2025)
    keys = {(Era.Y2025.value, new.code)} | {
        (u.era.value, u.code) for u in units.list_units(era="2025", province=new.code)
    }
    old_provinces = [link.from_code for link in links() if link.from_kind is Kind.PROVINCE and link.to_code == new.code]
    for old in old_provinces:
        keys.add((Era.Y2024.value, old))
        keys |= {(u.era.value, u.code) for u in units.list_units(era="2024", province=old)}
    return frozenset(keys)
