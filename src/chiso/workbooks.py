"""What Chiso's XLSX forms share: a hidden sheet saying which form it is, its version, and for what; and
the one way to open a workbook or text file that someone sent, refusing a bad one with a clear message.

An XLSX file is a zip of XML parts. openpyxl builds every cell of a sheet in memory (a 267 KB file of
two million cells took 44 s and 1 GB before the import refused it), so a workbook is surveyed from its
zip directory and its sheet XML, streamed, before it is loaded: it must be a zip with a workbook part,
small enough uncompressed, not compressed like a bomb, and each sheet within the row, column and cell
limits below. The limits leave room for any real form: a declaration has a row per indicator (under
200), a plan a row per task (hundreds), a values file a row per commune (about 3,300 in the country).
"""

from __future__ import annotations

import codecs
import csv
import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import column_index_from_string, get_column_letter

from chiso.errors import ChisoError

META_SHEET = "_chiso"

MAX_ROWS = 20_000  # rows of one sheet
MAX_COLUMNS = 200  # columns of one sheet (the forms have 15)
MAX_CELLS = 500_000  # cells of the whole workbook: openpyxl needs about 0.5 KB and 20 µs for each
MAX_UNCOMPRESSED = 50_000_000  # bytes of all parts together once unzipped
MAX_RATIO = 100  # uncompressed ÷ compressed size of a part; sheets written by pandas measured 7 to 40
RATIO_FLOOR = 1_000_000  # a part smaller than this may compress better: it cannot grow large
CHUNK = 1 << 20

_WORKBOOK_TYPES = {
    f"application/vnd.{kind}.main+xml"
    for kind in (
        "openxmlformats-officedocument.spreadsheetml.sheet",
        "openxmlformats-officedocument.spreadsheetml.template",
        "ms-excel.sheet.macroEnabled",
        "ms-excel.template.macroEnabled",
    )
}
_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls (or any Office 97–2003 file)
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
_ROW_REF = re.compile(rb"<(?:\w+:)?row\s[^>]*?\br=\"(\d{1,9})\"")
_CELL = re.compile(rb"<(?:\w+:)?c[\s>/]")
_CELL_COLUMN = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"([A-Z]{1,3})\d")
_CELL_ROW = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"[A-Z]{1,3}(\d{1,9})\"")


class FileRefused(ChisoError):
    """A file that cannot be read, or not safely: says what is wrong, where, and how to fix it."""

    def __init__(self, path: Path, vi: str, en: str) -> None:
        self.path = path
        super().__init__(f"{path}: {vi} / {en}")


@dataclass(frozen=True)
class SheetSize:
    rows: int
    columns: int
    cells: int


def _vi(n: float) -> str:
    return f"{n:,.0f}".replace(",", ".")


# --- XLSX ----------------------------------------------------------------------------------------------


def survey(path: Path) -> dict[str, SheetSize]:
    """Each sheet's size, read from the zip without loading the workbook; FileRefused past a limit."""
    if not path.is_file():
        raise FileRefused(path, "không tìm thấy tệp", "file not found")
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        raise FileRefused(
            path, "tệp rỗng (0 byte), chọn lại đúng tệp", "the file is empty (0 bytes): choose the right file"
        )
    if head == _OLE:
        raise _unreadable(path, "đây là tệp .xls cũ", "this is an old .xls file")
    try:
        with zipfile.ZipFile(path) as archive:
            return _survey(path, archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
        raise _unreadable(path, "không phải tệp nén zip", "not a zip archive") from None
    except (ET.ParseError, KeyError, NotImplementedError, RuntimeError, OSError) as exc:
        # a damaged part, a missing one, an unknown compression method, a password
        raise _unreadable(path, f"tệp bị hỏng ({exc})", f"the file is damaged ({exc})") from None


def _unreadable(path: Path, vi: str, en: str) -> FileRefused:
    return FileRefused(
        path,
        f"không đọc được tệp XLSX: {vi}; hãy mở bằng Excel và lưu lại dạng Excel Workbook (.xlsx)",
        f"cannot be read as XLSX: {en}; open it in Excel and save it as an Excel Workbook (.xlsx)",
    )


def _survey(path: Path, archive: zipfile.ZipFile) -> dict[str, SheetSize]:
    members = {info.filename: info for info in archive.infolist()}
    # the directory's sizes can be trusted: zipfile never returns more than a part's declared size
    total = sum(info.file_size for info in members.values())
    if total > MAX_UNCOMPRESSED:
        raise FileRefused(
            path,
            f"bảng tính quá lớn khi giải nén ({_vi(total / 1e6)} MB, tối đa {_vi(MAX_UNCOMPRESSED / 1e6)} MB); "
            "hãy xóa các trang, dòng thừa hoặc chia thành nhiều tệp",
            f"the workbook is too large unzipped ({total / 1e6:,.0f} MB, at most {MAX_UNCOMPRESSED / 1e6:,.0f} MB); "
            "delete unused sheets and rows or split it into several files",
        )
    for info in members.values():
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise FileRefused(
                path,
                f"phần {info.filename} bị nén bất thường ({_vi(ratio)} lần, tối đa {MAX_RATIO}), "
                "có thể là tệp độc hại; hãy lưu lại tệp từ Excel",
                f"part {info.filename} is compressed abnormally ({ratio:,.0f} times, at most {MAX_RATIO}), "
                "possibly a zip bomb; save the file again from Excel",
            )
    if "[Content_Types].xml" not in members:
        raise _unreadable(path, "tệp nén nhưng không phải bảng tính Excel", "a zip archive but not an Excel workbook")
    workbook = _workbook_part(archive)
    if workbook not in members:
        raise _unreadable(path, f"thiếu phần {workbook}", f"the part {workbook} is missing")
    sheets = _sheet_parts(archive, workbook)
    sizes, cells = {}, 0
    for name, part in sheets.items():
        sizes[name] = _measure(archive, part, MAX_CELLS - cells)
        cells += sizes[name].cells
        over = [
            (f"hơn {_vi(limit)} {vi}", f"more than {limit:,} {en}")
            for size, limit, vi, en in (
                (sizes[name].rows, MAX_ROWS, "dòng", "rows"),
                (sizes[name].columns, MAX_COLUMNS, "cột", "columns"),
                (cells, MAX_CELLS, "ô (cả tệp)", "cells (whole file)"),
            )
            if size > limit
        ]
        if over:
            raise FileRefused(
                path,
                f"trang {name!r} có {over[0][0]}; hãy xóa các dòng, cột thừa hoặc chia thành nhiều tệp",
                f"sheet {name!r} has {over[0][1]}; delete unused rows and columns or split it into several files",
            )
    return sizes


def _workbook_part(archive: zipfile.ZipFile) -> str:
    """Where the workbook is, as openpyxl finds it: by its content type, else the usual place."""
    types = ET.fromstring(archive.read("[Content_Types].xml"))
    for override in types:
        if override.get("ContentType") in _WORKBOOK_TYPES and override.get("PartName"):
            return str(override.get("PartName")).lstrip("/")
    return "xl/workbook.xml"


def _sheet_parts(archive: zipfile.ZipFile, workbook: str) -> dict[str, str]:
    """Sheet name → its XML part, from the workbook and its relationships."""
    folder, base = posixpath.split(workbook)
    rels_name = posixpath.join(folder, "_rels", f"{base}.rels")
    targets = {}
    if rels_name in archive.namelist():
        for rel in ET.fromstring(archive.read(rels_name)):
            if rel.get("Type") == _WORKSHEET and rel.get("Target"):
                target = str(rel.get("Target"))
                full = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
                targets[rel.get("Id")] = posixpath.normpath(full)
    parts = {}
    for element in ET.fromstring(archive.read(workbook)).iter():
        if element.tag.endswith("}sheet") and element.get(_R_ID) in targets:
            parts[str(element.get("name"))] = targets[element.get(_R_ID)]
    return parts


def _measure(archive: zipfile.ZipFile, part: str, cells_left: int) -> SheetSize:
    """Rows, columns and cells of a sheet, streaming its XML; stops as soon as a limit is passed.

    Counts the elements and reads their positions too: one cell at XFD1048576 is a small file, but a
    reader that walks the sheet up to its last row and column would build seventeen billion cells.
    """
    rows = cells = max_row = max_column = 0
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK):
            block = tail + chunk
            cut = block.rfind(b">") + 1  # a tag cut in two by the chunk is counted with the next one
            block, tail = block[:cut], block[cut:]
            rows += len(_ROW.findall(block))
            cells += len(_CELL.findall(block))
            max_row = max(max_row, *map(int, _ROW_REF.findall(block)), *map(int, _CELL_ROW.findall(block)))
            columns = set(_CELL_COLUMN.findall(block))
            if columns:
                widest = max(columns, key=lambda letters: (len(letters), letters))
                max_column = max(max_column, column_index_from_string(widest.decode()))
            if max(rows, max_row) > MAX_ROWS or max_column > MAX_COLUMNS or cells > cells_left:
                break
    return SheetSize(max(rows, max_row), max_column, cells)


@contextmanager
def opened(path: Path, *, surveyed: bool = False) -> Iterator[Any]:
    """The workbook (values, not formulas), closed afterwards; surveyed first unless the caller just did."""
    if not surveyed:
        survey(path)
    # our handle, closed here: openpyxl leaves its own open when a part fails to parse
    with path.open("rb") as handle:
        try:
            wb = load_workbook(handle, data_only=True)
        except Exception as exc:  # openpyxl raises whatever its parsers meet in a damaged part
            raise _unreadable(path, f"tệp bị hỏng ({exc})", f"the file is damaged ({exc})") from None
    try:
        yield wb
    finally:
        wb.close()


# --- the hidden metadata sheet -------------------------------------------------------------------------


def write_meta(wb: Any, schema: str, meta: Mapping[str, object]) -> None:
    """Add the hidden sheet: schema, version 1, then `meta` (framework hash, unit, period, plan …)."""
    ws = wb.create_sheet(META_SHEET)
    for i, (key, value) in enumerate({"schema": schema, "version": "1", **meta}.items(), start=1):
        ws.cell(row=i, column=1, value=key)
        ws.cell(row=i, column=2, value=value)
    ws.sheet_state = "veryHidden"  # not even listed under Unhide: officers should not edit it


def read_meta(wb: Any) -> dict[str, str]:
    """The hidden sheet's keys and values ({} when the workbook has none)."""
    meta: dict[str, str] = {}
    if META_SHEET in wb.sheetnames:
        for key, value, *_ in wb[META_SHEET].iter_rows(values_only=True):
            if key is not None:
                meta[str(key)] = "" if value is None else str(value)
    return meta


# --- tables out ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetTable:
    """A table for a workbook: its sheet name (≤ 31 characters), headers, an Excel number format per
    column ("@" for text) and rows of numbers and texts."""

    name: str
    headers: Sequence[str]
    formats: Sequence[str]
    rows: Sequence[Sequence[object]]


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def tables_workbook(tables: Sequence[SheetTable]) -> bytes:
    """One sheet per table, the header bold and frozen, numbers stored as numbers in their format."""
    book = Workbook()
    first = book.active
    assert first is not None  # a new workbook has one sheet
    book.remove(first)
    taken: set[str] = set()
    for table in tables:
        base = _SHEET_FORBIDDEN.sub(" ", table.name)[:31].strip() or "Sheet"
        name, n = base, 2
        while name.casefold() in taken:
            suffix = f" ({n})"
            name, n = base[: 31 - len(suffix)] + suffix, n + 1
        taken.add(name.casefold())
        sheet = book.create_sheet(name)
        sheet.append(list(table.headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([None if isinstance(v, float) and v != v else v for v in row])
        sheet.freeze_panes = "A2"
        for i, (header, number_format) in enumerate(zip(table.headers, table.formats, strict=True), start=1):
            letter = get_column_letter(i)
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = number_format
            longest = max([len(header), *(len(str(r[i - 1])) for r in table.rows if r[i - 1] is not None)])
            sheet.column_dimensions[letter].width = min(max(8, longest + 2), 70)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- CSV and other text --------------------------------------------------------------------------------


def utf8_text(path: Path) -> str:
    """The file's text (a byte-order mark dropped); FileRefused, with the place, when it is not UTF-8."""
    if not path.is_file():
        raise FileRefused(path, "không tìm thấy tệp", "file not found")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))  # Excel's "Unicode Text"
        where = "UTF-16" if utf16 else f"dòng {line}, byte {exc.start + 1}"
        raise FileRefused(
            path,
            f"không phải văn bản UTF-8 ({where}); hãy lưu lại dạng UTF-8 (Excel: Lưu thành › CSV UTF-8)",
            f"not UTF-8 text ({where.replace('dòng', 'line')}); save it as UTF-8 (Excel: Save As › CSV UTF-8)",
        ) from None


CSV_FIELD_LIMIT = 128 * 1024  # characters a CSV field may hold (Excel stops at 32,767 a cell)


class _CheckedRows:
    """A DictReader whose fields are held to CSV_FIELD_LIMIT by Chiso itself: the csv module's own limit is
    process-wide, and a library that raises it (frictionless does, on import) would lift it here too."""

    def __init__(self, reader: csv.DictReader[str]) -> None:
        self.reader = reader

    @property
    def fieldnames(self) -> Sequence[str] | None:
        return self.reader.fieldnames

    @property
    def line_num(self) -> int:
        return self.reader.line_num

    def __iter__(self) -> Iterator[dict[str, str]]:
        for row in self.reader:
            if any(isinstance(v, str) and len(v) > CSV_FIELD_LIMIT for v in row.values()):
                raise csv.Error(f"field larger than field limit ({CSV_FIELD_LIMIT})")
            yield row


@contextmanager
def csv_reader(path: Path) -> Iterator[_CheckedRows]:
    """Rows of a UTF-8 CSV file; a row the csv module cannot parse is refused with its line number."""
    reader = _CheckedRows(csv.DictReader(io.StringIO(utf8_text(path), newline="")))
    try:
        yield reader
    except csv.Error as exc:  # a field over the csv module's 128 KiB limit, where Excel stops at 32,767
        raise FileRefused(
            path,
            f"không đọc được tệp CSV ở dòng {reader.line_num} ({exc}); Excel cho phép tối đa 32.767 ký tự một ô",
            f"cannot be read as CSV at line {reader.line_num} ({exc}); Excel allows at most 32,767 characters a cell",
        ) from None
