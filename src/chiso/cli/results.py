"""`chiso results compute | publish | show`: result runs from the stored values of a period."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from chiso.cli.output import fail, print_table
from chiso.cli.session import AsOption, work
from chiso.collection import service as collection
from chiso.errors import NotFound
from chiso.framework.describe import number
from chiso.results import service
from chiso.results.models import VARIANTS
from chiso.tables import TableError, write_table

app = typer.Typer(help="Kết quả — result runs: compute, publish, show.", no_args_is_help=True)
PeriodOption = typer.Option(..., "--period", "-p", help="Period code.")


@app.command("compute")
def compute(
    period: str = PeriodOption,
    variant: list[str] = typer.Option([], "--variant", help=f"{' | '.join(VARIANTS)}; default: all three."),
    as_user: str = AsOption,
) -> None:
    """Tính kết quả — compute the self-assessed, appraised and final runs."""
    with work(as_user) as w:
        runs = service.compute(session=w.session, period_code=period, actor=w.actor, variants=variant or VARIANTS)
        lines = [
            f"run {r.id}  {r.variant:<13}  {'mới / new' if created else 'đã có / unchanged'}"
            f"  inputs {r.inputs_sha256[:12]}"
            for r, created in runs
        ]
    typer.echo("\n".join(lines))


@app.command("publish")
def publish(
    run: int | None = typer.Option(None, "--run", help="Run id (see chiso results show)."),
    period: str | None = typer.Option(None, "--period", "-p", help="Or: the latest run of this period …"),
    variant: str = typer.Option("final", "--variant", help="… of this variant."),
    as_user: str = AsOption,
) -> None:
    """Công bố kết quả — publish a run; the final run also locks the period."""
    with work(as_user) as w:
        if run is None:
            if period is None:
                fail("give --run ID, or --period CODE (with --variant)")
            run = service.latest(session=w.session, period_code=period, variant=variant, actor=w.actor).id
        done = service.publish(session=w.session, run_id=run, actor=w.actor)
        text = f"Đã công bố run {done.id} ({done.variant}) / published run {done.id}"
    typer.echo(text)


@app.command("show")
def show(
    period: str = PeriodOption,
    variant: list[str] = typer.Option([], "--variant", help="Variants to show side by side (default: all)."),
    node: str | None = typer.Option(None, "--node", help="Node to show (default: the index)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write every node of the runs (CSV, JSON, XLSX)."),
    as_user: str = AsOption,
) -> None:
    """Xem kết quả — the latest runs side by side: points and rank per unit."""
    with work(as_user) as w:
        runs = []
        for v in variant or VARIANTS:
            try:
                runs.append(service.latest(session=w.session, period_code=period, variant=v, actor=w.actor))
            except NotFound:
                continue
        if not runs:
            fail(f"no result run for {period}; run chiso results compute first")
        frames = [
            pd.DataFrame(
                [(r.variant, run.id, run.published, x.unit_code, x.node, x.value, x.points, x.rank) for x in run.rows],
                columns=["variant", "run", "published", "unit", "node", "value", "points", "rank"],
            )
            for run in runs
            for r in [run]
        ]  # fmt: skip
        table = pd.concat(frames, ignore_index=True)
        index = collection.framework_of(collection.get_period(session=w.session, code=period)).index
    if out is not None:
        try:
            write_table(out, {"results": table}, {"period": period})
        except TableError as exc:
            fail(str(exc))
        typer.echo(f"→ {out}")
        return
    shown = table[table["node"] == (node or index)]
    wide = shown.pivot_table(index="unit", columns="variant", values=["value", "rank"], aggfunc="first", dropna=False)
    head = [f"run {r.id} {r.variant}{' (công bố)' if r.published else ''}" for r in runs]
    typer.echo(f"{period} · {node or index} · " + " · ".join(head))
    rows = []
    for unit in wide.index:
        row: list[object] = [unit]
        for r in runs:
            value, rank = wide.get(("value", r.variant), {}).get(unit), wide.get(("rank", r.variant), {}).get(unit)
            row += ["" if pd.isna(value) else number(float(value)), "" if pd.isna(rank) else int(rank)]
        rows.append(row)
    print_table(["unit", *[f"{r.variant} {k}" for r in runs for k in ("value", "rank")]], rows)
