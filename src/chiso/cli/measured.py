"""What `chiso sources measure` does with the values it computed: write them, store them, sum them up."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import typer

from chiso.cli.output import fail, print_table
from chiso.sources.frames import MeasuredValues
from chiso.sources.lake import atomic_write
from chiso.sources.measures import MeasureSet
from chiso.tables import TableError, write_table
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
