"""Cross-check of the shipped unit data against a second source, `vietnamadminunits` 1.0.4 (MIT).

`differences()` compares codes, names, parents and succession links; `render()` writes them as the
Markdown page docs/units-crosscheck.md, which test_units_crosscheck.py keeps equal to what this module
computes. Regenerate the page after re-exporting the data:

    .venv/bin/python tests/units/units_crosscheck.py > docs/units-crosscheck.md

The second source keys its old→new converter on names, not codes; its codes are joined back through its
own unit tables.
"""

from __future__ import annotations

import collections
import json
import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from chiso.units import registry, succession
from chiso.units.schemas import Era, Kind
from chiso.units.text import modern_tone_placement

SECOND_SOURCE = "vietnamadminunits"


@dataclass(frozen=True, order=True)
class Difference:
    category: str
    code: str
    ours: str
    theirs: str


CATEGORIES = {
    "province-2025-name": (
        "2025 province names",
        "The second source predates the resolutions that made Quảng Ninh, Bắc Ninh and Đồng Nai centrally "
        "governed cities (2026); `vietnam-provinces` 2026.9.0 has them. Ours are kept.",
    ),
    "district-2024-name": (
        "2024 district names",
        "Spelling variants of ethnic-minority place names (Đắk/Đăk/Đak, spacing around apostrophes). Ours are kept.",
    ),
    "district-2024-subtype": (
        "2024 district type",
        "The second source has Phú Mỹ as a city (thành phố) and two of its communes as wards before "
        "1/7/2025; `vietnam-provinces` does not, and no third source was available to confirm the date. "
        "Not patched.",
    ),
    "commune-2024-name": (
        "2024 commune names",
        "Spellings of the same name that the comparison does not fold (Đắk/Đăk, Xà/Sà, NT for Nông "
        "trường, spacing in ethnic-minority names such as EaBar/Ea Bar), and a few names that really "
        "differ (e.g. 18007 Xã Hưng Yên / Xã Hưng Yên Nam, 12664 Kim Chung / Kim Trung) which neither "
        "source settles. The names of `vietnam-provinces` are kept.",
    ),
    "link-only-ours": (
        "Links only in Chiso",
        "Rows of the official conversion table that the second source does not have, both for communes "
        "split among several new ones. The official table is kept.",
    ),
    "link-only-theirs-same-name": (
        "Links only in the second source: same-name mix-ups",
        "The second source converts by name. Where two old communes of the same name ended up in one new "
        "province (Phường 4 of Tân An and of Tây Ninh, Xã Hòa Bình of Hải Dương and of Hải Phòng, Xã Phú "
        "Hữu of Hậu Giang and of Sóc Trăng …), it links an old commune to the new commune its namesake "
        "went to. The official table, keyed on codes, is kept.",
    ),
    "link-only-theirs-other": (
        "Links only in the second source: other",
        "The second source adds a target the official table does not have (two are again namesakes, spelt "
        "Thạnh Qưới and Thạnh Quới). The official table is kept.",
    ),
}


def _site() -> Path:
    import vietnamadminunits

    return Path(vietnamadminunits.__file__).parent / "data"


def _comparable(name: str) -> str:
    """A name with the spelling choices that do not make a different name folded away."""
    text = modern_tone_placement(unicodedata.normalize("NFC", name)).casefold()
    text = re.sub(r"[-'’]", " ", text)
    text = " ".join(text.split())
    # quí/quý, sĩ/sỹ: the same syllable written with i or y.
    ys, is_ = "yýỳỷỹỵ", "iíìỉĩị"
    return re.sub(r"(?<=[bcdđghklmnpqrstvxu])([yýỳỷỹỵ])\b", lambda m: is_[ys.index(m.group(1))], text)


def _rows(sql: str) -> list[sqlite3.Row]:
    connection = sqlite3.connect(_site() / "dataset.db")
    connection.row_factory = sqlite3.Row
    try:
        return list(connection.execute(sql))
    finally:
        connection.close()


def differences() -> list[Difference]:
    ours = {(u.era, u.kind, u.code): u for u in registry.official_units()}
    found: list[Difference] = []
    new_rows = _rows("SELECT * FROM admin_units")
    old_rows = _rows("SELECT * FROM admin_units_legacy")

    def name_diff(category: str, key: tuple[Era, Kind, str], theirs: str) -> None:
        unit = ours.get(key)
        if unit is None:
            found.append(Difference(f"{category}-missing", key[2], "", theirs))
        elif _comparable(unit.name) != _comparable(theirs):
            found.append(Difference(category, key[2], unit.name, theirs))

    for row in {r["provinceCode"]: r for r in new_rows}.values():
        name_diff("province-2025-name", (Era.Y2025, Kind.PROVINCE, row["provinceCode"]), row["province"])
    for row in new_rows:
        name_diff("commune-2025-name", (Era.Y2025, Kind.COMMUNE, row["wardCode"]), row["ward"])
        unit = ours.get((Era.Y2025, Kind.COMMUNE, row["wardCode"]))
        if unit is not None and unit.province_code != row["provinceCode"]:
            found.append(Difference("commune-2025-province", unit.code, unit.province_code, row["provinceCode"]))
    for row in {r["provinceCode"]: r for r in old_rows}.values():
        name_diff("province-2024-name", (Era.Y2024, Kind.PROVINCE, row["provinceCode"]), row["province"])
    for row in {r["districtCode"]: r for r in old_rows}.values():
        key = (Era.Y2024, Kind.DISTRICT, row["districtCode"])
        unit = ours.get(key)
        if unit is not None and unit.subtype != "thanh_pho" and row["district"].startswith("Thành phố"):
            found.append(Difference("district-2024-subtype", unit.code, unit.name, row["district"]))
        else:
            name_diff("district-2024-name", key, row["district"])
        if unit is not None and unit.province_code != row["provinceCode"]:
            found.append(Difference("district-2024-province", unit.code, unit.province_code, row["provinceCode"]))
    for row in old_rows:
        if not row["wardCode"]:
            continue  # the island districts without communes
        key = (Era.Y2024, Kind.COMMUNE, row["wardCode"])
        unit = ours.get(key)
        if (
            unit is not None
            and unit.subtype != "phuong"
            and row["ward"].startswith("Phường")
            and (unit.parent_code == "754")
        ):
            found.append(Difference("district-2024-subtype", unit.code, unit.name, row["ward"]))
        else:
            name_diff("commune-2024-name", key, row["ward"])
        if unit is not None and unit.parent_code != row["districtCode"]:
            found.append(Difference("commune-2024-district", unit.code, unit.parent_code or "", row["districtCode"]))
    their_codes = {(Era.Y2025, r["wardCode"]) for r in new_rows} | {(Era.Y2024, r["wardCode"]) for r in old_rows}
    for era, kind, code in ours:
        if kind is Kind.COMMUNE and (era, code) not in their_codes:
            found.append(Difference(f"commune-{era.value}-only-ours", code, ours[(era, kind, code)].name, ""))
    found += _link_differences(old_rows, new_rows, ours)
    return sorted(found)


def _link_differences(
    old_rows: list[sqlite3.Row], new_rows: list[sqlite3.Row], ours: dict[tuple[Era, Kind, str], Any]
) -> list[Difference]:
    converter = json.loads((_site() / "converter_2025.json").read_text(encoding="utf-8"))
    old_by_key = {
        f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}": r["wardCode"] or r["districtCode"]
        for r in old_rows
    }
    new_by_key = {(r["provinceKey"], r["wardKey"]): r["wardCode"] for r in new_rows}
    theirs: set[tuple[str, str]] = set()
    for province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward, olds in wards.items():
            theirs |= {(old_by_key[old], new_by_key[(province, ward)]) for old in olds}
    for province, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, targets in olds.items():
            theirs |= {(old_by_key[old], new_by_key[(province, t["newWardKey"])]) for t in targets}
    mine = {(link.from_code, link.to_code) for link in succession.links() if link.to_kind is Kind.COMMUNE}
    by_target: dict[str, set[str]] = collections.defaultdict(set)
    for old, new in mine:
        by_target[new].add(old)

    def old_name(code: str) -> str:
        unit = ours.get((Era.Y2024, Kind.COMMUNE, code)) or ours.get((Era.Y2024, Kind.DISTRICT, code))
        return f"{unit.name} ({unit.province_code})"

    def new_name(code: str) -> str:
        return str(ours[(Era.Y2025, Kind.COMMUNE, code)].name)

    found = [
        Difference("link-only-ours", f"{old}→{new}", f"{old_name(old)} → {new_name(new)}", "")
        for old, new in sorted(mine - theirs)
    ]
    for old, new in sorted(theirs - mine):
        bare = _bare(old_name(old))
        namesake = any(_bare(old_name(o)) == bare for o in by_target[new] if o != old)
        category = "link-only-theirs-same-name" if namesake else "link-only-theirs-other"
        found.append(Difference(category, f"{old}→{new}", "", f"{old_name(old)} → {new_name(new)}"))
    return found


def _bare(label: str) -> str:
    return _comparable(label.rsplit(" (", 1)[0])


def render(found: list[Difference]) -> str:
    version = metadata.version(SECOND_SOURCE)
    counts = collections.Counter(d.category for d in found)
    lines = [
        "# Units: remaining differences with the second source",
        "",
        "<!-- Generated by `.venv/bin/python tests/units/units_crosscheck.py > docs/units-crosscheck.md`;",
        "     tests/units/test_units_crosscheck.py fails when this page and the data disagree. -->",
        "",
        f"Chiso's unit data (from `vietnam-provinces` 2026.9.0 and the patch list) compared with "
        f"`{SECOND_SOURCE}` {version} (MIT): the 34 provinces and 3,321 communes of 2025, the 63 provinces, "
        "696 districts and 10,035 communes before 1/7/2025, and the old→new commune links. Codes, parents and "
        "2025 commune names all agree; names are compared after folding tone placement (Hoà/Hòa), hyphens, "
        "apostrophes and the i/y ending. What remains:",
        "",
        "| category | count |",
        "|---|---:|",
    ]
    lines += [f"| {CATEGORIES.get(c, (c, ''))[0]} | {n} |" for c, n in sorted(counts.items())]
    for category in sorted(counts):
        title, reason = CATEGORIES.get(category, (category, "Not yet explained: investigate."))
        lines += ["", f"## {title}", "", reason, "", "| code | Chiso | second source |", "|---|---|---|"]
        lines += [f"| {d.code} | {d.ours} | {d.theirs} |" for d in found if d.category == category]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(differences()), end="")
