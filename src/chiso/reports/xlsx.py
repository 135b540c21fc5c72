"""The report's tables as a workbook: one sheet per table, Vietnamese headers, header frozen, numbers as
numbers (formatted, not text), so that an analyst can sort and sum them."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from chiso.reports.schemas import AnnualReport, Column, Table

_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")  # characters a sheet name may not hold


def number_format(column: Column) -> str:
    if column.kind == "year":
        return "0"
    if column.kind in ("int", "rank"):
        return "#,##0"
    if column.kind == "signed":
        return "+#,##0;-#,##0;0"
    if column.kind == "num":
        return "#,##0." + "0" * column.digits if column.digits else "#,##0"
    if column.kind == "pct":
        return "0." + "0" * column.digits + "%" if column.digits else "0%"
    if column.kind == "date":
        return "dd/mm/yyyy"
    return "@"


def sheet_name(table: Table, taken: set[str]) -> str:
    base = _FORBIDDEN.sub(" ", table.key)[:31].strip() or "Bảng"
    name, n = base, 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.casefold())
    return name


def render(report: AnnualReport) -> bytes:
    book = Workbook()
    about = book.active
    assert about is not None  # a new workbook has one sheet
    about.title = "Giới thiệu"
    about.append([report.title])
    about.append([f"Lập ngày {report.made_on:%d/%m/%Y} từ cơ sở dữ liệu Chiso"])
    if report.simulated:
        about.append(["Báo cáo có số liệu mô phỏng: không dùng để đánh giá chính thức."])
    about["A1"].font = Font(bold=True, size=14)
    taken = {about.title.casefold()}
    about.append([])
    about.append(["Bảng", "Nội dung"])
    for table in report.tables:
        sheet = book.create_sheet(sheet_name(table, taken))
        about.append([sheet.title, table.title])
        _fill(sheet, table)
    about.column_dimensions["A"].width = 32
    about.column_dimensions["B"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet, table: Table) -> None:  # type: ignore[no-untyped-def]
    sheet.append([c.header for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E2E8F0")
    for row in table.rows:
        sheet.append([None if isinstance(v, float) and v != v else v for v in row])
    for i, column in enumerate(table.columns, start=1):
        letter = get_column_letter(i)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
            cell.number_format = number_format(column)
        longest = max([len(column.header), *(len(str(v)) for v in (r[i - 1] for r in table.rows) if v is not None)])
        sheet.column_dimensions[letter].width = min(max(10, longest + 2), 70)
    sheet.freeze_panes = "A2"
    if table.note:
        sheet.cell(row=len(table.rows) + 3, column=1, value=table.note).font = Font(italic=True)
