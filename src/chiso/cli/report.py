"""`chiso report annual`: the Digital Transformation Day report of a province, as PDF or XLSX."""

from __future__ import annotations

from pathlib import Path

import typer

from chiso.cli.output import fail
from chiso.cli.session import AsOption, work

app = typer.Typer(help="Báo cáo — reports (PDF, XLSX).", no_args_is_help=True)
FORMATS = {".pdf": "pdf", ".xlsx": "xlsx"}


@app.command("annual")
def annual(
    province: str = typer.Option(..., "--province", help="Mã tỉnh — province code (era 2025), e.g. 19."),
    year: int = typer.Option(..., "--year", help="Năm báo cáo — the report's year."),
    out: Path = typer.Option(..., "--out", help="Tệp ra — output file: .pdf or .xlsx."),
    user: str = AsOption,
) -> None:
    """Báo cáo năm cho Ngày Chuyển đổi số — the province's annual report (PDF or XLSX by --out's suffix)."""
    from chiso.reports import pdf, service, xlsx

    kind = FORMATS.get(out.suffix.lower())
    if kind is None:
        fail(f"tệp ra phải là .pdf hoặc .xlsx — --out must end in .pdf or .xlsx: {out}")
    with work(user) as w:
        report = service.annual(session=w.session, actor=w.actor, province=province, year=year)
        data = pdf.render(report) if kind == "pdf" else xlsx.render(report)
    try:
        out.write_bytes(data)
    except OSError as exc:
        fail(f"không ghi được tệp — cannot write {out}: {exc.strerror}")
    note = " (có số liệu mô phỏng / contains simulated figures)" if report.simulated else ""
    typer.echo(f"{out}: {report.title}, {len(report.tables)} bảng{note}")
