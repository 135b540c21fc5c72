"""Who can lead or join a task in a province: its departments, communes, the province itself, and groups.

Plans name units the way officers write them ("Sở Khoa học và Công nghệ", "UBND các xã, phường"); the
directory turns a name, a code or an abbreviation into the official code, and back into a name that
reads the same way when exported. Groups (`group:departments`, `group:commune-level`) stand for "all
departments" or "all communes and wards" among the co-units; a task is led by one unit.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass

from chiso import units
from chiso.units.groups import province_groups
from chiso.units.text import fold, modern_tone_placement

GROUP_PREFIX = "group:"
_PROVINCE_ALIASES = ("ubnd tinh", "uy ban nhan dan tinh")
_GROUP_ALIASES = {
    "departments": ("cac so, nganh", "cac so, ban, nganh", "cac so ban nganh", "cac co quan chuyen mon"),
    "commune-level": ("cac xa, phuong", "ubnd cac xa, phuong", "ubnd cac xa, phuong, dac khu", "cac xa phuong"),
}
_CODE_IN_BRACKETS = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[^()]+)\)\s*$")


class UnknownUnit(LookupError):
    """A name or code that is not a unit of the province (or that names several)."""


@dataclass(frozen=True)
class Directory:
    province: str
    era: str
    names: dict[str, str]  # unit code → official name
    groups: dict[str, str]  # group:<code> → label ("Các sở, ban, ngành")
    by_name: dict[str, tuple[str, ...]]  # folded name (and short name) → codes

    def is_unit(self, code: str) -> bool:
        return code in self.names

    def is_group(self, code: str) -> bool:
        return code in self.groups

    def name(self, code: str) -> str:
        """How a code is written in a plan: the unit's name, with its code when the name is shared."""
        if code in self.groups:
            return self.groups[code]
        name = self.names.get(code)
        if name is None:
            return code
        return name if len(self.by_name.get(_key(name), ())) == 1 else f"{name} ({code})"

    def resolve(self, text: str, *, groups: bool = False) -> str:
        """The code of a unit (or, with `groups`, a group) written as a code, an abbreviation or a name."""
        raw = " ".join(str(text).split())
        if not raw:
            raise UnknownUnit("trống / empty")
        bracketed = _CODE_IN_BRACKETS.match(raw)
        if bracketed and self._code(bracketed["code"]) is not None:
            return str(self._code(bracketed["code"]))
        code = self._code(raw)
        if code is not None and (groups or not code.startswith(GROUP_PREFIX)):
            return code
        key = _key(raw)
        if groups:
            for group, label in self.groups.items():
                aliases = (_key(label), *_GROUP_ALIASES.get(group.removeprefix(GROUP_PREFIX), ()))
                if key in aliases:
                    return group
        if key in _PROVINCE_ALIASES or key == _key(self.names.get(self.province, "")):
            return self.province
        found = self.by_name.get(key, ())
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            options = "; ".join(f"{self.names[c]} ({c})" for c in found)
            raise UnknownUnit(f"{raw!r} trùng tên nhiều đơn vị / names several units: {options}; add the code")
        what = "đơn vị hoặc nhóm đơn vị" if groups else "đơn vị"
        raise UnknownUnit(
            f"{raw!r} không phải {what} của tỉnh {self.province} / not a unit of province {self.province} "
            "(see chiso units list --province " + self.province + ")"
        )

    def _code(self, text: str) -> str | None:
        upper = text.strip().upper()
        if upper in self.names:
            return upper
        if text.strip() in self.groups:
            return text.strip()
        abbreviated = f"{self.province}-{upper}"
        return abbreviated if abbreviated in self.names else None


def _key(name: str) -> str:
    return fold(modern_tone_placement(name)).replace("&", " va ").replace("  ", " ")


def _short(name: str) -> str:
    """ "Phường Đức Xuân" → "duc xuan": communes are often written without their type word."""
    return re.sub(r"^(xa|phuong|dac khu|thi tran) ", "", _key(name))


@functools.cache
def directory(province: str, era: str = "2025") -> Directory:
    unit = units.get(province, era=era)
    members = [unit, *units.list_units(era=era, province=unit.code)]
    names = {u.code: u.name for u in members}
    keys: dict[str, list[str]] = {}
    for u in members:
        keys.setdefault(_key(u.name), []).append(u.code)
    shorts = Counter(_short(u.name) for u in members if u.kind is units.Kind.COMMUNE)
    for u in members:
        short = _short(u.name)
        if u.kind is units.Kind.COMMUNE and shorts[short] == 1 and short not in keys:
            keys[short] = [u.code]
    groups = {
        f"{GROUP_PREFIX}{g.code}": f"Các {g.name[0].lower()}{g.name[1:]}" for g in province_groups(unit.code, era=era)
    }
    return Directory(unit.code, era, names, groups, {k: tuple(v) for k, v in keys.items()})
