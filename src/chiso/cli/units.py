"""`chiso units …` — đơn vị hành chính: list, show, search, succession, groups, boundaries.

Thin: every command calls `chiso.units` and formats what it returns.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from chiso import csvsafe
from chiso.units import geo, registry, succession
from chiso.units.config import load_config
from chiso.units.departments import apply_changes
from chiso.units.errors import UnitsError
from chiso.units.groups import national_group, province_groups
from chiso.units.schemas import Era, Kind, Link, Unit

app = typer.Typer(help="Đơn vị hành chính — administrative units.", no_args_is_help=True)


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


EraOption = Annotated[Era | None, typer.Option("--era", help="Thời kỳ — era: 2024 (63 tỉnh) | 2025 (34 tỉnh).")]
LevelOption = Annotated[
    Kind | None,
    typer.Option(help="Cấp — `commune`: for a province or district, the links of the communes inside it."),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Định dạng — output format.")]
UNIT_COLUMNS = [
    "era",
    "code",
    "kind",
    "subtype",
    "name",
    "name_en",
    "parent_code",
    "province_code",
    "valid_from",
    "valid_to",
]
LINK_COLUMNS = [
    "from_era", "from_code", "from_name", "to_era", "to_code", "to_name", "to_kind", "partial",
    "source_share", "source_share_basis", "target_share", "target_share_basis", "origin",
]  # fmt: skip


@contextmanager
def _user_errors() -> Iterator[None]:
    """Bad input ends the command with a message on stderr and exit code 2, never a traceback."""
    try:
        yield
    except UnitsError as error:
        typer.echo(f"Lỗi — error: {error}", err=True)
        raise typer.Exit(2) from None


def _value(era: Era | None) -> str | None:
    return era.value if era is not None else None


def _emit(rows: Sequence[dict[str, Any]], columns: list[str], fmt: Format) -> None:
    if fmt is Format.JSON:
        typer.echo(json.dumps(list(rows), ensure_ascii=False, indent=2))
        return
    if fmt is Format.CSV:
        buffer = io.StringIO()
        csvsafe.write(buffer, rows, columns, lineterminator="\n")
        typer.echo(buffer.getvalue(), nl=False)
        return
    if not rows:
        typer.echo("(không có — none)")
        return
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    typer.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _link_row(link: Link) -> dict[str, Any]:
    row = link.to_dict()
    row["from_name"] = _name(link.from_code, link.from_era.value)
    row["to_name"] = _name(link.to_code, link.to_era.value)
    return row


def _name(code: str, era: str) -> str:
    found = registry.find(code, era=era)
    return found[0].name if found else ""


@app.command("list")
def list_(
    era: EraOption = None,
    kind: Annotated[Kind | None, typer.Option(help="Loại — kind of unit.")] = None,
    province: Annotated[str | None, typer.Option(help="Mã tỉnh — units inside this province (code).")] = None,
    subtype: Annotated[
        str | None, typer.Option(help="Phân loại — subtype: xa, phuong, dac_khu, thi_tran, huyen …")
    ] = None,
    on: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Ngày — only units valid on this date.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Cấu hình của tỉnh — a province's department changes (YAML).")
    ] = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Liệt kê đơn vị — list units (JSON: a list of objects)."""
    with _user_errors():
        units = registry.list_units(
            era=_value(era), kind=kind.value if kind else None, province=province, subtype=subtype
        )
        if config is not None:
            units = _with_province_departments(units, config, on.date() if on else None)
        if on is not None:
            units = [u for u in units if u.is_valid_on(on.date())]
    _emit([u.to_dict() for u in units], UNIT_COLUMNS, fmt)


def _with_province_departments(units: list[Unit], path: Path, on: dt.date | None) -> list[Unit]:
    settings = load_config(path)
    province = registry.get(settings.province, era="2025")
    own = apply_changes(province, settings.departments, on=on)
    listed_departments = {u.code for u in units if u.kind is Kind.DEPARTMENT and u.province_code == province.code}
    if not listed_departments:
        return units
    kept = [u for u in units if u.code not in listed_departments]
    return registry.sort_units([*kept, *own])


@app.command()
def show(
    code: Annotated[str, typer.Argument(help="Mã đơn vị — unit code (e.g. 19, 01651, 19-SKHCN).")],
    era: EraOption = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Xem một đơn vị — show a unit in each era that has this code."""
    with _user_errors():
        units = [registry.get(code, era=era.value)] if era is not None else registry.find(code)
        if not units:
            raise UnitsError(f"No unit with code {code} in any era; try `chiso units search NAME`.")
        details = [_details(u) for u in units]
    if fmt is Format.JSON:
        typer.echo(json.dumps(details, ensure_ascii=False, indent=2))
        return
    if fmt is Format.CSV:
        _emit(details, [*UNIT_COLUMNS, "parent_name", "children", "has_boundary"], fmt)
        return
    for index, detail in enumerate(details):
        if index:
            typer.echo("")
        for key, value in detail.items():
            if isinstance(value, list):
                shown = ", ".join(f"{v['code']} {v['name']}" for v in value) or "—"
            else:
                shown = _cell(value) or "—"
            typer.echo(f"{key:<15} {shown}")


def _details(unit: Unit) -> dict[str, Any]:
    parent = registry.parent(unit)
    detail = unit.to_dict()
    detail["subtype_label"] = unit.subtype_label
    detail["parent_name"] = parent.name if parent else None
    detail["children"] = len(registry.children(unit))
    detail["has_boundary"] = geo.has_boundary(unit)
    detail["origin"] = unit.origin
    if unit.kind is not Kind.DEPARTMENT:
        detail["successors"] = [
            {"code": link.to_code, "name": _name(link.to_code, link.to_era.value)}
            for link in succession.successors(unit.code, era=unit.era)
        ]
        detail["predecessors"] = [
            {"code": link.from_code, "name": _name(link.from_code, link.from_era.value)}
            for link in succession.predecessors(unit.code, era=unit.era)
        ]
    return detail


@app.command()
def search(
    text: Annotated[str, typer.Argument(help='Tên, không cần dấu — name, accents optional ("thai nguyen").')],
    era: EraOption = None,
    kind: Annotated[Kind | None, typer.Option(help="Loại — kind of unit.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Số kết quả tối đa — at most this many results.")] = 50,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Tìm đơn vị theo tên — search units by name, ignoring accents and case."""
    with _user_errors():
        units = registry.search(text, era=_value(era), kind=kind.value if kind else None, limit=limit)
    _emit([u.to_dict() for u in units], UNIT_COLUMNS, fmt)


def _links_command(
    lookup: Callable[..., list[Link]], code: str, era: Era, level: Kind | None, fmt: Format, empty_note: str
) -> None:
    with _user_errors():
        links = lookup(code, era=era.value, level=level.value if level else None)
        rows = [_link_row(link) for link in links]
    if not rows and fmt is Format.TABLE:
        typer.echo(empty_note)
        return
    _emit(rows, LINK_COLUMNS, fmt)


@app.command()
def successors(
    code: Annotated[str, typer.Argument(help="Mã đơn vị cũ — code of an old (2024) unit.")],
    era: Annotated[Era, typer.Option(help="Thời kỳ của mã — era of the code.")] = Era.Y2024,
    level: LevelOption = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Đơn vị kế thừa — where an old unit went on 1/7/2025 (partial = split among several)."""
    _links_command(
        succession.successors, code, era, level, fmt, "Không có đơn vị kế thừa — no successors (era 2025 is current)."
    )


@app.command()
def predecessors(
    code: Annotated[str, typer.Argument(help="Mã đơn vị mới — code of a new (2025) unit.")],
    era: Annotated[Era, typer.Option(help="Thời kỳ của mã — era of the code.")] = Era.Y2025,
    level: LevelOption = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Đơn vị tiền thân — what a new unit was formed from."""
    _links_command(
        succession.predecessors,
        code,
        era,
        level,
        fmt,
        "Không có đơn vị tiền thân — no predecessors (era 2024 is the first).",
    )


@app.command()
def groups(
    province: Annotated[
        str | None, typer.Option(help="Mã tỉnh — groups inside this province; without it, all provinces.")
    ] = None,
    era: Annotated[Era, typer.Option(help="Thời kỳ — era.")] = Era.Y2025,
    config: Annotated[
        Path | None, typer.Option(help="Cấu hình của tỉnh — departments, not-ranked units, own groups (YAML).")
    ] = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Nhóm xếp hạng — groups of units ranked together, and who is assessed but not ranked."""
    with _user_errors():
        settings = load_config(config) if config is not None else None
        if province is None and settings is not None:
            province = settings.province
        found = (
            province_groups(province, era=era.value, config=settings)
            if province is not None
            else [national_group(era.value)]
        )
    rows = [
        {
            "code": g.code,
            "name": g.name,
            "name_en": g.name_en,
            "era": g.era.value,
            "province_code": g.province_code,
            "members": len(g.members),
            "ranked": len(g.ranked_members),
            "not_ranked": ",".join(sorted(g.not_ranked)),
            "member_codes": list(g.members),
        }
        for g in found
    ]
    _emit(rows, ["code", "name", "members", "ranked", "not_ranked"], fmt)


@app.command()
def geojson(
    era: Annotated[Era, typer.Option(help="Thời kỳ — era.")] = Era.Y2025,
    kind: Annotated[Kind, typer.Option(help="province | commune (2025 only).")] = Kind.PROVINCE,
    province: Annotated[str | None, typer.Option(help="Mã tỉnh — communes of this province only.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Tệp ghi ra — write here, not stdout.")] = None,
) -> None:
    """Bản đồ — boundaries as GeoJSON, joined on official codes (a reference map, not legal boundaries)."""
    with _user_errors():
        collection = geo.boundaries(era.value, kind=kind.value, province=province)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"{len(collection['features'])} features → {output}", err=True)
