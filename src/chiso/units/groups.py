"""Groups of units ranked together: communes apart from wards, departments apart from both.

Provinces rank each kind of unit separately, and some units are assessed but not ranked (an
inspectorate with no public services, for instance). A group lists its members and which of them are
left out of the ranking; the engine ranks `ranked_members` and still scores everyone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from chiso.units.config import ProvinceUnitsConfig
from chiso.units.departments import apply_changes
from chiso.units.errors import ConfigError
from chiso.units.registry import get, list_units, parse_era
from chiso.units.schemas import Era, Kind, Unit


@dataclass(frozen=True, slots=True)
class UnitGroup:
    code: str
    name: str
    name_en: str
    era: Era
    province_code: str | None  # None for a national group
    members: tuple[str, ...]
    not_ranked: frozenset[str] = field(default_factory=frozenset)

    @property
    def ranked_members(self) -> tuple[str, ...]:
        return tuple(code for code in self.members if code not in self.not_ranked)

    def is_ranked(self, code: str) -> bool:
        return code in self.members and code not in self.not_ranked


# (group code, Vietnamese name, English name, kind, subtypes or None for all)
_STANDARD: dict[Era, list[tuple[str, str, str, Kind, tuple[str, ...] | None]]] = {
    Era.Y2025: [
        ("commune-level", "Xã, phường, đặc khu", "Communes, wards and special zones", Kind.COMMUNE, None),
        ("xa", "Xã", "Communes", Kind.COMMUNE, ("xa",)),
        ("phuong", "Phường", "Wards", Kind.COMMUNE, ("phuong",)),
        ("dac-khu", "Đặc khu", "Special zones", Kind.COMMUNE, ("dac_khu",)),
        ("departments", "Sở, ban, ngành", "Departments and agencies", Kind.DEPARTMENT, None),
    ],
    Era.Y2024: [
        ("districts", "Huyện, quận, thị xã, thành phố", "Districts", Kind.DISTRICT, None),
        ("commune-level", "Xã, phường, thị trấn", "Communes, wards and townships", Kind.COMMUNE, None),
        ("xa", "Xã", "Communes", Kind.COMMUNE, ("xa",)),
        ("phuong", "Phường", "Wards", Kind.COMMUNE, ("phuong",)),
        ("thi-tran", "Thị trấn", "Townships", Kind.COMMUNE, ("thi_tran",)),
    ],
}


def national_group(era: str | Era = Era.Y2025) -> UnitGroup:
    """All provinces of an era, as the Ministry ranks them."""
    era = parse_era(era)
    members = tuple(u.code for u in list_units(era=era, kind=Kind.PROVINCE))
    return UnitGroup("provinces", "Tỉnh, thành phố", "Provinces and cities", era, None, members)


def province_groups(
    province: str,
    *,
    era: str | Era = Era.Y2025,
    config: ProvinceUnitsConfig | None = None,
    on: dt.date | None = None,
) -> list[UnitGroup]:
    """The standard groups inside a province, plus the province's own, with its not-ranked flags.

    Empty standard groups (a province without special zones) are left out.
    """
    era = parse_era(era)
    unit = get(province, era=era)
    if unit.kind is not Kind.PROVINCE:
        raise ConfigError(f"{unit.code} is a {unit.kind.value}, not a province.")
    if config is not None and config.province != unit.code:
        raise ConfigError(f"The configuration is for province {config.province}, not {unit.code}.")
    members_by_kind = _members(unit, config, on)
    not_ranked = frozenset(config.groups.not_ranked) if config else frozenset()
    known = {u.code for units in members_by_kind.values() for u in units}
    unknown = sorted(not_ranked - known)
    if unknown:
        raise ConfigError(f"not_ranked lists {unknown}, which are not units of province {unit.code}.")
    groups = []
    for code, name, name_en, kind, subtypes in _STANDARD[era]:
        members = tuple(u.code for u in members_by_kind.get(kind, []) if subtypes is None or u.subtype in subtypes)
        if members:
            groups.append(UnitGroup(code, name, name_en, era, unit.code, members, not_ranked & set(members)))
    for custom in config.groups.custom if config else ():
        strays = sorted(set(custom.members) - known)
        if strays:
            raise ConfigError(f"Group {custom.code} lists {strays}, which are not units of province {unit.code}.")
        groups.append(
            UnitGroup(
                custom.code,
                custom.name,
                custom.name_en or custom.name,
                era,
                unit.code,
                custom.members,
                not_ranked & set(custom.members),
            )
        )
    return groups


def _members(province: Unit, config: ProvinceUnitsConfig | None, on: dt.date | None) -> dict[Kind, Sequence[Unit]]:
    units = list_units(era=province.era, province=province.code)
    by_kind: dict[Kind, list[Unit]] = {}
    for unit in units:
        if unit.kind is not Kind.DEPARTMENT:
            by_kind.setdefault(unit.kind, []).append(unit)
    if province.era is Era.Y2025:
        by_kind[Kind.DEPARTMENT] = apply_changes(province, config.departments if config else (), on=on)
    return dict(by_kind)
