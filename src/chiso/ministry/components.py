"""A component list (the Ministry's collection form of a year) → a component-level framework.

The file has one row per component indicator: its main indicator, code, name, unit, how it is
measured, maximum points, the evidence required and the department that leads it (columns in
docs/ministry.md; headers in Vietnamese or English, accents optional; unknown columns are kept). It is
checked against the shipped method of the year: the main indicators named must be the method's, and the
number of components and the points of each main indicator must agree with it. Every problem is listed,
and nothing is written while one remains.

The framework made from it keeps the shipped structure above the components (the index, the main
indicators' weights, the pillar views), so the estimate uses the shipped formulas. The components'
formulas are not published: each is scored by people (`assessed`), the department's self-score and
then the appraisal of the province's DX office.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chiso import numbers, units
from chiso.collection.schemas import Problem
from chiso.errors import ChisoError
from chiso.framework import Aggregate, Framework, Indicator, View, parse_framework
from chiso.framework.spec import AssessedRule, Child, Provenance
from chiso.national import service as national

# field → accepted headers (compared without accents, case or spacing); the first is the one written.
HEADERS: dict[str, tuple[str, ...]] = {
    "main": ("Chỉ số chính", "main indicator", "main"),
    "code": ("Mã", "Mã chỉ số", "code"),
    "name": ("Tên chỉ số thành phần", "Tên chỉ số", "Tên", "name"),
    "unit": ("Đơn vị tính", "unit"),
    "how_measured": ("Cách đo", "Cách tính", "how measured"),
    "max_points": ("Điểm tối đa", "max points"),
    "evidence": ("Minh chứng yêu cầu", "Minh chứng", "Tài liệu kiểm chứng", "evidence required", "evidence"),
    "lead": ("Đơn vị chủ trì", "lead unit", "lead department", "lead"),
}
REQUIRED = ("main", "code", "name", "max_points", "lead")


def plain(text: str) -> str:
    """Lower case, no accents, single spaces: "Điểm  tối đa" → "diem toi da"."""
    folded = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[\s_]+", " ", folded).strip().lower()


def framework_code(year: int) -> str:
    return f"dti-components-{year}"


@functools.lru_cache(maxsize=4)
def _methods() -> dict[str, Any]:
    text = (resources.files("chiso.ministry.data") / "methods.yaml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@dataclass(frozen=True)
class Method:
    """What the component list of a year must agree with: the shipped method and its public structure."""

    framework: Framework
    decision: str
    components: int
    per_main: Mapping[str, int]

    @property
    def mains(self) -> list[Aggregate]:
        index = self.framework.node(self.framework.index)
        assert isinstance(index, Aggregate)
        return [self.framework.node(c.code) for c in index.children]  # type: ignore[misc]


def method(year: int) -> Method:
    fw = national.framework(year)
    data = _methods().get(fw.code)
    if data is None:
        raise ChisoError(
            f"không có cấu trúc chỉ số thành phần của phương pháp {fw.code} (năm {year}) / the component"
            f" structure of {fw.code} (year {year}) is not known; years from 2022 have one"
        )
    return Method(fw, data["decision"], int(data["components"]), dict(data.get("per_main") or {}))


class Row(BaseModel):
    """One component as the file gives it, checked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    main: str = Field(description="Code of the main indicator in the shipped method.")
    number: str = Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z]+(?:[.\-][0-9A-Za-z]+)*$")
    name: str = Field(min_length=1)
    unit: str = ""
    how_measured: str = ""
    max_points: float = Field(ge=0)
    evidence: str = ""
    lead: str = Field(description="Official code of the lead department (era 2025).")

    @property
    def code(self) -> str:
        return component_code(self.number)


def component_code(number: str) -> str:
    """The indicator's code for a component number: 1.1 → tp1_1, CQS-01 → tp_cqs_01."""
    slug = re.sub(r"[.\-]", "_", number.lower())
    return f"tp{slug}" if slug[:1].isdigit() else f"tp_{slug}"


@dataclass
class ComponentFile:
    """The rows of a component list as read: the headers in order, each row's cells as text, and the
    checked components (when the file has no problems)."""

    columns: list[str]
    cells: list[dict[str, str]]
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(
    records: Sequence[Mapping[str, Any]], columns: Sequence[str], *, year: int, province: str, sheet: str = ""
) -> ComponentFile:
    """Check the rows against the year's method and the province's departments; every problem listed."""
    out = ComponentFile([str(c) for c in columns], [{str(k): _text(v) for k, v in r.items()} for r in records])
    where = {plain(h): f for f, names in HEADERS.items() for h in names}
    found: dict[str, str] = {}
    for header in out.columns:
        name = where.get(plain(header))
        if name and name not in found:
            found[name] = header
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        for f in missing:
            out.problems.append(
                Problem(
                    f"thiếu cột «{HEADERS[f][0]}» / the column «{HEADERS[f][0]}» ({HEADERS[f][-1]}) is missing;"
                    f" columns read: {', '.join(out.columns) or 'none'}",
                    sheet=sheet,
                )
            )
        return out
    spec = method(year)
    mains = _main_names(spec)
    leads = _departments(province)
    seen: dict[str, int] = {}
    for i, cells in enumerate(out.cells, start=2):
        if not any(cells.values()):
            continue

        def problem(message: str, f: str, row: int = i) -> None:
            out.problems.append(Problem(message, sheet=sheet, row=row, column=found.get(f, f)))

        raw = {f: cells.get(found[f], "") if f in found else "" for f in HEADERS}
        main = mains.get(plain(raw["main"]))
        if main is None:
            known = "; ".join(f"{n} ({i})" for i, n in enumerate((m.name for m in spec.mains), start=1))
            problem(f"«{raw['main']}» không phải chỉ số chính của phương pháp / not a main indicator: {known}", "main")
        lead = leads.get(plain(raw["lead"]))
        if lead is None:
            problem(
                f"«{raw['lead']}» không phải sở, ngành của tỉnh {province} / not a department of the province;"
                " ghi mã (19-SKHCN) hoặc tên (Sở Khoa học và Công nghệ) / write its code or name"
                " (chiso units list --kind department --province " + province + ")",
                "lead",
            )
        try:
            points: float | None
            given = records[i - 2].get(found["max_points"])
            if isinstance(given, int | float) and not isinstance(given, bool) and given == given:
                points = float(given)  # a number cell of a workbook: no notation to read
            else:
                points = numbers.parse(raw["max_points"]) if raw["max_points"] else None
        except numbers.NumberRefused as exc:
            problem(str(exc), "max_points")
            continue
        if points is None:
            problem("thiếu điểm tối đa / max points missing", "max_points")
            continue
        if main is None or lead is None:
            continue
        try:
            row = Row(
                main=main,
                number=raw["code"],
                name=raw["name"],
                unit=raw["unit"],
                how_measured=raw["how_measured"],
                max_points=points,
                evidence=raw["evidence"],
                lead=lead,
            )
        except ValidationError as exc:
            for error in exc.errors():
                f = {"number": "code"}.get(str(error["loc"][0]), str(error["loc"][0]))
                problem(f"«{raw.get(f, '')}»: giá trị không hợp lệ / invalid value: {error['msg']}", f)
            continue
        if row.code in seen:
            problem(
                f"mã {row.number} trùng với dòng {seen[row.code]} (Excel đổi 1.10 thành 1.1 nếu cột không"
                f" định dạng văn bản) / code repeated (row {seen[row.code]}; Excel turns 1.10 into 1.1 unless"
                " the column is text)",
                "code",
            )
            continue
        seen[row.code] = i
        out.rows.append(row)
    if not out.problems:
        out.problems.extend(agreement(spec, out.rows))
    return out


def _main_names(spec: Method) -> dict[str, str]:
    """A main indicator by its position (1–9), its code or its name."""
    out: dict[str, str] = {}
    for i, node in enumerate(spec.mains, start=1):
        for name in (str(i), node.code, node.name, node.name_en):
            if name:
                out[plain(name)] = node.code
    return out


def _departments(province: str) -> dict[str, str]:
    """A department of the province by its code, its code without the province (SKHCN) or its name."""
    out: dict[str, str] = {}
    for unit in units.list_units(era="2025", kind="department", province=province):
        for name in (unit.code, unit.code.split("-", 1)[-1], unit.name):
            out[plain(name)] = unit.code
    return out


def agreement(spec: Method, rows: Sequence[Row]) -> list[Problem]:
    """Every way the components disagree with the method: counts and points per main indicator, total."""
    problems = []
    for node in spec.mains:
        mine = [r for r in rows if r.main == node.code]
        expected = spec.per_main.get(node.code)
        if expected is not None and len(mine) != expected:
            problems.append(
                Problem(
                    f"{node.name}: {len(mine)} chỉ số thành phần, phương pháp có {expected}"
                    f" / {len(mine)} components, the method has {expected}",
                    indicator=node.code,
                )
            )
        points = sum(r.max_points for r in mine)
        if abs(points - (node.max_points or 0)) > 1e-9:
            problems.append(
                Problem(
                    f"{node.name}: tổng điểm tối đa {numbers.format(points)}, phương pháp có"
                    f" {numbers.format(node.max_points or 0)} / max points add up to {points:g},"
                    f" the method has {node.max_points or 0:g}",
                    indicator=node.code,
                )
            )
    if len(rows) != spec.components:
        problems.append(
            Problem(
                f"{len(rows)} chỉ số thành phần, phương pháp có {spec.components} ({spec.decision})"
                f" / {len(rows)} components, the method has {spec.components}"
            )
        )
    return problems


def compose(*, year: int, province: str, rows: Sequence[Row], source: str, note: str = "") -> Framework:
    """The component-level framework: the shipped index and views, main indicators as the points share
    of their components, each component scored by people (`assessed`)."""
    spec = method(year)
    shipped = spec.framework
    nodes: list[Any] = []
    index = shipped.node(shipped.index)
    nodes.append(index.model_dump(mode="json", exclude_defaults=True, by_alias=True))
    for position, main in enumerate(spec.mains, start=1):
        mine = [r for r in rows if r.main == main.code]
        top = numbers.format(main.max_points or 0)
        nodes.append(
            Aggregate(
                kind="aggregate",
                code=main.code,
                number=str(position),
                name=main.name,
                name_en=main.name_en,
                description=f"{len(mine)} chỉ số thành phần; tỷ lệ điểm đạt được trên {top} điểm.",
                max_points=main.max_points,
                method="sum",
                output="share" if main.max_points else "points",  # smart city (922): 0 points, not shared
                missing="zero",
                children=tuple(Child(code=r.code) for r in mine),
            ).model_dump(mode="json", exclude_defaults=True)
            if mine
            else main.model_dump(mode="json", exclude_defaults=True)
        )
    names = {u.code: u.name for u in units.list_units(era="2025", kind="department", province=province)}
    for r in rows:
        nodes.append(
            Indicator(
                kind="indicator",
                code=r.code,
                number=r.number,
                name=r.name,
                unit=r.unit,
                description=r.how_measured,
                evidence=r.evidence,
                source=f"Đơn vị chủ trì / lead: {names.get(r.lead, r.lead)} ({r.lead})",
                max_points=r.max_points,
                inputs=(r.code,),
                scoring=AssessedRule(rule="assessed"),
                treat=False,
            ).model_dump(mode="json", exclude_defaults=True)
        )
    nodes.extend(
        n.model_dump(mode="json", exclude_defaults=True, by_alias=True) for n in shipped.nodes if isinstance(n, View)
    )
    province_name = next((u.name for u in units.find(province, era="2025")), province)
    document = {
        "schema": "chiso/framework",
        "version": 1,
        "code": framework_code(year),
        "edition": str(year),
        "name": f"Chỉ số thành phần DTI cấp tỉnh năm {year} — {province_name}" + (f" ({note})" if note else ""),
        "name_en": f"Provincial DTI component indicators, {year}",
        "description": f"{len(rows)} chỉ số thành phần theo danh mục «{source}»"
        + (f" — {note}" if note else "")
        + f"; cấu trúc chỉ số chính và trụ cột theo bộ {shipped.code}.",
        "provenance": Provenance(
            decision=shipped.provenance.decision,
            notes=f"Components from the list {source}{' (' + note + ')' if note else ''}; main indicators,"
            f" their weights and the pillar views from the shipped {shipped.code}. The components' formulas"
            " are not published: each is scored by the lead department and appraised (`assessed`).",
        ).model_dump(),
        "index": shipped.index,
        "nodes": nodes,
    }
    return parse_framework(document, f"{framework_code(year)} ({source})")
