"""`chiso opendata release | years`: the open-data release of a published year (Frictionless data package)."""

from __future__ import annotations

from pathlib import Path

import typer

from chiso.cli.output import fail, print_table, refuse

app = typer.Typer(
    help="Dữ liệu mở — open data: the published results of a year as a data package.", no_args_is_help=True
)


@app.command("release")
def release(
    year: int = typer.Option(..., "--year", help="The year whose published results are released."),
    out: Path = typer.Option(..., "--out", "-o", help="A folder (datapackage.json + data/*.csv) or a .zip file."),
    licence: str = typer.Option("CC-BY-4.0", "--licence", help="CC-BY-4.0 | CC0-1.0 | ODbL-1.0"),
    publisher: str = typer.Option("", "--publisher", help="Who publishes it, e.g. Sở Khoa học và Công nghệ tỉnh …"),
) -> None:
    """Xuất bản dữ liệu mở — write the year's published results, inputs and definitions as a data package."""
    from sqlalchemy.exc import DBAPIError

    from chiso.cli.session import cli_clock, database
    from chiso.db import transaction
    from chiso.errors import ChisoError
    from chiso.reports import opendata

    with database() as engine:
        try:
            with transaction(engine, cli_clock()) as session:
                built = opendata.build(session=session, year=year, licence=licence, publisher=publisher)
        except ChisoError as exc:
            refuse(exc)
        except DBAPIError as exc:
            fail(f"database {engine.url.render_as_string()}: {exc.orig} (has `chiso db upgrade` been run?)")
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(built.zip_bytes())
        where = out
    else:
        where = built.write(out)
    counts = ", ".join(f"{name} {len(rows)}" for name, rows in built.tables.items())
    typer.echo(f"Đã ghi / written {where}: {counts}")


@app.command("years")
def years() -> None:
    """Các năm có kết quả đã công bố — years with published results."""
    from chiso.cli.session import database
    from chiso.db import transaction
    from chiso.reports import opendata

    with database() as engine, transaction(engine) as session:
        found = opendata.published_years(session=session)
    print_table(("năm / year",), [(y,) for y in found])
