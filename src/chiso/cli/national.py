"""`chiso national`: the provinces' DTI — import the Ministry's published table, show a year's ranking."""

from __future__ import annotations

from pathlib import Path

import typer

from chiso.cli.output import fail, print_table
from chiso.cli.session import AsOption, work

app = typer.Typer(help="Chỉ số DTI các tỉnh — the provinces' national DTI: import, ranking.", no_args_is_help=True)
EraOption = typer.Option(
    None, "--era", help="2024: 63 tỉnh (trước 1/7/2025); 2025: 34 tỉnh. Mặc định: 2024 đến năm 2023, 2025 từ 2024."
)


@app.command("import")
def import_(
    path: Path = typer.Argument(..., help="Bảng công bố của Bộ — the published table (.csv UTF-8 or .xlsx)."),
    year: int = typer.Option(..., "--year", help="Năm của chỉ số DTI — the DTI's year."),
    era: str | None = EraOption,
    as_user: str = AsOption,
) -> None:
    """Nhập bảng chỉ số DTI đã công bố — import a published table; all or nothing, every problem listed."""
    from chiso.national import published

    chosen = era or published.default_era(year)
    with work(as_user) as w:
        report = published.import_table(session=w.session, path=path, year=year, era=chosen, actor=w.actor)
    for warning in report.warnings:
        typer.echo(str(warning), err=True)
    typer.echo(
        f"DTI {report.year}, {published.ERAS[report.era]} tỉnh (giai đoạn {report.era}): {report.provinces} tỉnh / "
        f"provinces, {report.recorded} giá trị mới / new values"
    )


@app.command("ranking")
def ranking(
    year: int = typer.Option(..., "--year", help="Năm — the DTI's year."),
    era: str | None = EraOption,
    as_user: str = AsOption,
) -> None:
    """Xếp hạng DTI các tỉnh một năm — the year's ranking (published rank where known, else recomputed)."""
    from chiso.national import published
    from chiso.national import service as national

    chosen = era or published.default_era(year)
    if chosen not in published.ERAS:
        fail(f"giai đoạn {chosen!r} không có; dùng 2024 hoặc 2025 — era must be 2024 or 2025")
    with work(as_user) as w:
        rows = national.standings(session=w.session, actor=w.actor, year=year, era=chosen)
    if not rows:
        fail(f"chưa có số liệu DTI năm {year} (giai đoạn {chosen}) — no national figures for {year}")
    print_table(
        ["Hạng", "", "Mã", "Tỉnh", "DTI", ""],
        [
            (r.shown_rank, "công bố" if r.published_rank else "tính lại", r.unit, r.name, f"{r.dti:.4f}",
             "mô phỏng" if r.simulated else "")
            for r in rows
        ],
    )  # fmt: skip
