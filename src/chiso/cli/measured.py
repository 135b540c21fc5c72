"""What `chiso sources measure` does with the values it computed (write them, store them, sum them up), and
what `chiso sources sync --measure` does after each sync (measure again what it changed, store it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import typer

from chiso.cli.output import fail, print_table
from chiso.sources.changes import measure_changed, parse_moment
from chiso.sources.compiler import LATEST, NEW_ERA, EngineError
from chiso.sources.frames import MeasuredValues
from chiso.sources.lake import Lake, atomic_write
from chiso.sources.measures import Grain, MeasureSet
from chiso.sources.schemas import SourceError
from chiso.tables import TableError, write_table
from chiso.units.errors import UnitsError
from chiso.values.schemas import ValueIn


def write(result: MeasuredValues, definitions: MeasureSet, out: Path) -> None:
    """The long values to CSV, JSON, XLSX (with the set, its notes and what was not derived) or Parquet."""
    document = {
        "measures": definitions.code,
        "version": definitions.version,
        "notes": result.notes,
        "underived": result.underived.to_dict(orient="records"),
    }
    try:
        if out.suffix.lower() == ".parquet":
            table = pa.Table.from_pandas(result.values, preserve_index=False)
            atomic_write(out, lambda tmp: pq.write_table(table, tmp))
        else:
            write_table(out, {"values": result.values}, document)
    except (TableError, OSError) as exc:
        fail(str(exc))


def store(result: MeasuredValues, user: str) -> None:
    """Record the values in the value store as `user` (source measured, with lineage), each a new version
    where it changed; a value that a locked period or a settled item holds is left out and named."""
    from chiso.cli.session import work
    from chiso.sources.service import values_in
    from chiso.values import service as value_store

    given = values_in(result.values)
    with work(user) as w:
        rows, skipped = value_store.record_open(session=w.session, values_in=given, actor=w.actor)
    unchanged = len(given) - len(rows) - len(skipped)
    typer.echo(f"Đã lưu {len(rows)} giá trị, {unchanged} không đổi / {len(rows)} values stored, {unchanged} unchanged")
    if skipped:  # by period: a published year holds every value of it, one line says so
        typer.echo(f"Bỏ qua {len(skipped)} giá trị đã chốt / {len(skipped)} settled values skipped:", err=True)
        by_period: dict[str, list[tuple[ValueIn, str]]] = {}
        for value_in, reason in skipped:
            by_period.setdefault(value_in.period, []).append((value_in, reason))
        for period, held in by_period.items():
            units = len({v.unit_code for v, _ in held})
            typer.echo(f"  {period}: {len(held)} giá trị, {units} đơn vị / values, units — {held[0][1]}", err=True)


def summary(result: MeasuredValues, definitions: MeasureSet, out: Path | None) -> None:
    values = result.values
    by_variable = values.groupby("variable", sort=False).agg(
        units=("unit", "nunique"), periods=("period", "nunique"), records=("records", "sum")
    )
    print_table(("variable", "units", "periods", "records"), [(v, *r) for v, r in by_variable.iterrows()])
    where = f" → {out}" if out else ""
    typer.echo(f"{len(values)} giá trị đo / measured values ({definitions.code} v{definitions.version}){where}")


def after_sync(lake: Lake, started_at: str, sets: Sequence[MeasureSet], grains: Sequence[Grain], user: str) -> bool:
    """Measure again, with each set, the periods that the sync started at `started_at` changed (as of
    latest, on 2025 units) and store the values as `user`; False when a set could not be measured (said
    on stderr: the loop goes on, the next sync measures its own changes)."""
    measured = True
    for definitions in sets:
        try:
            window, result = measure_changed(lake=lake, measures=definitions, grains=grains,
                                             after=parse_moment(started_at), era=NEW_ERA, as_of=LATEST)  # fmt: skip
        except (SourceError, EngineError, UnitsError) as exc:
            typer.echo(f"{definitions.code}: {exc}", err=True)
            measured = False
            continue
        typer.echo(f"{definitions.code}: {window.summary(started_at, grains)}")
        if result is None:
            continue
        try:
            store(result, user)
        except typer.Exit:  # refused (said on stderr): this sync's values are not kept, the loop goes on
            measured = False
    return measured
