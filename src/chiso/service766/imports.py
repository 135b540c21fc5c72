"""Declared 766 figures from a spreadsheet (XLSX or CSV): one row per unit, period and input.

Columns (Vietnamese or English headers, in any order): Mã đơn vị / unit (01840, 19-SKHCN, 19), Kỳ /
period (2025-09 or 2025), Chỉ tiêu / variable (feedback_on_time …; `inputs()` lists them), Giá trị /
value (a count), and optionally Thành phần / component (5.1, checked against the variable) and Ghi chú /
note. All or nothing: every row is read and checked, every problem is listed with its row and column,
and only a file without any problem is declared (`declarations.declare`).

The template (`template.py`) adds Phiên bản / version: the version of each figure when the template was
made (blank: none). A file with that column is read as the web form is: a blank Giá trị leaves the
figure as it is, and a figure someone changed since the template was made is a conflict, nothing
written, rather than overwritten with the template's older figure. Other columns (Tên đơn vị, Tên chỉ
tiêu) are for the reader and are not read.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from chiso import numbers
from chiso.errors import ChisoError
from chiso.permissions import Actor
from chiso.service766 import declarations
from chiso.service766.declarations import Declared, Problem
from chiso.service766.schemas import DeclarationIn
from chiso.workbooks import FileRefused, csv_reader, opened

SHEET = "Tự khai 766"
# (key, Vietnamese header, English header); a file may use either, or the key itself
COLUMNS = (
    ("unit", "Mã đơn vị", "Unit"),
    ("period", "Kỳ", "Period"),
    ("component", "Thành phần", "Component"),
    ("variable", "Chỉ tiêu", "Variable"),
    ("value", "Giá trị", "Value"),
    ("note", "Ghi chú", "Note"),
    ("version", "Phiên bản", "Version"),
)
REQUIRED = ("unit", "period", "variable", "value")
VI_HEADER = {key: vi for key, vi, _en in COLUMNS}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


HEADERS = {_fold(h): key for key, vi, en in COLUMNS for h in (key, vi, en)}


def read_rows(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], set[str]]:
    """(row number, {column key: cell}) of every non-empty row, and the columns the file has; numbers in
    an XLSX stay numbers."""
    suffix = path.suffix.lower()
    table: list[list[Any]]
    if suffix == ".csv":
        with csv_reader(path) as reader:
            header = list(reader.fieldnames or [])
            table = [header, *[[row.get(h) or "" for h in header] for row in reader]]
    elif suffix == ".xlsx":
        with opened(path) as wb:
            sheet = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
            table = [["" if v is None else v for v in r] for r in sheet.iter_rows(values_only=True)]
    else:
        raise FileRefused(path, "chỉ nhận tệp .xlsx hoặc .csv", "only .xlsx or .csv files are read")
    header, rows = (table[0], table[1:]) if table else ([], [])
    keys = [HEADERS.get(_fold(str(h or ""))) for h in header]
    missing = [VI_HEADER[k] for k in REQUIRED if k not in keys]
    if missing:
        expected = [f"{VI_HEADER[k]} ({k})" for k in REQUIRED]
        raise ChisoError.of("s766.columns", field="file", columns=missing, expected=expected)
    found = []
    for n, cells in enumerate(rows, start=2):  # as the spreadsheet numbers them: 1 is the header
        record = {k: (c.strip() if isinstance(c, str) else c) for k, c in zip(keys, cells, strict=False) if k}
        if any(v not in ("", None) for v in record.values()):
            found.append((n, record))
    return found, {k for k in keys if k}


@dataclass(frozen=True)
class Parsed:
    """A file's rows as declarations, the problems of rows that cannot be one, and (a template) the
    version each figure was read at."""

    items: list[DeclarationIn]
    problems: list[Problem]
    expected: dict[tuple[str, str, str], int]


def parse_rows(rows: list[tuple[int, dict[str, Any]]], note: str, *, versioned: bool = False) -> Parsed:
    """Each row as a declaration, and the problems of rows that cannot be one (no value, not a number,
    a component that does not read the variable); the declarations are checked further by `declare`.
    `versioned` (the file has the Phiên bản column): a row without a value is skipped, and each figure
    carries the version it was read at."""
    made: list[DeclarationIn] = []
    problems: list[Problem] = []
    expected: dict[tuple[str, str, str], int] = {}
    for n, row in rows:
        if versioned and row.get("value") in ("", None):
            continue  # left blank in the template: the figure stays as it is
        version, wrong = _version(n, row.get("version"))
        if wrong is not None:
            problems.append(wrong)
        value, problem = _number(n, row.get("value"))
        if problem is not None:
            problems.append(problem)
        component = str(row.get("component") or "")
        variable = str(row.get("variable") or "")
        mismatch = _component_problem(n, component, variable)
        if mismatch is not None:
            problems.append(mismatch)
        if value is None:
            continue
        try:
            item = DeclarationIn(
                unit_code=_code(row.get("unit")),
                period=_code(row.get("period")),
                variable=variable,
                value=value,
                row=n,
                note=" · ".join(x for x in (f"{note}, dòng {n}", str(row.get("note") or "")) if x),
            )
        except ValidationError as exc:
            for error in exc.errors():
                field = {"unit_code": "unit"}.get(str(error["loc"][0]), str(error["loc"][0]))
                code = {"unit": "s766.unit-unknown", "period": "s766.period-invalid"}.get(
                    field, "s766.variable-unknown"
                )
                params = {"unit": row.get("unit"), "period": row.get("period"), "variable": variable}
                params["known"] = list(declarations.inputs())
                problems.append(Problem(n, field, code, params))
            continue
        made.append(item)
        if versioned and version is not None:
            expected[item.key] = version
    return Parsed(made, problems, expected)


def _code(cell: Any) -> str:
    """A code as written: an XLSX may hold 2025 or 19 as a number."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell if cell is not None else "").strip()


def _version(row: int, cell: Any) -> tuple[int | None, Problem | None]:
    """The version a template's row was read at: blank is none yet (0)."""
    if cell in ("", None):
        return 0, None
    if isinstance(cell, int | float) and not isinstance(cell, bool) and float(cell).is_integer() and cell >= 0:
        return int(cell), None
    if isinstance(cell, str) and cell.strip().isdigit():
        return int(cell.strip()), None
    return None, Problem(row, "version", "s766.version-invalid", {"version": cell})


def _number(row: int, cell: Any) -> tuple[float | None, Problem | None]:
    if cell in ("", None):
        return None, Problem(row, "value", "s766.value-missing", {})
    if isinstance(cell, bool):
        return None, Problem(
            row, "value", "s766.value-invalid", {"value": cell, "problem": "không phải số / not a number"}
        )
    if isinstance(cell, int | float):
        return float(cell), None
    try:
        value = numbers.parse(str(cell))
    except numbers.NumberRefused as exc:
        return None, Problem(row, "value", "s766.value-invalid", {"value": cell, "problem": str(exc)})
    return value, None


def _component_problem(row: int, component: str, variable: str) -> Problem | None:
    spec = declarations.inputs().get(variable)
    if not component or spec is None:
        return None
    code = declarations.component_of(component)
    if code in spec.components:
        return None
    expected = [declarations.number_of(c) for c in spec.components]
    return Problem(
        row,
        "component",
        "s766.component-mismatch",
        {"component": component, "variable": variable, "expected": expected},
    )


def import_file(*, session: Session, path: Path, actor: Actor, source_name: str = "") -> Declared:
    """Declare every figure of the file, or none: DeclarationRefused lists every problem by row."""
    rows, columns = read_rows(path)
    name = source_name or path.name
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    parsed = parse_rows(rows, note=f"{name} (sha256 {digest}…)", versioned="version" in columns)
    if not parsed.items and not parsed.problems:  # no row, or a template with every value left blank
        raise ChisoError.of("s766.empty", field="file")
    return declarations.declare(
        session=session,
        items=parsed.items,
        actor=actor,
        expected=parsed.expected,
        refused=parsed.problems,
        columns=VI_HEADER,
    )
