"""The XLSX template of the 766 declarations: one row per unit, period and declared input, the current
figure filled in, to fill and read back with `chiso sources declare766` (imports.py reads its columns).

The first sheet ("Tự khai 766", the sheet the import reads) has the import's columns and, for the
reader, the unit's and the input's names; the second ("Hướng dẫn") explains each input: what it counts,
its unit, the components that read it and the rule it keeps (a whole count ≥ 0, a numerator not above
its denominator). Each row carries the version of its figure (Phiên bản), so that a figure someone
changes after the template was made is not overwritten by the template's older one (imports.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from chiso import clock, numbers, units
from chiso.errors import ChisoError
from chiso.permissions import Actor, check
from chiso.service766 import declarations
from chiso.service766.compute import KINDS, kinds_of
from chiso.service766.declarations import ERA, Input
from chiso.service766.imports import SHEET, VI_HEADER
from chiso.units.ref import UnitRef
from chiso.workbooks import MAX_ROWS, write_meta

SCHEMA = "chiso/service766-template"
GUIDE = "Hướng dẫn"
# (key, header): the import's columns by its own headers, and two it does not read, for the reader
COLUMNS = (
    ("unit", VI_HEADER["unit"]),
    ("name", "Tên đơn vị"),
    ("period", VI_HEADER["period"]),
    ("component", VI_HEADER["component"]),
    ("variable", VI_HEADER["variable"]),
    ("label", "Tên chỉ tiêu"),
    ("value", VI_HEADER["value"]),
    ("version", VI_HEADER["version"]),
    ("note", VI_HEADER["note"]),
)
WIDTHS = {"unit": 12, "name": 34, "period": 10, "component": 11, "variable": 28, "label": 60, "value": 12}
INPUT = PatternFill("solid", fgColor="FFF9E5")  # the cells to fill


def write(
    *,
    session: Session,
    periods: Sequence[str],
    actor: Actor,
    out: Path | IO[bytes],
    province: str | None = None,
    unit: UnitRef | None = None,
) -> int:
    """Write the template of one unit, or of every unit of the province the index ranks, for these
    periods (months 2025-09 or years 2025 that have begun); the number of rows to fill."""
    if (province is None) == (unit is None):
        raise ValueError("a template is for a province or for one unit")
    place = unit.code if unit is not None else str(province)
    check(actor, "service766.declare", unit if unit is not None else place)
    chosen = _periods(session, periods)
    kinds = _units(unit) if unit is not None else _province_units(place)
    inputs = declarations.inputs()
    count = len(kinds) * len(chosen) * len(inputs)
    if count + 1 > MAX_ROWS:  # the import would refuse the file it makes
        raise ChisoError.of("s766.template-rows", field="period", rows=count, limit=MAX_ROWS - 1)
    current = declarations.latest(session, [(code, p) for code in kinds for p in chosen])
    book = Workbook()
    try:
        sheet = book.active
        assert sheet is not None
        sheet.title = SHEET
        _figures(sheet, kinds, chosen, inputs, current)
        _guide(book.create_sheet(GUIDE), inputs)
        meta = {
            "province" if unit is None else "unit": place,
            "periods": ",".join(chosen),
            "generated_at": clock.of(session).now().isoformat(timespec="seconds"),
        }
        write_meta(book, SCHEMA, meta)
        book.save(out)
    finally:
        book.close()
    return count


def _periods(session: Session, periods: Sequence[str]) -> list[str]:
    """The periods as given, once each, in order (months before their year), or the error saying which is wrong."""
    if not periods:
        raise ChisoError.of("s766.period-invalid", field="period", period="")
    today = clock.of(session).today()
    for period in periods:
        start = declarations.period_start(period)
        if start is None:
            raise ChisoError.of("s766.period-invalid", field="period", period=period)
        if start > today:
            raise ChisoError.of("s766.period-future", field="period", period=period, today=f"{today:%d/%m/%Y}")
    return sorted(set(periods), key=lambda p: (p[:4], len(p) == 4, p))


def _units(unit: UnitRef) -> dict[str, str]:
    try:
        found = units.get(unit.code, era=ERA) if unit.era == ERA else None
    except units.UnitsError:
        found = None
    if found is None:
        raise ChisoError.of("s766.unit-unknown", field="unit", unit=unit.code)
    if found.kind.value not in KINDS:
        raise ChisoError.of("s766.unit-kind", field="unit", unit=f"{found.name} ({found.code})")
    return {found.code: found.kind.value}


def _province_units(province: str) -> dict[str, str]:
    """The province, its departments, its communes: in that order, each by code."""
    _units(UnitRef(ERA, province))
    found = kinds_of(province)
    if found.get(province) != "province":
        raise ChisoError.of("s766.unit-kind", field="unit", unit=province)
    return dict(sorted(found.items(), key=lambda item: (KINDS.index(item[1]), item[0])))


def _figures(
    sheet: Worksheet,
    kinds: dict[str, str],
    periods: list[str],
    inputs: dict[str, Input],
    current: dict[tuple[str, str, str], Any],
) -> None:
    for column, (_, header) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=column, value=header)  # row 1: the import reads its header there
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    letters = {key: get_column_letter(i) for i, (key, _) in enumerate(COLUMNS, start=1)}
    value_column = [key for key, _ in COLUMNS].index("value") + 1
    component = {variable: declarations.number_of(spec.components[0]) for variable, spec in inputs.items()}
    cells_of: dict[Input, list[str]] = {}  # each input's value cells, checked together
    row = 2
    for code in kinds:
        name = _name(code)
        for period in periods:
            for variable, spec in inputs.items():
                given = current.get((code, period, variable))
                value = None if given is None else _figure(given.value)
                version = None if given is None else given.version
                # appended as values, only the cell to fill styled: a styled cell costs openpyxl ten times more
                sheet.append([code, name, period, component[variable], variable, spec.label, value, version])
                sheet.cell(row=row, column=value_column).fill = INPUT
                cells_of.setdefault(spec, []).append(f"{letters['value']}{row}")
                row += 1
    _checks(sheet, cells_of, f"{letters['value']}2:{letters['value']}{row - 1}")
    for key, letter in letters.items():
        sheet.column_dimensions[letter].width = WIDTHS.get(key, 14)
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{letters['note']}{max(row - 1, 1)}"


def _checks(sheet: Worksheet, cells_of: dict[Input, list[str]], column: str) -> None:
    """Excel's own check of the value cells: a whole number (or a number) within each input's bounds;
    one range for the column when every input keeps the same bounds (the cells one by one would make
    the sheet's XML grow with every row)."""
    bounds: dict[tuple[float | None, float | None, bool], list[str]] = {}
    for spec, cells in cells_of.items():
        bounds.setdefault((spec.minimum, spec.maximum, spec.whole), []).extend(cells)
    for (low, high, whole), cells in bounds.items():
        if low is None and high is None:
            continue  # nothing Excel could check besides it being a number
        operator, first, second = (
            ("between", low, high)
            if low is not None and high is not None
            else ("greaterThanOrEqual", low, None)
            if low is not None
            else ("lessThanOrEqual", high, None)
        )
        validation = DataValidation(
            type="whole" if whole else "decimal",
            operator=operator,
            formula1=f"{first:g}",
            formula2=None if second is None else f"{second:g}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Giá trị không hợp lệ",
            error=_bounds(low, high, whole),
        )
        sheet.add_data_validation(validation)
        validation.add(column if len(bounds) == 1 else " ".join(cells))


def _guide(sheet: Worksheet, inputs: dict[str, Input]) -> None:
    headers = ("Chỉ tiêu", "Tên chỉ tiêu", "Name (English)", "Đơn vị tính", "Thành phần", "Quy tắc")
    for column, header in enumerate(headers, start=1):
        sheet.cell(row=1, column=column, value=header).font = Font(bold=True)
    for row, (variable, spec) in enumerate(inputs.items(), start=2):
        components = ", ".join(declarations.number_of(c) for c in spec.components)
        for column, value in enumerate((variable, spec.label, spec.label_en, spec.unit, components, _rule(spec)), 1):
            sheet.cell(row=row, column=column, value=value).alignment = Alignment(wrap_text=True, vertical="top")
    notes = (
        "Ghi số liệu vào cột «Giá trị» (ô màu vàng) của trang «Tự khai 766»; để trống: giữ nguyên số liệu đã "
        "khai (chưa khai thì vẫn chưa khai). «Ghi chú» (nguồn số liệu) được lưu cùng số liệu.",
        "Không sửa cột «Phiên bản»: nếu số liệu đã được người khác sửa sau khi tải mẫu, tệp bị từ chối, không "
        "ghi đè; tải mẫu mới rồi làm lại.",
        "Nhập tệp: chiso sources declare766 TỆP.xlsx --as NGƯỜI_DÙNG. Cả tệp được kiểm tra; có lỗi thì không "
        "ghi dòng nào và mọi lỗi được liệt kê theo dòng, cột.",
        "Fill in «Giá trị» (value); a blank one leaves the figure as it is. Keep «Phiên bản» (version) as it is.",
    )
    start = len(inputs) + 3
    for offset, text in enumerate(notes):
        sheet.cell(row=start + offset, column=1, value=text)
    for letter, width in zip("ABCDEF", (28, 60, 50, 14, 12, 60), strict=True):
        sheet.column_dimensions[letter].width = width


def _bounds(low: float | None, high: float | None, whole: bool) -> str:
    parts = ["số nguyên" if whole else "số"]
    if low is not None:
        parts.append(f"từ {numbers.format(low)} trở lên")
    if high is not None:
        parts.append(f"tối đa {numbers.format(high)}")
    return " ".join(parts).capitalize()


def _rule(spec: Input) -> str:
    rule = _bounds(spec.minimum, spec.maximum, spec.whole)
    if spec.at_most is not None:
        limit = declarations.inputs().get(spec.at_most)
        other = limit.label if limit is not None else declarations.MEASURED[spec.at_most].vi
        rule += f"; không lớn hơn {other} ({spec.at_most}) của cùng đơn vị và kỳ"
    return rule + "."


def _figure(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _name(code: str) -> str:
    try:
        return units.get(code, era=ERA).name
    except units.UnitsError:
        return code
