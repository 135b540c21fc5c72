"""Reading the Ministry's published table of the provinces' DTI main indicators (CSV or XLSX).

One row per province, a header row naming the columns (accents and case optional):

- the province: `Mã tỉnh` (official code of the era: 19, 01 …) or `Tỉnh` (its name: Thái Nguyên,
  TP Hồ Chí Minh …); with both, they must agree;
- the year's main indicators, 0–1, each by its code (`awareness`) or its Vietnamese or English name
  (`Nhận thức số`, `Digital awareness`): all of them, or none;
- `DTI` (the published index, 0–1) and `Hạng` (the published rank, 1 to the number of provinces);
- `STT` is allowed and skipped. Any other column is reported and not read.

Every problem is listed with its row and column, and nothing is recorded while one remains
(`ValidationFailed`); the figures are then recorded through `national.record`, which audits each value.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from chiso import clock, numbers, units, workbooks
from chiso.collection.schemas import Problem
from chiso.collection.service import ValidationFailed
from chiso.national import service as national
from chiso.permissions import Actor, check
from chiso.units.text import fold

ERAS = {"2024": 63, "2025": 34}  # provinces of each era
FIRST_YEAR = 2020  # the first DTI on a method Chiso ships (Decision 1726/QĐ-BTTTT)
PROVINCE_CODE = {"ma tinh", "ma", "code", "unit", "province code", "ma tinh thanh pho", "ma don vi"}
PROVINCE_NAME = {"tinh", "ten tinh", "tinh thanh pho", "ten tinh thanh pho", "province", "name", "don vi", "dia phuong"}
DTI = {"dti", "chi so dti", "diem dti", "dti cong bo", "dti published"}
RANK = {"hang", "xep hang", "thu hang", "hang dti", "rank", "dti rank"}
SKIPPED = {"stt", "tt", "no"}
_TYPE_WORDS = ("thanh pho ", "tinh ", "tp ")
_ALIASES = {"hcm": "ho chi minh", "tphcm": "ho chi minh", "thua thien hue": "hue"}


def header_key(text: str) -> str:
    """A header as compared: accents, case, punctuation and underscores dropped ("Mã tỉnh" → "ma tinh")."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())


def default_era(year: int) -> str:
    """The provinces a year was published for: the 63 until DTI 2023, the 34 from DTI 2024."""
    return "2025" if year >= 2024 else "2024"


@dataclass(frozen=True)
class Column:
    header: str  # as written in the file
    label: str  # where a problem is shown: the column's letter (XLSX) or its header (CSV)
    role: str  # "code", "name", "skip", "unknown", or the variable it holds


Report = Callable[[str, Column | None], None]  # note a problem of the current row, in a column


@dataclass(frozen=True)
class ImportReport:
    year: int
    era: str
    provinces: int
    recorded: int  # new value versions (an unchanged figure adds none)
    warnings: list[Problem]


def _roles(year: int) -> dict[str, str]:
    """Header key → variable: the main indicators' codes and names, the published index and rank."""
    fw = national.framework(year)
    roles: dict[str, str] = {}
    for code in national.main_indicators(year):
        node = fw.node(code)
        for text in (code, node.name, node.name_en or ""):
            if text:
                roles[header_key(text)] = code
    roles.update({k: national.PUBLISHED_DTI for k in DTI})
    roles.update({k: national.PUBLISHED_RANK for k in RANK})
    roles.update({k: "code" for k in PROVINCE_CODE})
    roles.update({k: "name" for k in PROVINCE_NAME})
    roles.update({k: "skip" for k in SKIPPED})
    return roles


def _computed(year: int) -> dict[str, str]:
    """Header key → name of the nodes computed from the main indicators (the pillars): not read."""
    fw = national.framework(year)
    mains = set(national.main_indicators(year))
    found: dict[str, str] = {}
    for node in fw.nodes:
        if node.code != fw.index and node.code not in mains:
            for text in (node.code, node.name, node.name_en or ""):
                if text:
                    found[header_key(text)] = node.name
    return found


def _province_key(text: str) -> str:
    key = header_key(text)
    for word in _TYPE_WORDS:
        if key.startswith(word):
            key = key[len(word) :]
    return _ALIASES.get(key, key)


def _province_names(era: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for unit in units.list_units(era=era, kind="province"):
        for text in (unit.name, unit.name_en or ""):
            if text:
                names[_province_key(text)] = unit.code
    return names


def _rows(path: Path) -> Iterator[tuple[int, list[tuple[str, Any]]]]:
    """(row number, [(column label, cell)]) of the file, the header row first."""
    if path.suffix.lower() == ".csv":
        with workbooks.csv_reader(path) as reader:
            headers = list(reader.fieldnames or [])
            yield 1, [(h, h) for h in headers]
            for row in reader:
                yield reader.line_num, [(h, row.get(h)) for h in headers]
        return
    from openpyxl.utils import get_column_letter

    with workbooks.opened(path) as wb:
        sheet = wb.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [(get_column_letter(i), cell) for i, cell in enumerate(row, start=1)]


def read(path: Path, *, year: int, era: str) -> tuple[list[national.Entry], list[Problem]]:
    """The file's figures as entries to record, and every problem found (warnings included)."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise workbooks.FileRefused(
            path, "chỉ đọc tệp .csv (UTF-8) hoặc .xlsx", "only .csv (UTF-8) and .xlsx files are read"
        )
    roles, computed = _roles(year), _computed(year)
    names = _province_names(era)
    codes = {u.code for u in units.list_units(era=era, kind="province")}
    sheet = path.name
    problems: list[Problem] = []
    columns: list[Column] = []
    seen: dict[str, int] = {}  # province → the row it was first given in
    entries: list[national.Entry] = []
    first: tuple[int, list[tuple[str, Any]]] | None = None  # the first row with text, while no header is found
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for number, cells in _rows(path):
        if not columns:
            keys = {roles.get(header_key(str(cell))) for _, cell in cells if cell is not None}
            if not keys & {"code", "name"}:
                first = first or (number, cells) if any(c is not None and str(c).strip() for _, c in cells) else first
                continue  # a title or a blank row above the header
            columns = _header(cells, roles, computed, sheet, number, problems)
            _check_header(columns, year, sheet, number, problems)
            if any(p.severity == "error" for p in problems):
                return [], problems
            continue
        values = {c.role: (c, cell) for c, (_, cell) in zip(columns, cells, strict=False)}
        if all(cell is None or str(cell).strip() == "" for _, cell in cells):
            continue
        before = len(problems)

        def problem(message: str, column: Column | None, row: int = number) -> None:
            problems.append(Problem(message, sheet=sheet, row=row, column=column.label if column else ""))

        province = _province(values, names, codes, era, problem)
        if province is not None and province in seen:
            where = (values.get("code") or values["name"])[0]
            problem(f"tỉnh {province} đã có ở dòng {seen[province]} / province given twice", where)
        figures: dict[str, float] = {}
        for role, (column, cell) in values.items():
            if role in ("code", "name", "skip", "unknown"):
                continue
            figure = _figure(cell, role, era, column, problem)
            if figure is not None:
                figures[role] = figure
        if province is not None:
            seen.setdefault(province, number)
        if len(problems) > before or province is None:
            continue
        lineage = {"simulated": False, "source": sheet, "sha256": digest, "row": number}
        entries += [national.Entry(province, variable, value, lineage) for variable, value in figures.items()]
    if not columns and first is not None:  # no row names the province: say what the first row lacks
        _check_header(_header(first[1], roles, computed, sheet, first[0], problems), year, sheet, first[0], problems)
    elif not columns:
        problems.append(Problem("tệp không có dòng tiêu đề / the file has no header row", sheet=sheet))
    elif not seen and not any(p.severity == "error" for p in problems):
        problems.append(Problem("tệp không có dòng số liệu nào / the file has no data rows", sheet=sheet))
    return entries, problems


def _header(
    cells: list[tuple[str, Any]],
    roles: dict[str, str],
    computed: dict[str, str],
    sheet: str,
    row: int,
    problems: list[Problem],
) -> list[Column]:
    columns: list[Column] = []
    for label, cell in cells:
        header = "" if cell is None else str(cell).strip()
        key = header_key(header)
        role = roles.get(key, "unknown") if key else "skip"
        where = header if label == header else label
        if role == "unknown":
            why = (
                f"«{header}» được tính từ các chỉ số chính, không nhập; cột bị bỏ qua"
                f" / computed from the main indicators, not imported; column skipped"
                if key in computed
                else f"cột «{header}» không phải cột đã biết; bị bỏ qua (xem docs/national.md)"
                f" / unknown column «{header}», skipped (see docs/national.md)"
            )
            problems.append(Problem(why, "warning", sheet=sheet, row=row, column=where))
        elif role != "skip" and any(c.role == role for c in columns):
            problems.append(Problem(f"cột «{header}» lặp lại / column given twice", sheet=sheet, row=row, column=where))
        columns.append(Column(header, where, role))
    return columns


def _check_header(columns: list[Column], year: int, sheet: str, row: int, problems: list[Problem]) -> None:
    given = {c.role for c in columns}
    if not given & {"code", "name"}:
        problems.append(
            Problem("thiếu cột «Mã tỉnh» hoặc «Tỉnh» / no province column (Mã tỉnh or Tỉnh)", sheet=sheet, row=row)
        )
    mains = national.main_indicators(year)
    present = [m for m in mains if m in given]
    if present and len(present) < len(mains):
        fw = national.framework(year)
        missing = ", ".join(fw.node(m).name for m in mains if m not in given)
        problems.append(
            Problem(
                f"thiếu chỉ số chính năm {year}: {missing} (cần đủ {len(mains)} chỉ số hoặc không có chỉ số nào)"
                f" / missing main indicators of {year}: give all {len(mains)} or none",
                sheet=sheet,
                row=row,
            )
        )
    if not given & {*mains, national.PUBLISHED_DTI, national.PUBLISHED_RANK}:
        problems.append(
            Problem("không có cột số liệu (chỉ số chính, DTI, Hạng) / no column of figures", sheet=sheet, row=row)
        )


def _province(
    values: dict[str, tuple[Column, Any]], names: dict[str, str], codes: set[str], era: str, problem: Report
) -> str | None:
    by_code = by_name = None
    if "code" in values:
        column, cell = values["code"]
        text = "" if cell is None else str(cell).strip()
        if isinstance(cell, float) and cell.is_integer():
            text = str(int(cell))
        code = text.zfill(2) if text.isdigit() else text
        if code not in codes:
            problem(f"«{text}» không phải mã tỉnh của giai đoạn {era} ({ERAS[era]} tỉnh) / not a province code", column)
            return None
        by_code = code
    if "name" in values:
        column, cell = values["name"]
        text = "" if cell is None else str(cell).strip()
        by_name = names.get(_province_key(text))
        if by_name is None:
            problem(
                f"không tìm thấy tỉnh «{text}» trong {ERAS[era]} tỉnh (giai đoạn {era}); ghi đúng tên hoặc dùng cột "
                f"«Mã tỉnh» / no province named «{text}» among the {ERAS[era]} provinces of era {era}",
                column,
            )
            return None
        if by_code is not None and by_code != by_name:
            problem(f"mã {by_code} và tên «{text}» là hai tỉnh khác nhau / code and name disagree", column)
            return None
    return by_code or by_name


def _figure(cell: Any, role: str, era: str, column: Column, problem: Report) -> float | None:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        problem("ô trống / empty cell", column)
        return None
    if isinstance(cell, bool) or not isinstance(cell, int | float | str):
        problem(f"«{cell}» không phải số / not a number", column)
        return None
    try:
        value = float(cell) if not isinstance(cell, str) else numbers.parse(cell)
    except numbers.NumberRefused as exc:
        problem(str(exc), column)
        return None
    assert value is not None  # an empty text was refused above
    if role == national.PUBLISHED_RANK:
        if not value.is_integer() or not 1 <= value <= ERAS[era]:
            problem(f"hạng phải là số nguyên từ 1 đến {ERAS[era]} / a rank is a whole number 1–{ERAS[era]}", column)
            return None
    elif not 0 <= value <= 1:
        problem(f"{numbers.format(value, lang='vi')} ngoài khoảng 0–1 / outside 0–1", column)
        return None
    return value


def import_table(*, session: Session, path: Path, year: int, era: str, actor: Actor) -> ImportReport:
    """Read the published table and record it for (year, era); all or nothing, every problem listed."""
    check(actor, "value.record")
    if era not in ERAS:
        raise ValidationFailed([Problem(f"giai đoạn {era!r} không có; dùng 2024 (63 tỉnh) hoặc 2025 (34 tỉnh) / era")])
    this_year = clock.of(session).today().year
    if not FIRST_YEAR <= year <= this_year:
        raise ValidationFailed(
            [Problem(f"năm {year} ngoài khoảng {FIRST_YEAR}–{this_year} / year outside {FIRST_YEAR}–{this_year}")]
        )
    entries, problems = read(path, year=year, era=era)
    if any(p.severity == "error" for p in problems):
        raise ValidationFailed(problems, f"{path.name}: ")
    recorded = national.record(session=session, year=year, era=era, entries=entries, actor=actor)
    warnings = [p for p in problems if p.severity != "error"]
    return ImportReport(year, era, len({e.unit for e in entries}), recorded, warnings)
