"""Provincial departments and agencies as units of kind `department`, with Chiso's code scheme.

Code: "<2025 province code>-<abbreviation>", e.g. "19-SKHCN". The standard set is in
`data/departments.yaml`; a province adds, renames or retires its own with dated changes
(`chiso.units.config.DepartmentChange`).
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from chiso.units.config import DepartmentChange
from chiso.units.errors import ConfigError
from chiso.units.schemas import Era, Kind, Unit
from chiso.yamlio import safe_yaml

CODE_PATTERN = re.compile(r"^(?P<province>\d{2})-(?P<abbr>[A-Z][A-Z0-9]{1,11})$")
CUSTOM_PREFIX = "X"  # abbreviations a province invents start with X; Chiso's own never do
ORIGIN = "chiso"


@dataclass(frozen=True, slots=True)
class DepartmentSpec:
    abbr: str
    subtype: str
    name: str  # may contain "{tinh}"
    name_en: str
    standard: bool

    def unit(self, province: Unit, valid_from: dt.date | None) -> Unit:
        level = "thành phố" if province.subtype == "thanh_pho_tw" else "tỉnh"
        return Unit(
            era=Era.Y2025,
            code=department_code(province.code, self.abbr),
            kind=Kind.DEPARTMENT,
            subtype=self.subtype,
            name=self.name.format(tinh=level),
            name_en=self.name_en,
            parent_code=province.code,
            province_code=province.code,
            valid_from=valid_from,
            valid_to=None,
            origin=ORIGIN,
        )


def department_code(province_code: str, abbr: str) -> str:
    return f"{province_code}-{abbr}"


@functools.cache
def _document() -> dict[str, Any]:
    from chiso.units.registry import data_file

    document: dict[str, Any] = safe_yaml(data_file("departments.yaml").decode("utf-8"))
    return document


@functools.cache
def catalogue() -> dict[str, DepartmentSpec]:
    """Every department Chiso knows, standard and optional, by abbreviation."""
    document = _document()
    specs = {}
    for section, standard in (("standard", True), ("optional", False)):
        for item in document[section]:
            specs[item["abbr"]] = DepartmentSpec(standard=standard, **item)
    return specs


def standard_valid_from() -> dt.date:
    return dt.date.fromisoformat(_document()["valid_from"])


def standard_departments(province: Unit) -> list[Unit]:
    """The standard departments of a 2025 province, valid from the reorganisation."""
    start = standard_valid_from()
    return [spec.unit(province, start) for spec in catalogue().values() if spec.standard]


def apply_changes(province: Unit, changes: Iterable[DepartmentChange], *, on: dt.date | None = None) -> list[Unit]:
    """The province's departments after its own dated changes.

    With `on`, only the departments that exist that day, under the name they had then; without it,
    every department ever listed, under its latest name, with `valid_to` set for retired ones.
    """
    units = {u.code: u for u in standard_departments(province)}
    renames: dict[str, list[DepartmentChange]] = collections.defaultdict(list)
    for change in sorted(changes, key=lambda c: (c.date, _ACTION_ORDER[c.action])):
        abbr = _check_code(change.code, province)
        current = units.get(change.code)
        if change.action == "add":
            if current is not None:
                raise ConfigError(f"{change.code} already exists; use `rename` to change its name.")
            units[change.code] = _added(change, abbr, province)
        elif current is None:
            raise ConfigError(f"{change.code} is not a department of {province.code}; `add` it first.")
        elif current.valid_to is not None:
            raise ConfigError(f"{change.code} was retired on {current.valid_to}; it cannot change after that.")
        elif current.valid_from is not None and change.date < current.valid_from:
            raise ConfigError(f"{change.code} does not exist yet on {change.date} (from {current.valid_from}).")
        elif change.action == "rename":
            renames[change.code].append(change)
        else:
            units[change.code] = replace(current, valid_to=change.date)
    result = []
    for unit in units.values():
        for rename in renames[unit.code]:
            if on is None or rename.date <= on:
                unit = replace(
                    unit,
                    name=rename.name or unit.name,
                    name_en=rename.name_en or unit.name_en,
                    subtype=rename.subtype or unit.subtype,
                )
        if on is None or unit.is_valid_on(on):
            result.append(unit)
    return sorted(result, key=lambda u: u.code)


_ACTION_ORDER = {"add": 0, "rename": 1, "retire": 2}


def _check_code(code: str, province: Unit) -> str:
    match = CODE_PATTERN.match(code)
    if match is None:
        raise ConfigError(
            f"Department code {code!r} does not follow the scheme <province>-<ABBR> (e.g. "
            f"{province.code}-SKHCN); see docs/units.md."
        )
    if match["province"] != province.code:
        raise ConfigError(f"Department {code} belongs to province {match['province']}, not {province.code}.")
    return match["abbr"]


def _added(change: DepartmentChange, abbr: str, province: Unit) -> Unit:
    spec = catalogue().get(abbr)
    if spec is not None:
        unit = spec.unit(province, change.date)
        return replace(unit, name=change.name or unit.name, name_en=change.name_en or unit.name_en)
    if not abbr.startswith(CUSTOM_PREFIX):
        raise ConfigError(
            f"{change.code}: {abbr} is not one of Chiso's department abbreviations; a province's own "
            f"department needs an abbreviation starting with {CUSTOM_PREFIX} (e.g. "
            f"{province.code}-{CUSTOM_PREFIX}{abbr})."
        )
    if not change.name:
        raise ConfigError(f"{change.code} is a new department: give its Vietnamese `name`.")
    return Unit(
        era=Era.Y2025,
        code=change.code,
        kind=Kind.DEPARTMENT,
        subtype=change.subtype or "co_quan",
        name=change.name,
        name_en=change.name_en,
        parent_code=province.code,
        province_code=province.code,
        valid_from=change.date,
        valid_to=None,
        origin=f"province:{province.code}",
    )
