"""The appraisal sheet as XLSX: one row per item of one unit or of every unit of a period.

Vietnamese headers (English below them when asked), the framework's numbers and names, figures with
their labels and units, self-score, the points from the figures, the difference and the appraised
score as numbers with a number format, the header frozen.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from chiso.collection.workspace import Figure, Sheet
from chiso.numbers import format as format_number

SHEET = "Thẩm định"
HEADER_ROW = 3
POINTS = "#,##0.00"
COLUMNS: tuple[tuple[str, str, int], ...] = (  # (Vietnamese, English, width)
    ("Đơn vị", "Unit", 28),
    ("Nhóm", "Group", 26),
    ("Số TT", "No.", 8),
    ("Chỉ số", "Indicator", 50),
    ("Trạng thái", "State", 14),
    ("Số liệu kê khai", "Declared figures", 48),
    ("Điểm tối đa", "Max points", 10),
    ("Tự chấm", "Self-score", 10),
    ("Điểm theo số liệu", "Points from figures", 12),
    ("Chênh lệch", "Difference", 11),
    ("Điểm thẩm định", "Appraised score", 11),
    ("Ý kiến thẩm định", "Appraiser's comment", 40),
    ("Giải trình", "Explanation", 32),
    ("Minh chứng (số hiệu – ngày – trích yếu)", "Evidence (number – date – summary)", 50),
    ("Cảnh báo", "Warnings", 40),
)
NUMBERS = (7, 8, 9, 10, 11)  # 1-based columns holding points
GREY = PatternFill("solid", fgColor="EEEEEE")


def figure_text(figure: Figure, lang: str = "vi") -> str:
    """`Số thuê bao …: 1.234 thuê bao`, a share as a percentage, a level or yes/no by its label."""
    label = figure.label_en if lang == "en" else figure.label
    if figure.value is None:
        return f"{label}: –"
    if figure.option:
        return f"{label}: {figure.option_en if lang == 'en' else figure.option}"
    if figure.kind == "boolean":
        yes = figure.value != 0
        return f"{label}: {('Yes' if yes else 'No') if lang == 'en' else ('Có' if yes else 'Không')}"
    if figure.kind == "share":
        return f"{label}: {format_number(round(figure.value * 100, 2), lang=lang)} %"
    unit = f" {figure.unit}" if figure.unit and figure.unit != "%" else (" %" if figure.unit == "%" else "")
    return f"{label}: {format_number(round(figure.value, 4), lang=lang)}{unit}"


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def write(sheets: Sequence[Sheet], *, title: str, state_label: Callable[[str], str], lang: str = "vi") -> bytes:
    """The workbook's bytes: a title row, the subject row, the headers (frozen), one row per item."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=13)
    units = ", ".join(s.unit_name for s in sheets[:3]) + (f" … (+{len(sheets) - 3})" if len(sheets) > 3 else "")
    ws.cell(row=2, column=1, value=f"{'Units' if lang == 'en' else 'Đơn vị'}: {units or '–'}")
    for i, (vi, en, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=i, value=f"{vi}\n{en}" if lang == "en" else vi)
        cell.font = Font(bold=True)
        cell.fill = GREY
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(i)].width = width
    row = HEADER_ROW
    for s in sheets:
        for group in s.groups:
            group_name = group.name_en if lang == "en" else group.name
            for item in group.items:
                row += 1
                evidence = "\n".join(
                    " – ".join(p for p in (d.doc_number, _date(d.doc_date), d.summary) if p) for d in item.documents
                )
                cells = (
                    s.unit_name,
                    f"{group.number} {group_name}".strip(),
                    item.number,
                    item.name_en if lang == "en" else item.name,
                    state_label(item.state),
                    "\n".join(figure_text(f, lang) for f in item.figures),
                    item.max_points,
                    item.self_score,
                    None if item.computed is None else round(item.computed, 4),
                    None if item.difference is None else round(item.difference, 4),
                    item.appraised_score,
                    item.comment,
                    item.explanation,
                    evidence,
                    "\n".join(item.warnings),
                )
                for column, value in enumerate(cells, start=1):
                    cell = ws.cell(row=row, column=column, value=value)
                    if isinstance(value, str):
                        cell.data_type = "s"  # text typed by people stays text, never a formula ("=…")
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                    if column in NUMBERS:
                        cell.number_format = POINTS
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(COLUMNS))}{max(row, HEADER_ROW)}"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
