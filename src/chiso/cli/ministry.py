"""`chiso ministry`: the province's DTI declaration to the Ministry (docs/ministry.md).

components import → open → (departments declare, the DX office appraises: chiso collect, chiso review)
→ estimate → export; after publication the national figures come in and `estimate` shows the gaps.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from chiso import numbers
from chiso.cli.output import fail, print_table
from chiso.cli.session import AsOption, load_settings, work

HELP = "Kê khai DTI với Bộ — the province's DTI declaration: components, estimate, export."
app = typer.Typer(help=HELP, no_args_is_help=True)
parts = typer.Typer(help="Danh mục chỉ số thành phần — the Ministry's component list of a year.", no_args_is_help=True)
app.add_typer(parts, name="components")
YearOption = typer.Option(..., "--year", help="The DTI year declared (e.g. 2025).")


def _province(given: str | None) -> str:
    province = given or load_settings().province
    if not province:
        fail("which province? give --province CODE (or set CHISO_PROVINCE)")
    return province


def _num(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else numbers.format(round(value, digits))


@parts.command("import")
def import_(
    file: Path = typer.Argument(..., help="The component list (.xlsx or .csv); columns in docs/ministry.md."),
    year: int = YearOption,
    province: str | None = typer.Option(None, "--province", help="Official code of the province (2025)."),
    as_user: str = AsOption,
) -> None:
    """Nhập danh mục chỉ số thành phần — import a component list, checked against the year's method."""
    from chiso.ministry import service

    with work(as_user) as w:
        stored = service.import_file(
            session=w.session, path=file, year=year, province=_province(province), actor=w.actor
        )
        leads = service.assignments(stored)
        code, sha = stored.framework_version.code, stored.framework_version.sha256[:12]
    typer.echo(
        f"Đã nhập {len(stored.rows)} chỉ số thành phần, {len(leads)} đơn vị chủ trì → bộ chỉ số {code} ({sha})\n"
        f"Imported {len(stored.rows)} components led by {len(leads)} departments → framework {code} ({sha})"
    )


@parts.command("example")
def example(
    out: Path = typer.Option(..., "--out", "-o", help="The XLSX or CSV file to write."),
    year: int = YearOption,
    province: str = typer.Option("19", "--province", help="Official code of the province (2025)."),
) -> None:
    """Danh mục ví dụ minh họa — write the demo's example list (not the Ministry's), to see the layout."""
    import pandas as pd

    from chiso.demo import ministry as example_list
    from chiso.tables import TableError, write_table

    frame = pd.DataFrame(example_list.example_rows(year, province), columns=example_list.COLUMNS)
    try:
        write_table(out, {"Danh mục": frame})
    except TableError as exc:
        fail(str(exc))
    typer.echo(f"Đã ghi danh mục ví dụ minh họa / wrote the example list (not the Ministry's) → {out}")


@app.command("open")
def open_(
    year: int = YearOption,
    opens: str = typer.Option(..., "--opens", help="First day (YYYY-MM-DD)."),
    closes: str = typer.Option(..., "--closes", help="Due date (YYYY-MM-DD)."),
    officer: list[str] = typer.Option([], "--officer", help="UNIT=USER: a lead department's officer. Repeatable."),
    appraiser: list[str] = typer.Option([], "--appraiser", help="USER of the province's DX office. Repeatable."),
    as_user: str = AsOption,
) -> None:
    """Mở kỳ kê khai DTI — open the declaration: each lead department declares its components."""
    from chiso.actors import service as actors
    from chiso.ministry import service

    try:
        first, last = dt.date.fromisoformat(opens), dt.date.fromisoformat(closes)
    except ValueError:
        fail(f"--opens / --closes: write dates as YYYY-MM-DD (got {opens!r}, {closes!r})")
    with work(as_user) as w:
        period = service.open_declaration(session=w.session, year=year, opens_on=first, closes_on=last, actor=w.actor)
        leads = service.assignments(service.current_list(session=w.session, year=year))
        code = period.code
        for pair in officer:
            unit_code, _, user = pair.partition("=")
            if not user or unit_code not in leads:
                fail(f"--officer {pair!r}: write UNIT=USER with a lead department ({', '.join(leads)})")
            actors.ensure(session=w.session, user=user, roles={"officer"}, unit_code=unit_code, actor=w.actor)
        for user in appraiser:
            actors.ensure(session=w.session, user=user, roles={"appraiser"}, actor=w.actor)
    typer.echo(f"Đã mở kỳ / opened {code}")
    print_table(["đơn vị chủ trì / lead", "chỉ số / components"], [(u, len(c)) for u, c in leads.items()])


@app.command("estimate")
def estimate(year: int = YearOption, as_user: str = AsOption) -> None:
    """Ước tính DTI — the main indicators, pillars and DTI the declaration gives, beside the published ones."""
    from chiso.ministry import service

    with work(as_user) as w:
        found = service.comparison(session=w.session, year=year, actor=w.actor)
    est = found.estimate
    if est.note:
        typer.echo(f"({est.note})")
    rows = [
        (line.number, line.name, _num(line.estimate), _num(line.published), _num(line.gap))
        for line in [*found.mains, *found.pillars, found.dti]
    ]
    print_table(["STT", "chỉ số / indicator", "ước tính / estimate", "công bố / published", "chênh / gap"], rows)
    states = ", ".join(f"{k}: {v}" for k, v in sorted(est.by_state.items()))
    typer.echo(f"{len(est.components)} chỉ số thành phần / components ({states}); chưa chấm / unscored: "
               f"{len(est.unscored)}")  # fmt: skip


@app.command("export")
def export(
    year: int = YearOption,
    out: Path = typer.Option(..., "--out", "-o", help="The XLSX file to write."),
    as_user: str = AsOption,
) -> None:
    """Xuất bản kê khai — the declaration as a workbook in the layout of the imported component list."""
    from chiso.ministry import export as workbook

    if out.suffix.lower() != ".xlsx":
        fail(f"{out}: the declaration is written as an .xlsx file")
    with work(as_user) as w:
        est = workbook.write(session=w.session, year=year, path=out, actor=w.actor)
    typer.echo(f"Đã ghi bản kê khai / wrote the declaration ({len(est.components)} components) → {out}")
