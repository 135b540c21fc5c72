"""The open-data release of a published year: a Frictionless data package (datapackage.json + CSV).

What a province publishes for re-use: every published final result of the year (index, groups and
indicators per unit, with points and ranks), the figures those results were computed from — as the
published run read them, each with its source (declared, appraised, measured, imported) and whether it
is simulated — the framework's definitions (numbers, names, rules in words, weights and points, the
variables with their labels and units) and the units. The package says its licence and its sources, and
every table has a schema with types, keys and links, so `frictionless validate` checks it.

Only published runs go in: a release never shows a draft or an unapproved figure.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chiso import clock, csvsafe
from chiso.collection import service as collection
from chiso.collection.models import CollectionPeriod
from chiso.dashboard import data as dashboard_data
from chiso.dashboard.service import unit_name
from chiso.errors import NotFound
from chiso.framework.describe import display_code, label_of, rule_in_words
from chiso.framework.spec import Framework, Indicator
from chiso.permissions import PUBLIC, check
from chiso.results.models import ResultRun
from chiso.units.ref import UnitRef
from chiso.values import service as values_service

LICENCES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("Creative Commons Zero 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
}

# (name, type, description) per column; descriptions in Vietnamese then English, as the pages.
PERIODS = [
    ("period", "string", "Mã kỳ đánh giá / assessment period code"),
    ("year", "integer", "Năm đánh giá / year assessed"),
    ("era", "string", "Danh mục đơn vị hành chính (2024: trước, 2025: sau sắp xếp 1/7/2025) / unit era"),
    ("framework", "string", "Mã bộ chỉ số / framework code"),
    ("framework_name", "string", "Tên bộ chỉ số / framework name"),
    ("run", "integer", "Số hiệu lần tính kết quả đã công bố / published result run"),
    ("published_at", "datetime", "Thời điểm công bố (UTC) / when published"),
    ("units", "integer", "Số đơn vị được xếp hạng / units ranked"),
]
UNITS = [
    ("era", "string", "Danh mục đơn vị / unit era"),
    ("unit", "string", "Mã đơn vị chính thức / official unit code"),
    ("name", "string", "Tên đơn vị / unit name"),
]
NODES = [
    ("framework", "string", "Mã bộ chỉ số / framework code"),
    ("node", "string", "Mã chỉ số trong Chiso / node code"),
    ("number", "string", "Số thứ tự chính thức (4.22.10) / official number"),
    ("kind", "string", "indicator (chỉ số thành phần), aggregate (nhóm), view (góc nhìn) / node kind"),
    ("name", "string", "Tên / name (Vietnamese)"),
    ("name_en", "string", "Name (English)"),
    ("parent", "string", "Nhóm chứa / parent node"),
    ("weight", "number", "Trọng số trong nhóm / weight in its parent"),
    ("weight_provisional", "boolean", "Trọng số tạm thời / the weight is provisional"),
    ("max_points", "number", "Điểm tối đa / maximum points"),
    ("rule", "string", "Cách tính điểm / how it is scored (Vietnamese)"),
    ("rule_en", "string", "How it is scored (English)"),
]
VARIABLES = [
    ("framework", "string", "Mã bộ chỉ số / framework code"),
    ("variable", "string", "Mã số liệu / variable"),
    ("label", "string", "Tên số liệu / label (Vietnamese)"),
    ("label_en", "string", "Label (English)"),
    ("measure", "string", "Đơn vị tính / unit of measure"),
]
RESULTS = [
    ("period", "string", "Mã kỳ đánh giá / period"),
    ("era", "string", "Danh mục đơn vị / unit era"),
    ("unit", "string", "Mã đơn vị / unit code"),
    ("framework", "string", "Mã bộ chỉ số / framework"),
    ("node", "string", "Mã chỉ số / node"),
    ("value", "number", "Giá trị / value"),
    ("points", "number", "Điểm / points"),
    ("rank", "integer", "Hạng (cạnh tranh: 1, 2, 2, 4) / competition rank"),
]
VALUES = [
    ("period", "string", "Mã kỳ đánh giá / period"),
    ("era", "string", "Danh mục đơn vị / unit era"),
    ("unit", "string", "Mã đơn vị / unit code"),
    ("framework", "string", "Mã bộ chỉ số / framework"),
    ("variable", "string", "Mã số liệu / variable"),
    ("value", "number", "Số liệu / figure"),
    ("source", "string", "Nguồn: declared (đơn vị kê khai), measured (đo tự động), imported (nhập) / source"),
    ("simulated", "boolean", "Số liệu mô phỏng, không phải số liệu thật / simulated, not real"),
    ("version", "integer", "Phiên bản của số liệu / version of the figure"),
]


@dataclass
class Release:
    """A built release: its descriptor and its tables (rows of plain values)."""

    year: int
    descriptor: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def write(self, folder: Path) -> Path:
        """Write datapackage.json and data/*.csv into `folder`; returns the descriptor's path."""
        (folder / "data").mkdir(parents=True, exist_ok=True)
        for name, rows in self.tables.items():
            (folder / "data" / f"{name}.csv").write_bytes(_csv(name, rows))
        path = folder / "datapackage.json"
        path.write_text(json.dumps(self.descriptor, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("datapackage.json", json.dumps(self.descriptor, ensure_ascii=False, indent=1))
            for name, rows in self.tables.items():
                archive.writestr(f"data/{name}.csv", _csv(name, rows))
        return buffer.getvalue()


COLUMNS = {
    "periods": PERIODS,
    "units": UNITS,
    "nodes": NODES,
    "variables": VARIABLES,
    "results": RESULTS,
    "values": VALUES,
}


def _csv(name: str, rows: Sequence[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    columns = [c[0] for c in COLUMNS[name]]
    csvsafe.write(out, ({k: _cell(row.get(k)) for k in columns} for row in rows), columns, lineterminator="\n")
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back to the same float
    return value


def published_years(*, session: Session) -> list[int]:
    """Years with at least one published final run, newest first."""
    years = session.scalars(
        select(CollectionPeriod.year)
        .join(ResultRun, ResultRun.period_id == CollectionPeriod.id)
        .where(ResultRun.published.is_(True), ResultRun.variant == "final")
        .distinct()
    ).all()
    return sorted(set(years), reverse=True)


def build(*, session: Session, year: int, licence: str = "CC-BY-4.0", publisher: str = "") -> Release:
    """The release of `year`: every period of that year with a published final run."""
    check(PUBLIC, "results.view_published")
    if licence not in LICENCES:
        raise NotFound(f"unknown licence {licence!r}; licences: {', '.join(LICENCES)}")
    runs = _published_runs(session, year)
    if not runs:
        years = ", ".join(str(y) for y in published_years(session=session)) or "none"
        raise NotFound(f"no published results for {year}; published years: {years}")
    release = Release(year, {}, {name: [] for name in COLUMNS})
    frameworks: dict[str, Framework] = {}
    units_seen: set[tuple[str, str]] = set()
    for period, run in runs:
        framework = collection.framework_of(period)
        frameworks.setdefault(framework.code, framework)
        lines = dashboard_data.result_rows(session=session, actor=PUBLIC, period_code=period.code).rows
        units = sorted({line.unit_code for line in lines})
        release.tables["periods"].append(
            {
                "period": period.code,
                "year": period.year,
                "era": period.era,
                "framework": framework.code,
                "framework_name": framework.name,
                "run": run.id,
                "published_at": run.published_at.isoformat(timespec="seconds") if run.published_at else None,
                "units": len(units),
            }
        )
        for unit in units:
            if (period.era, unit) not in units_seen:
                units_seen.add((period.era, unit))
                release.tables["units"].append({"era": period.era, "unit": unit, "name": unit_name(unit, period.era)})
        release.tables["results"].extend(
            {
                "period": period.code,
                "era": period.era,
                "unit": line.unit_code,
                "framework": framework.code,
                "node": line.node,
                "value": line.value,
                "points": line.points,
                "rank": line.rank,
            }
            for line in lines
        )
        release.tables["values"].extend(_values_read(session, period, run, framework, units))
    for framework in frameworks.values():
        release.tables["nodes"].extend(_nodes(framework))
        release.tables["variables"].extend(_variables(framework))
    release.descriptor = _descriptor(session, release, frameworks.values(), licence, publisher)
    return release


def _published_runs(session: Session, year: int) -> list[tuple[CollectionPeriod, ResultRun]]:
    found = session.execute(
        select(CollectionPeriod, ResultRun)
        .join(ResultRun, ResultRun.period_id == CollectionPeriod.id)
        .where(CollectionPeriod.year == year, ResultRun.published.is_(True), ResultRun.variant == "final")
        .order_by(CollectionPeriod.code, ResultRun.id)
    ).all()
    latest: dict[int, tuple[CollectionPeriod, ResultRun]] = {}
    for period, run in found:
        latest[period.id] = (period, run)  # the last published final run of a period is its result
    return list(latest.values())


def _values_read(
    session: Session, period: CollectionPeriod, run: ResultRun, framework: Framework, units: Iterable[str]
) -> list[dict[str, Any]]:
    """The figures as the published run read them (the versions recorded before it was computed)."""
    wanted = set(framework.variables)
    rows = []
    for unit in units:
        read = values_service.as_of(
            session=session, unit=UnitRef(period.era, unit), period=period.value_period, at=run.computed_at
        )
        for variable in sorted(set(read) & wanted):
            v = read[variable]
            rows.append(
                {
                    "period": period.code,
                    "era": period.era,
                    "unit": unit,
                    "framework": framework.code,
                    "variable": variable,
                    "value": v.value,
                    "source": v.source,
                    "simulated": bool((v.lineage or {}).get("simulated")),
                    "version": v.version,
                }
            )
    return rows


def _nodes(framework: Framework) -> list[dict[str, Any]]:
    parents: dict[str, tuple[str, float, bool]] = {}
    for node in framework.nodes:
        for child in getattr(node, "children", ()):
            parents.setdefault(child.code, (node.code, child.weight, bool(getattr(child, "provisional", False))))
    out = []
    for node in framework.nodes:
        parent = parents.get(node.code)
        rule_vi, rule_en = rule_in_words(node, framework=framework) if isinstance(node, Indicator) else ("", "")
        out.append(
            {
                "framework": framework.code,
                "node": node.code,
                "number": display_code(node) if getattr(node, "number", None) else None,
                "kind": node.kind,
                "name": node.name,
                "name_en": node.name_en,
                "parent": parent[0] if parent else None,
                "weight": parent[1] if parent else None,
                "weight_provisional": parent[2] if parent else None,
                "max_points": node.max_points,
                "rule": rule_vi,
                "rule_en": rule_en,
            }
        )
    return out


def _variables(framework: Framework) -> list[dict[str, Any]]:
    out = []
    for variable in framework.variables:
        try:
            spec = framework.variable(variable)
            measure = spec.unit
        except KeyError:
            measure = ""
        out.append(
            {
                "framework": framework.code,
                "variable": variable,
                "label": label_of(framework, variable, "vi"),
                "label_en": label_of(framework, variable, "en"),
                "measure": measure,
            }
        )
    return out


def _schema(name: str) -> dict[str, Any]:
    types = {"datetime": "datetime"}
    fields = [{"name": c, "type": types.get(t, t), "description": d} for c, t, d in COLUMNS[name]]
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    keys = {
        "periods": ["period"],
        "units": ["era", "unit"],
        "nodes": ["framework", "node"],
        "variables": ["framework", "variable"],
        "results": ["period", "unit", "node"],
        "values": ["period", "unit", "variable"],
    }
    schema["primaryKey"] = keys[name]
    links = {
        "results": [
            {"fields": ["period"], "reference": {"resource": "periods", "fields": ["period"]}},
            {"fields": ["era", "unit"], "reference": {"resource": "units", "fields": ["era", "unit"]}},
            {"fields": ["framework", "node"], "reference": {"resource": "nodes", "fields": ["framework", "node"]}},
        ],
        "values": [
            {"fields": ["period"], "reference": {"resource": "periods", "fields": ["period"]}},
            {"fields": ["era", "unit"], "reference": {"resource": "units", "fields": ["era", "unit"]}},
            {
                "fields": ["framework", "variable"],
                "reference": {"resource": "variables", "fields": ["framework", "variable"]},
            },
        ],
    }
    if name in links:
        schema["foreignKeys"] = links[name]
    return schema


TITLES = {
    "periods": "Các kỳ đánh giá đã công bố / published assessment periods",
    "units": "Đơn vị được đánh giá / units assessed",
    "nodes": "Định nghĩa chỉ số / the frameworks' nodes",
    "variables": "Định nghĩa số liệu đầu vào / input variables",
    "results": "Kết quả: giá trị, điểm, hạng / results: value, points, rank",
    "values": "Số liệu đầu vào như khi tính kết quả công bố / input figures as the published run read them",
}


def _descriptor(
    session: Session, release: Release, frameworks: Iterable[Framework], licence: str, publisher: str
) -> dict[str, Any]:
    title, path = LICENCES[licence]
    values = release.tables["values"]
    simulated = sum(1 for v in values if v["simulated"])
    by_source: dict[str, int] = {}
    for v in values:
        by_source[v["source"]] = by_source.get(v["source"], 0) + 1
    sources = [{"title": f"{f.name} — {f.provenance.decision}" if f.provenance else f.name} for f in frameworks]
    return {
        "name": f"chiso-ket-qua-chuyen-doi-so-{release.year}",
        "title": f"Kết quả đánh giá chuyển đổi số năm {release.year} / digital transformation results {release.year}",
        "description": (
            "Kết quả đã công bố (chỉ số, nhóm, chỉ số thành phần: giá trị, điểm, hạng), số liệu đầu vào như khi "
            "tính kết quả, định nghĩa bộ chỉ số và đơn vị. Cột `source` của bảng values cho biết số liệu do đơn vị "
            "kê khai (declared), đo tự động (measured) hay nhập (imported); cột `simulated` đánh "
            f"dấu số liệu mô phỏng ({simulated}/{len(values)} số liệu). / Published results, the figures they "
            "were computed from (source and simulated flag per figure), the frameworks' definitions and units."
        ),
        "version": "1.0.0",
        "created": clock.of(session).now().isoformat(timespec="seconds"),
        "licenses": [{"name": licence, "title": title, "path": path}],
        "contributors": [{"title": publisher or "Chiso", "role": "publisher"}],
        "sources": sources,
        "keywords": ["chuyển đổi số", "digital transformation", "DTI", str(release.year)],
        "chiso": {"values_by_source": by_source, "simulated_values": simulated},
        "resources": [
            {
                "name": name,
                "title": TITLES[name],
                "path": f"data/{name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": _schema(name),
            }
            for name in COLUMNS
        ],
    }
