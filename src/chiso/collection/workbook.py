"""The XLSX declaration template: one row per indicator, Vietnamese headers, validated cells, and a
hidden sheet saying which framework (and its hash), unit and period the file is for."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from chiso.framework import Framework, Indicator
from chiso.framework.describe import rule_in_words
from chiso.framework.spec import BooleanRule, TiersRule
from chiso.workbooks import opened, read_meta, survey, write_meta

SHEET = "Kê khai"
SCHEMA = "chiso/declaration-template"
FIRST_ROW = 3
MAX_INPUTS = 2
HEADERS = (
    ("code", "Mã"),
    ("name", "Tên chỉ số"),
    ("max_points", "Điểm tối đa"),
    ("rule", "Cách tính"),
    ("required", "Minh chứng yêu cầu"),
    ("var1", "Số liệu 1: biến"),
    ("value1", "Số liệu 1: giá trị"),
    ("var2", "Số liệu 2: biến"),
    ("value2", "Số liệu 2: giá trị"),
    ("self_score", "Tự chấm điểm"),
    ("explanation", "Giải trình"),
    ("evidence", "Minh chứng: số hiệu – ngày – trích yếu"),
    ("files", "Tệp minh chứng (tên tệp, cùng thư mục)"),
    ("state", "Trạng thái"),
    ("comment", "Ý kiến thẩm định"),
)
COLUMN = {key: get_column_letter(i + 1) for i, (key, _) in enumerate(HEADERS)}
LABEL = dict(HEADERS)
EDITABLE = ("value1", "value2", "self_score", "explanation", "evidence", "files")
GREY = PatternFill("solid", fgColor="EEEEEE")
INPUT = PatternFill("solid", fgColor="FFF9E5")


@dataclass
class Record:
    """One row of a declaration file: its place, its indicator and its raw cells (field → value, label)."""

    sheet: str
    row: int | None
    indicator: str
    fields: dict[str, tuple[Any, str]] = field(default_factory=dict)


@dataclass
class RowData:
    """What the template shows for an indicator (current declaration, if any)."""

    values: dict[str, float | None] = field(default_factory=dict)
    self_score: float | None = None
    explanation: str = ""
    evidence: str = ""
    state: str = "draft"
    comment: str = ""


def write_template(
    path: Path,
    framework: Framework,
    meta: dict[str, str],
    title: str,
    rows: dict[str, RowData],
) -> None:
    wb = Workbook()
    try:
        ws = wb.active
        assert ws is not None
        ws.title = SHEET
        ws["A1"] = title
        ws["A1"].font = Font(bold=True, size=13)
        for i, (_, label) in enumerate(HEADERS, start=1):
            cell = ws.cell(row=2, column=i, value=label)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        validations: dict[tuple[str, str, str], DataValidation] = {}

        def validate(kind: str, operator: str, formula: str, ref: str, prompt: str) -> None:
            key = (kind, operator, formula)
            if key not in validations:
                dv = DataValidation(
                    type=kind,
                    operator=operator or None,
                    formula1=formula if kind == "list" else formula.split(",")[0],
                    formula2=formula.split(",")[1] if operator == "between" else None,
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle="Giá trị không hợp lệ",
                    error=prompt,
                )
                ws.add_data_validation(dv)
                validations[key] = dv
            validations[key].add(ref)

        # The unit's own items: in a shared declaration (PeriodOpen.assigned) a unit has only some of them.
        own = [ind for ind in framework.indicators if ind.code in rows] if rows else list(framework.indicators)
        for r, ind in enumerate(own, start=FIRST_ROW):
            data = rows.get(ind.code, RowData())
            vi, _ = rule_in_words(ind, framework.pipeline.normalise)
            cells: dict[str, Any] = {
                "code": ind.code,
                "name": ind.name,
                "max_points": ind.max_points,
                "rule": vi,
                "required": ind.evidence,
                "self_score": data.self_score,
                "explanation": data.explanation,
                "evidence": data.evidence,
                "state": data.state,
                "comment": data.comment,
            }
            for n, var in enumerate(ind.variables[:MAX_INPUTS], start=1):
                cells[f"var{n}"] = var
                cells[f"value{n}"] = data.values.get(var)
                ref = f"{COLUMN[f'value{n}']}{r}"
                kind, operator, formula, prompt = _value_check(ind, var)
                validate(kind, operator, formula, ref, prompt)
            for key, value in cells.items():
                ws[f"{COLUMN[key]}{r}"] = value
            for key in COLUMN:
                editable = key in EDITABLE and (not key.startswith("value") or cells.get(f"var{key[-1]}"))
                ws[f"{COLUMN[key]}{r}"].fill = INPUT if editable else GREY
                ws[f"{COLUMN[key]}{r}"].alignment = Alignment(wrap_text=True, vertical="top")
            top = ind.max_points if ind.max_points is not None else 1e9
            validate("decimal", "between", f"0,{top:g}", f"{COLUMN['self_score']}{r}", f"Từ 0 đến {top:g} điểm")
        widths = {"A": 10, "B": 45, "C": 8, "D": 40, "E": 40, "F": 22, "G": 12, "H": 22, "I": 12, "J": 10}
        for letter, width in {**widths, "K": 30, "L": 45, "M": 25, "N": 12, "O": 30}.items():
            ws.column_dimensions[letter].width = width
        ws.freeze_panes = "C3"
        write_meta(wb, SCHEMA, meta)
        wb.save(path)
    finally:
        wb.close()


def _value_check(ind: Indicator, var: str) -> tuple[str, str, str, str]:
    rule = ind.scoring
    if var == ind.rule_variables[0] and isinstance(rule, TiersRule):
        levels = ",".join(f"{t.value:g}" for t in rule.levels)
        return ("list", "", f'"{levels}"', f"Chọn một mức: {levels}")
    if var == ind.rule_variables[0] and isinstance(rule, BooleanRule):
        return ("list", "", '"0,1"', "1 = có, 0 = không")
    return ("decimal", "greaterThanOrEqual", "0", "Số không âm")


def read_workbook(path: Path, framework: Framework) -> tuple[dict[str, str], list[Record], list[str]]:
    """(metadata, records, problems with the file's shape) of a filled template; FileRefused when the
    file is no workbook or too large to load."""
    if SHEET not in survey(path):
        return {}, [], [f"no sheet {SHEET!r}: this is not a Chiso declaration template"]
    with opened(path, surveyed=True) as wb:
        meta = read_meta(wb)
        ws = wb[SHEET]
        shape = []
        for i, (key, label) in enumerate(HEADERS, start=1):
            found = ws.cell(row=2, column=i).value
            if key in ("code", *EDITABLE) and str(found or "").strip() != label:
                shape.append(f"{SHEET}!{COLUMN[key]}2: expected the header {label!r}, found {found!r}")
        records = []
        for r, row in enumerate(ws.iter_rows(min_row=FIRST_ROW, values_only=True), start=FIRST_ROW):
            cells = dict(zip(COLUMN, row, strict=False))
            code = str(cells.get("code") or "").strip()
            if not code:
                continue
            record = Record(SHEET, r, code)
            variables = _variables(framework, code)
            for n, var in enumerate(variables[:MAX_INPUTS], start=1):
                record.fields[f"value:{var}"] = (
                    cells.get(f"value{n}"),
                    f"{COLUMN[f'value{n}']} ({LABEL[f'value{n}']})",
                )
            for key in ("self_score", "explanation", "evidence", "files"):
                record.fields[key] = (cells.get(key), f"{COLUMN[key]} ({LABEL[key]})")
            records.append(record)
        return meta, records, shape


def _variables(framework: Framework, code: str) -> tuple[str, ...]:
    try:
        node = framework.node(code)
    except KeyError:
        return ()
    return node.variables if isinstance(node, Indicator) else ()
