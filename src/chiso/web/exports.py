"""Downloads of what a ranking or a unit profile shows: CSV (UTF-8 with a byte-order mark, so that Excel
reads the Vietnamese right) and XLSX (one sheet per table, the header frozen, numbers in their format).

Numbers are rounded as the page shows them: a value shown with 2 decimals is written with 2; a share
shown as 87,30 % is written 87.30 in the CSV (its header says %) and 0.873 formatted 0.00 % in the XLSX.
The headers are in the page's language (Vietnamese first); file names carry the period's year.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from fastapi.responses import Response

from chiso import csvsafe, numbers
from chiso.dashboard.schemas import Improvement, NodeInfo, Ranking, UnitProfile
from chiso.web.i18n import Formats
from chiso.workbooks import SheetTable, tables_workbook

Kind = Literal["text", "rank", "int", "num", "signed", "pct"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = "text"
    digits: int = 0


@dataclass(frozen=True)
class Table:
    sheet: str
    columns: tuple[Column, ...]
    rows: Sequence[tuple[object, ...]]


def _round(value: object, column: Column) -> object:
    if value is None or not isinstance(value, int | float) or column.kind == "text":
        return value
    if column.kind in ("rank", "int", "signed"):
        return int(value)
    if column.kind == "pct":  # shown as a percentage with `digits` decimals
        return numbers.rounded(float(value) * 100, column.digits) / 100
    return numbers.rounded(float(value), column.digits)


def _csv_cell(value: object, column: Column) -> object:
    if value is None:
        return ""
    if column.kind == "pct" and isinstance(value, float):
        return f"{value * 100:.{column.digits}f}"
    if column.kind == "num" and isinstance(value, float):
        return f"{value:.{column.digits}f}"
    return value


def _format(column: Column) -> str:
    if column.kind in ("rank", "int"):
        return "0"
    if column.kind == "signed":
        return "+0;-0;0"
    if column.kind == "num":
        return "#,##0." + "0" * column.digits if column.digits else "#,##0"
    if column.kind == "pct":
        return "0." + "0" * column.digits + "%" if column.digits else "0%"
    return "@"


def _header(column: Column) -> str:
    return f"{column.header} (%)" if column.kind == "pct" else column.header


def csv_bytes(table: Table) -> bytes:
    buffer = io.StringIO()
    headers = [_header(c) for c in table.columns]
    rows = (
        {h: _csv_cell(_round(v, c), c) for h, v, c in zip(headers, row, table.columns, strict=True)}
        for row in table.rows
    )
    csvsafe.write(buffer, rows, headers, lineterminator="\r\n")
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    return tables_workbook(
        [
            SheetTable(
                t.sheet,
                [c.header for c in t.columns],
                [_format(c) for c in t.columns],
                [tuple(_round(v, c) for v, c in zip(row, t.columns, strict=True)) for row in t.rows],
            )
            for t in tables
        ]
    )


def download(tables: Sequence[Table], fmt: str, name: str) -> Response:
    """The first table as CSV, or every table as one workbook; `name` without its extension."""
    if fmt == "csv":
        data, media = csv_bytes(tables[0]), "text/csv; charset=utf-8"
    else:
        data, media = xlsx_bytes(tables), XLSX
    file_name = f"{name}.{fmt}"
    disposition = f"attachment; filename=\"{file_name}\"; filename*=UTF-8''{quote(file_name)}"
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})


def slug(text: str) -> str:
    """ASCII for a file name: "2025/commune-2025" → "2025-commune-2025", "Phường Đức Xuân" → "phuong-duc-xuan"."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = plain.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9.]+", "-", plain).strip("-").lower()


def value_digits(node: NodeInfo) -> int:
    """As the pages show a node's value: points with 2 decimals, an index between 0 and 1 with 4."""
    return 2 if node.max_points else 4


# --- a ranking -----------------------------------------------------------------------------------------


def ranking_table(ranking: Ranking, lang: str, _: Callable[[str], str]) -> Table:
    """The ranking as the overview's table shows it."""
    digits = value_digits(ranking.node)
    columns = [Column(_("Hạng"), "rank")]
    if ranking.intervals:
        columns += [Column(_("Khoảng hạng: từ"), "rank"), Column(_("Khoảng hạng: đến"), "rank")]
    columns += [Column(_("Mã đơn vị")), Column(_("Đơn vị"))]
    if ranking.by_rate:
        columns.append(
            Column(_("Tỷ lệ"), "pct", 2) if ranking.rate_kind == "share" else Column(_("Giá trị của chỉ số"), "num", 2)
        )
        columns.append(Column(_("Điểm"), "num", digits))
    else:
        columns.append(Column(_("Giá trị"), "num", digits))
    if ranking.previous_period:
        columns.append(Column(_("Thay đổi"), "signed"))
    rows = []
    for r in ranking.rows:
        row: list[object] = [r.rank]
        if ranking.intervals:
            row += [r.rank_low, r.rank_high]
        row += [r.unit_code, r.unit_name]
        if ranking.by_rate:
            row.append(r.rate)
        row.append(r.value)
        if ranking.previous_period:
            row.append(r.change)
        rows.append(tuple(row))
    return Table(_("Xếp hạng"), tuple(columns), rows)


def ranking_about(ranking: Ranking, lang: str, _: Callable[[str], str]) -> Table:
    """What the workbook holds: the period, the node, the group, the run, and how the intervals were drawn."""
    fmt = Formats(lang)
    node = fmt.name(ranking.node.label, ranking.node.label_en)
    lines: list[tuple[object, ...]] = [
        (_("Kỳ đánh giá"), str(ranking.period.year)),
        (_("Bộ chỉ số"), ranking.period.framework_name),
        (_("Chỉ số"), node),
        (_("Nhóm đơn vị"), fmt.name(ranking.group.name, ranking.group.name_en) if ranking.group else _("Tất cả")),
        (_("Số đơn vị"), str(len(ranking.rows))),
        (_("Kết quả"), _("Đã công bố") if ranking.run.published else _("Chưa công bố")),
    ]
    if ranking.run.simulated:
        lines.append((_("Ghi chú"), _("Số liệu mô phỏng")))
    if ranking.intervals:
        lines.append((_("Khoảng hạng"), interval_note(ranking.intervals.draws, ranking.intervals.factor, lang, _)))
    return Table(_("Giới thiệu"), (Column(_("Mục")), Column(_("Nội dung"))), lines)


def interval_note(draws: int, factor: float, lang: str, _: Callable[[str], str]) -> str:
    return _(
        "Hạng của đơn vị trong 90 %% số lần tính lại (từ 5 %% đến 95 %%) khi mỗi trọng số thay đổi ngẫu nhiên"
        " ±%(factor)s (%(draws)s lần)."
    ) % {"factor": Formats(lang).pct(factor, 0), "draws": draws}


# --- a unit profile ------------------------------------------------------------------------------------


def profile_tables(
    profile: UnitProfile, improvements: Sequence[Improvement], lang: str, _: Callable[[str], str]
) -> list[Table]:
    """The profile's tables: the indicators (first: the CSV), the summary, the years, improve first."""
    fmt = Formats(lang)
    p = profile
    item_columns = [
        Column(_("Số hiệu")),
        Column(_("Chỉ số")),
        Column(_("Tối đa"), "num", 0),
        Column(_("Tự đánh giá"), "num", 2),
        Column(_("Thẩm định"), "num", 2),
        Column(_("Cuối cùng"), "num", 2),
    ]
    items = [(it.number or "", it.name, it.max_points, it.self_score, it.appraised, it.final) for it in p.items]
    digits = value_digits(p.index.node)
    summary_columns = (
        Column(_("Chỉ số")),
        Column(_("Giá trị"), "num", digits),
        Column(_("Tối đa"), "num", 0),
        Column(_("Hạng"), "rank"),
        Column(_("Khoảng hạng: từ"), "rank"),
        Column(_("Khoảng hạng: đến"), "rank"),
        Column(_("Số đơn vị"), "int"),
        Column(_("Trung bình"), "num", 2),
    )
    low, high = p.interval if p.interval else (None, None)
    summary = [
        (
            fmt.name(s.node.label, s.node.label_en),
            s.value,
            s.node.max_points,
            s.rank,
            low if s is p.index else None,
            high if s is p.index else None,
            s.units,
            s.mean,
        )
        for s in [p.index, *p.pillars]
    ]
    year_columns: list[Column] = [Column(_("Năm"), "int")]
    heads = p.history[0][2] if p.history else []
    for s in heads:
        label = fmt.name(s.node.label, s.node.label_en)
        year_columns += [Column(label, "num", 2), Column(f"{label} – {_('hạng')}", "rank")]
    years = [
        (year, *[x for s in scores for x in (s.value, s.rank)])
        for _code, year, scores in p.history
        if len(scores) == len(heads)
    ]
    improve_columns = (
        Column(_("Số hiệu")),
        Column(_("Chỉ số")),
        Column(_("Điểm hiện tại"), "num", 2),
        Column(_("Điểm ở mức kế tiếp"), "num", 2),
        Column(_("Mức kế tiếp")),
        Column(_("Chỉ số tổng hợp tăng"), "num", 2),
        Column(_("Hạng hiện tại"), "rank"),
        Column(_("Hạng đạt được"), "rank"),
    )
    improve = [
        (i.number or "", i.name, i.points, i.next_points, i.step, i.index_gain, i.rank_before, i.rank_after)
        for i in improvements
    ]
    return [
        Table(_("Các chỉ số"), tuple(item_columns), items),
        Table(_("Tổng hợp"), summary_columns, summary),
        Table(_("Qua các năm"), tuple(year_columns), years),
        Table(_("Cải thiện trước"), improve_columns, improve),
    ]
