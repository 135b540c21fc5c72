"""`chiso sensitivity`: uncertainty and sensitivity analysis of a framework on a values file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from chiso.cli.output import fail

CHARTS = (".svg", ".png")


def sensitivity(
    framework: str = typer.Option(..., "--framework", "-f", help="Shipped framework code or a YAML file."),
    values: Path = typer.Option(..., "--values", "-v", help="CSV, XLSX or Parquet, wide or long (as `chiso score`)."),
    spec: Path = typer.Option(..., "--spec", "-s", help="The analysis: a `chiso/sensitivity` YAML file."),
    out: Path = typer.Option(..., "--out", "-o", help="Result file: .xlsx (every table) or .csv (rank statistics)."),
    chart: Path | None = typer.Option(None, "--chart", help="Also draw each unit's rank interval (.svg or .png)."),
    unit_column: str = typer.Option("unit", help="Column with the unit codes."),
    period_column: str | None = typer.Option(None, help="Column with the periods (e.g. Year)."),
    group_column: list[str] = typer.Option([], help="Unit-group column the framework imputes within. Repeatable."),
    seed: int | None = typer.Option(None, help="Seed of the draws (overrides the spec's)."),
    n: int | None = typer.Option(None, "--n", help="UA: draws; SA: base sample N (overrides the spec's)."),
    scenarios: Path | None = typer.Option(
        None, help="Replay these scenarios (one row each, a column per input) instead of drawing them."
    ),
    weight_sets: Path | None = typer.Option(
        None, help="With --scenarios: each scenario's weights (scenario, node, Weight), as COINr exports them."
    ),
) -> None:
    """Độ bất định, độ nhạy — rank intervals and Sobol indices over variants of a framework."""
    from chiso.engine.frames import InputError
    from chiso.framework import FrameworkError
    from chiso.framework.sensitivity import SensitivityError, load_sensitivity
    from chiso.tables import TableError, read_table, write_table
    from chiso.uncertainty import sensitivity as analyse

    if out.suffix.lower() not in {".xlsx", ".csv"}:
        fail(f"{out}: cannot write {out.suffix!r}; use .xlsx or .csv")
    if chart is not None and chart.suffix.lower() not in CHARTS:
        fail(f"{chart}: charts are {', '.join(CHARTS)}")
    try:
        parsed = load_sensitivity(spec)
        changes: dict[str, Any] = {k: v for k, v in (("seed", seed), ("n", n)) if v is not None}
        if changes:
            parsed = parsed.model_copy(update=changes)
        frame = read_table(values)
        replayed = read_table(scenarios) if scenarios else None
        weights = read_table(weight_sets).astype({"Weight": float}) if weight_sets else None
        analysis = analyse(
            framework,
            frame,
            parsed,
            unit_column=unit_column,
            period_column=period_column,
            group_columns=group_column,
            scenarios=replayed,
            weight_sets=weights,
        )
    except (FrameworkError, SensitivityError, InputError, TableError, KeyError, ValueError) as exc:
        fail(str(exc))
    stats = analysis.rank_stats
    sheets = {"rank_stats": stats}
    if analysis.sensitivity:
        sheets["sensitivity"] = analysis.sensitivity_table
    sheets |= {
        "scenarios": analysis.design.table,
        "scores": analysis.per_scenario("values"),
        "ranks": analysis.per_scenario("ranks"),
    }
    try:
        write_table(out, sheets if out.suffix.lower() == ".xlsx" else {"rank_stats": stats})
        if chart is not None:
            _write_chart(chart, stats, analysis.node)
    except (TableError, OSError) as exc:
        fail(str(exc))
    runs = analysis.design.table.shape[0]
    typer.echo(
        f"Đã chạy {runs} kịch bản ({parsed.type}) của {analysis.framework.code} → {out}"
        f"\nRan {runs} scenarios ({parsed.type}) of {analysis.framework.code} → {out}"
    )


def rank_interval_spec(stats: Any, node: str) -> dict[str, Any]:
    """Vega-Lite: per unit (by nominal rank), the 5–95 % rank interval, the median and the nominal rank."""
    rows = [
        {"unit": r.unit, "nominal": r.nominal_rank, "median": r.median, "q5": r.q5, "q95": r.q95}
        for r in stats.dropna(subset=["nominal_rank"]).itertuples()
    ]
    y = {"field": "unit", "type": "nominal", "sort": {"field": "nominal"}, "title": None}
    x = {"type": "quantitative", "title": f"Thứ hạng {node} / rank (5–95 %, median •, nominal |)"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 420,
        "height": {"step": 12},
        "data": {"values": rows},
        "encoding": {"y": y},
        "layer": [
            {
                "mark": {"type": "rule", "color": "#3182bd"},
                "encoding": {"x": {**x, "field": "q5"}, "x2": {"field": "q95"}},
            },
            {
                "mark": {"type": "point", "filled": True, "color": "#08519c"},
                "encoding": {"x": {**x, "field": "median"}},
            },
            {
                "mark": {"type": "tick", "color": "#c05621", "thickness": 2},
                "encoding": {"x": {**x, "field": "nominal"}},
            },
        ],
    }


def _write_chart(path: Path, stats: Any, node: str) -> None:
    import json

    import vl_convert

    spec = json.dumps(rank_interval_spec(stats, node))
    if path.suffix.lower() == ".png":
        path.write_bytes(vl_convert.vegalite_to_png(spec, scale=2))
    else:
        path.write_text(vl_convert.vegalite_to_svg(spec), encoding="utf-8")
