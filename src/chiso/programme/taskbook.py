"""The plan workbook: the XLSX form provinces circulate (STT, Nhiệm vụ, Đơn vị chủ trì, Đơn vị phối hợp,
Thời hạn, Tiến độ, Kết quả …), read leniently and written so that reading it back changes nothing.

Reading finds the header row among the first rows (title rows above it are kept as the plan's name),
recognises the columns by their Vietnamese headers (accents and case do not matter, common variants
are accepted), and returns raw cells with their place (sheet, row, column) for precise error reports.
Rows numbered I, II, … (or A, B, …) are section headings; 1, 1.1, 1.2 … are tasks and activities.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from chiso.programme.schemas import STATUS_LABELS
from chiso.units.text import fold
from chiso.workbooks import opened, read_meta, write_meta

SHEET = "Nhiệm vụ"
HELP_SHEET = "Hướng dẫn"
SCHEMA = "chiso/task-plan"
HEADER_ROW = 5
# (key, header written on export, folded prefixes recognised on import — most specific first)
COLUMNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("code", "STT", ("stt", "tt", "so thu tu", "so tt")),
    ("title", "Nhiệm vụ", ("nhiem vu", "ten nhiem vu", "noi dung nhiem vu", "noi dung cong viec", "hoat dong")),
    ("description", "Mô tả", ("mo ta", "noi dung chi tiet")),
    ("lead_unit", "Đơn vị chủ trì", ("don vi chu tri", "co quan chu tri", "chu tri")),
    ("co_units", "Đơn vị phối hợp", ("don vi phoi hop", "co quan phoi hop", "phoi hop")),
    ("start_date", "Bắt đầu", ("bat dau", "thoi gian bat dau", "ngay bat dau")),
    ("due_date", "Thời hạn", ("thoi han", "thoi gian hoan thanh", "han hoan thanh", "thoi gian thuc hien")),
    ("output", "Sản phẩm", ("san pham", "ket qua du kien", "ket qua dau ra")),
    ("targets", "Chỉ tiêu liên quan", ("chi tieu",)),
    ("indicators", "Chỉ số liên quan", ("chi so",)),
    ("status", "Trạng thái", ("trang thai", "tinh trang")),
    ("progress", "Tiến độ (%)", ("tien do", "ty le hoan thanh", "% hoan thanh")),
    ("result", "Kết quả thực hiện", ("ket qua",)),
    ("evidence", "Minh chứng (số hiệu – ngày – trích yếu)", ("minh chung", "van ban")),
)
LABEL = {key: label for key, label, _ in COLUMNS}
REQUIRED = ("code", "title", "lead_unit", "due_date")
SECTION = re.compile(r"^(?:[IVXLC]{1,6}|[A-Z])\.?$")
WIDTHS = (7, 50, 30, 28, 30, 12, 12, 28, 22, 22, 16, 10, 40, 40)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
ONGOING = "Thường xuyên"


@dataclass
class RawRow:
    """One row of the plan sheet: its place and its cells (key → (value, 'D (Đơn vị chủ trì)'))."""

    sheet: str
    row: int
    cells: dict[str, tuple[Any, str]] = field(default_factory=dict)
    percent_progress: bool = False  # the progress cell is formatted as a percentage (0.6 = 60 %)


@dataclass
class Sheet:
    meta: dict[str, str]
    title: str
    columns: set[str]
    rows: list[RawRow]
    problems: list[tuple[int | None, str, str]]  # (row, column, message)
    name: str = SHEET


def _header_key(text: object) -> str | None:
    folded = fold(re.sub(r"\(.*?\)", "", str(text or ""))).strip(" :.*")
    if not folded:
        return None
    for key, _, prefixes in COLUMNS:
        if any(folded == p or folded.startswith(p + " ") or folded.startswith(p + "/") for p in prefixes):
            return key
    return None


def read_sheet(path: Path) -> Sheet:
    """The plan sheet's cells, or a Sheet whose problems say why it cannot be read; FileRefused when the
    file is no workbook or too large to load."""
    with opened(path) as wb:
        meta = read_meta(wb)
        visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible" and ws.title != HELP_SHEET]
        ws = wb[SHEET] if SHEET in wb.sheetnames else (visible[0] if visible else wb.worksheets[0])
        header_row, columns, title = None, {}, []
        for r, row in enumerate(ws.iter_rows(min_row=1, max_row=20), start=1):
            found = {}
            for cell in row:
                key = _header_key(cell.value)
                if key and key not in found:
                    found[key] = cell.column
            if "code" in found and "title" in found:
                header_row, columns = r, found
                break
            title += [str(c.value).strip() for c in row if c.value not in (None, "")]
        if header_row is None:
            problem = (None, "", "không tìm thấy dòng tiêu đề có cột STT và Nhiệm vụ / no header row (STT, Nhiệm vụ)")
            return Sheet(meta, "", set(), [], [problem], ws.title)
        problems: list[tuple[int | None, str, str]] = [
            (header_row, "", f"thiếu cột {LABEL[key]!r} / column missing") for key in REQUIRED if key not in columns
        ]
        rows = []
        for r, row in enumerate(ws.iter_rows(min_row=header_row + 1), start=header_row + 1):
            by_column = {cell.column: cell for cell in row}
            raw = RawRow(ws.title, r)
            for key, column in columns.items():
                cell = by_column.get(column)
                value = None if cell is None else cell.value
                if isinstance(value, str):
                    value = value.strip() or None
                raw.cells[key] = (value, f"{get_column_letter(column)} ({LABEL[key]})")
                if key == "progress" and cell is not None and "%" in str(cell.number_format):
                    raw.percent_progress = True
            if any(v is not None for v, _ in raw.cells.values()):
                rows.append(raw)
        return Sheet(meta, title[0] if title else "", set(columns), rows, problems, ws.title)


# --- writing -------------------------------------------------------------------------------------------


def write_sheet(
    path: Path, *, title: str, subtitle: str, note: str, meta: dict[str, str], rows: list[dict[str, Any]]
) -> None:
    """Write the plan: title rows, the header at row 5, one row per section heading or task."""
    wb = Workbook()
    try:
        ws = wb.active
        assert ws is not None
        ws.title = SHEET
        ws["A1"], ws["A2"], ws["A3"] = title, subtitle, note or None
        ws["A1"].font = Font(bold=True, size=13)
        ws["A3"].font = Font(italic=True, color="C00000")
        for i, (_, label, _) in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=HEADER_ROW, column=i, value=label)
            cell.font, cell.fill = Font(bold=True), HEAD_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
            ws.column_dimensions[get_column_letter(i)].width = WIDTHS[i - 1]
        letters = {key: get_column_letter(i) for i, (key, _, _) in enumerate(COLUMNS, start=1)}
        statuses = DataValidation(type="list", formula1='"' + ",".join(STATUS_LABELS.values()) + '"', allow_blank=True)
        progress = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True)
        ws.add_data_validation(statuses)
        ws.add_data_validation(progress)
        for r, values in enumerate(rows, start=HEADER_ROW + 1):
            for key, value in values.items():
                if key not in letters:
                    continue
                cell = ws[f"{letters[key]}{r}"]
                cell.value = value
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if key == "code":
                    cell.number_format = "@"  # text: 1.10 stays 1.10
            if values.get("kind") == "section":
                for letter in letters.values():
                    ws[f"{letter}{r}"].fill = SECTION_FILL
                    ws[f"{letter}{r}"].font = Font(bold=True)
            else:
                statuses.add(f"{letters['status']}{r}")
                progress.add(f"{letters['progress']}{r}")
        ws.freeze_panes = f"C{HEADER_ROW + 1}"
        _help(wb.create_sheet(HELP_SHEET))
        write_meta(wb, SCHEMA, meta)
        wb.save(path)
    finally:
        wb.close()


def _help(ws: Any) -> None:
    lines = [
        ("Cột", "Cách ghi"),
        ("STT", "1, 2 … cho nhiệm vụ; 1.1, 1.2 … cho hoạt động của nhiệm vụ 1; I, II … cho tiêu đề nhóm."),
        ("Đơn vị chủ trì", "Một đơn vị: tên (Sở Khoa học và Công nghệ, Phường Đức Xuân) hoặc mã (19-SKHCN)."),
        ("Đơn vị phối hợp", "Nhiều đơn vị cách nhau bằng dấu chấm phẩy; hoặc 'Các sở, ban, ngành', 'Các xã, phường'."),
        ("Bắt đầu, Thời hạn", f"dd/mm/yyyy, năm (2025), 'Quý IV/2025', 'Tháng 6/2025' hoặc '{ONGOING}'."),
        ("Chỉ tiêu liên quan", "Mã chỉ tiêu của chương trình (chiso programme show), cách nhau bằng dấu chấm phẩy."),
        ("Chỉ số liên quan", "bộ chỉ số:mã chỉ số, ví dụ commune-2025:c4_4 (chiso framework show)."),
        ("Trạng thái", ", ".join(STATUS_LABELS.values()) + "."),
        ("Tiến độ (%)", "Từ 0 đến 100; Hoàn thành là 100."),
        ("Kết quả thực hiện", "Kết quả đến kỳ báo cáo (đơn vị chủ trì báo cáo)."),
        ("Minh chứng", "Mỗi văn bản một dòng: số hiệu – ngày – trích yếu."),
    ]
    for r, (a, b) in enumerate(lines, start=1):
        ws.cell(row=r, column=1, value=a).font = Font(bold=r == 1)
        ws.cell(row=r, column=2, value=b).font = Font(bold=r == 1)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 22, 100


# --- cells ----------------------------------------------------------------------------------------------


class CellProblem(ValueError):
    pass


_ROMAN_QUARTER = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER = re.compile(r"^quy\s*([ivx]+|[1-4])\s*[/.\- ]\s*(\d{4})$")
_MONTH = re.compile(r"^(?:thang\s*)?(\d{1,2})\s*[/.\-]\s*(\d{4})$")
_YEAR = re.compile(r"^(?:nam\s*)?(\d{4})$")
_DAY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ONGOING_WORDS = ("thuong xuyen", "hang nam", "hàng năm", "lien tuc", "")


def code(raw: object) -> str:
    """STT as text: 1 → "1", 1.2 → "1.2", "1." → "1"."""
    if isinstance(raw, bool):
        raise CellProblem(f"STT không hợp lệ / not a task number: {raw!r}")
    if isinstance(raw, int) or (isinstance(raw, float) and raw.is_integer()):
        return str(int(raw))
    if isinstance(raw, float):
        return repr(raw)
    return str(raw).strip().rstrip(".")


def is_section(raw: object) -> bool:
    return isinstance(raw, str) and bool(SECTION.match(raw.strip()))


def date_cell(raw: object, *, end: bool) -> dt.date | None:
    """A date as plans write it; a year, quarter or month means its last day (`end`) or first day."""
    if raw is None:
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 2000 <= raw <= 2100 and float(raw).is_integer():
        return dt.date(int(raw), 12, 31) if end else dt.date(int(raw), 1, 1)
    text = fold(str(raw))
    if text in _ONGOING_WORDS:
        return None
    if m := _DAY.match(text):
        try:
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            raise CellProblem(f"ngày không hợp lệ / not a date: {raw!r}") from None
    if m := _QUARTER.match(text):
        q, year = _ROMAN_QUARTER.get(m[1]), int(m[2])
        if q is None:
            raise CellProblem(f"quý không hợp lệ / not a quarter: {raw!r}")
        return _month_end(year, 3 * q) if end else dt.date(year, 3 * q - 2, 1)
    if m := _MONTH.match(text):
        month, year = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise CellProblem(f"tháng không hợp lệ / not a month: {raw!r}")
        return _month_end(year, month) if end else dt.date(year, month, 1)
    if m := _YEAR.match(text):
        return dt.date(int(m[1]), 12, 31) if end else dt.date(int(m[1]), 1, 1)
    raise CellProblem(
        f"không đọc được thời gian {raw!r} / not a date: write dd/mm/yyyy, 2025, Quý IV/2025, Tháng 6/2025 or {ONGOING}"
    )


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def date_text(value: dt.date | None) -> str:
    return ONGOING if value is None else value.strftime("%d/%m/%Y")


def status_cell(raw: object) -> str | None:
    if raw is None:
        return None
    text = fold(str(raw))
    for key, label in STATUS_LABELS.items():
        if text in (key.replace("_", " "), key, fold(label)):
            return key
    aliases = {
        "da hoan thanh": "done",
        "dang thuc hien": "in_progress",
        "chua thuc hien": "not_started",
        "huy": "cancelled",
        "da huy": "cancelled",
        "tam dung": "paused",
    }
    if text in aliases:
        return aliases[text]
    raise CellProblem(f"trạng thái {raw!r} không hợp lệ / unknown status; one of: {', '.join(STATUS_LABELS.values())}")


def progress_cell(raw: object, percent_format: bool) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw) * (100 if percent_format else 1)
    else:
        text = str(raw).strip().replace(" ", "").rstrip("%").replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            raise CellProblem(f"tiến độ {raw!r} không phải số / progress must be a number 0–100") from None
    if not 0 <= value <= 100:
        raise CellProblem(f"tiến độ {value:g} ngoài 0–100 / progress must be within 0–100")
    return round(value, 2)


def split_list(raw: object) -> list[str]:
    """Items of a list cell: separated by semicolons or new lines (names may contain commas)."""
    if raw is None:
        return []
    return [part.strip() for part in re.split(r"[;\n]", str(raw)) if part.strip()]


def split_codes(raw: object) -> list[str]:
    """Codes separated by semicolons, commas, spaces or new lines."""
    if raw is None:
        return []
    return [part for part in re.split(r"[;,\s]+", str(raw)) if part]
