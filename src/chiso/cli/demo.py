"""`chiso demo [build | ranking | accounts]`: what a newcomer sees first.

`chiso demo` builds the demo database for the new Thái Nguyên province if the database of the
settings does not hold it yet, then prints what it holds and the national DTI 2022 ranking computed
from the Ministry's published main indicators (FACTS.md §2).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from chiso import migrations
from chiso.cli.output import fail, print_table, refuse
from chiso.cli.session import database, load_settings
from chiso.db import transaction
from chiso.demo import builder as demo_builder
from chiso.demo import example_path
from chiso.demo.accounts import demo_accounts, ensure_demo_logins
from chiso.errors import ChisoError
from chiso.framework import load_framework
from chiso.framework.describe import number
from chiso.scoring import ScoreRequest, score_files

app = typer.Typer(help="Bản demo — the demo database for Thái Nguyên (province 19).", no_args_is_help=False)
SeedOption = typer.Option(demo_builder.DEFAULT_SEED, "--seed", help="Seed of the simulated figures.")
CommunesOption = typer.Option(None, "--communes", help="Only the first N communes (a smaller, quicker demo).")


@app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the web app when built (default)."),
    host: str = typer.Option("127.0.0.1", help="Address to serve on."),
    port: int = typer.Option(8000, help="Port to serve on."),
) -> None:
    """Dựng bản demo nếu chưa có rồi mở trang web — build the demo if absent and serve it at http://127.0.0.1:8000."""
    if ctx.invoked_subcommand is not None:
        return
    with database() as engine:
        _build(engine, seed=demo_builder.DEFAULT_SEED, communes=None, reset=False)
        _summary(engine)
    typer.echo("")
    ranking()
    if serve:
        from chiso.web import serve as serve_web

        typer.echo(f"\nChiso: http://{host}:{port}  (tài khoản demo / demo accounts: chiso demo accounts)")
        serve_web(load_settings(), host=host, port=port)


@app.command("build")
def build(
    reset: bool = typer.Option(False, "--reset", help="Drop the demo database's data and build it again."),
    seed: int = SeedOption,
    communes: int | None = CommunesOption,
) -> None:
    """Dựng cơ sở dữ liệu demo — build the demo database (again with --reset); building twice changes nothing."""
    with database() as engine:
        _build(engine, seed=seed, communes=communes, reset=reset)
        _summary(engine)


def _build(engine: Engine, *, seed: int, communes: int | None, reset: bool) -> None:
    settings = load_settings()
    try:
        migrations.upgrade(engine)
        if reset:
            with transaction(engine) as session:
                found = demo_builder.built_seed(session)
                empty = demo_builder.counts(session)["periods"] == 0
            if found is None and not empty:
                fail("--reset drops every table: this database holds data that is not the demo's")
            migrations.downgrade(engine, "base")
            migrations.upgrade(engine)
        with transaction(engine) as session:
            summary = demo_builder.build(session, settings, seed=seed, communes=communes, progress=_say)
            created = ensure_demo_logins(session)
        if created:
            _say(f"{created} demo account(s) can log in (chiso demo accounts)")
    except ChisoError as exc:
        refuse(exc)
    except DBAPIError as exc:
        fail(f"database {engine.url.render_as_string()}: {exc.orig}")
    if summary.built:
        typer.echo(f"Đã dựng trong {summary.seconds:.0f} s / built in {summary.seconds:.1f} s (seed {summary.seed})")
    else:
        typer.echo(f"Bản demo đã có / the demo is there already (seed {summary.seed}): nothing changed")
    typer.echo(f"Nguồn số liệu đo tự động / automatic measures: {summary.measured}")


def _say(text: str) -> None:
    typer.echo(f"  … {text}")


def _summary(engine: Engine) -> None:
    from chiso.demo.report import summary_lines

    clock = load_settings().make_clock()
    with transaction(engine, clock) as session:
        for line in summary_lines(session, today=clock.today()):
            typer.echo(line)
    typer.echo(f"Cơ sở dữ liệu / database: {engine.url.render_as_string()}")


@app.command("accounts")
def accounts() -> None:
    """Tài khoản demo — the demo accounts, one per role (passwords for the demo only)."""
    rows = [(a.user, a.role, a.unit or "", a.password, a.name) for a in demo_accounts()]
    print_table(("user", "role", "unit", "password", "name"), rows)


@app.command("ranking")
def ranking() -> None:
    """Bảng xếp hạng DTI 2022 tính từ số liệu công bố — the DTI 2022 ranking from published values."""
    fw = load_framework("dti-province-2022")
    path = example_path("dti-2022-published.csv")
    result, _ = score_files(ScoreRequest(fw, period_column="period"), [path])
    scores = result.scores.set_index("unit")
    ranks = result.rank_table().set_index("unit")
    names, published = _column(path, "name"), _column(path, "dti_published")
    columns = {
        node: scores[node].astype(float).round(4).to_dict() for node in ("dti", "government", "economy", "society")
    }
    rank_of = ranks["dti"].astype(float).to_dict()
    rows = []
    for unit in ranks.sort_values("dti").index:
        score = {node: float(column[unit]) for node, column in columns.items()}
        rows.append(
            (
                int(rank_of[unit]),
                unit,
                names.get(unit, ""),
                number(score["dti"]),
                published.get(unit, ""),
                number(score["government"]),
                number(score["economy"]),
                number(score["society"]),
            )
        )
    typer.echo(f"{fw.name} — {fw.provenance.decision}")
    typer.echo(f"Số liệu / Data: {path.name} (5 tỉnh, thành phố công bố năm 2022 / published 2022 rows)\n")
    print_table(("hạng", "mã", "tỉnh/thành phố", "DTI", "DTI công bố", "CQS", "KTS", "XHS"), rows)
    typer.echo(
        "\nDTI: tính lại từ 8 chỉ số chính / recomputed from the main indicators; CQS, KTS, XHS: trụ cột / pillars."
    )


def _column(path: Path, column: str) -> dict[str, str]:
    frame = pd.read_csv(path, dtype=str)
    return {unit: value.replace(".", ",") for unit, value in zip(frame["unit"], frame[column], strict=True)}
