"""Stream a CSV, JSON Lines or Parquet file as Arrow batches, with the rows that cannot even be parsed.

Each batch has the file's columns plus `_row` (the line number for CSV and JSON Lines, the 1-based
record number for Parquet). Unparseable rows come back as `Broken(row, reason, text)`. Memory stays
bounded by the batch size whatever the file size.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from chiso.sources.schemas import SourceError

BATCH_ROWS = 200_000
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


@dataclass(frozen=True)
class Broken:
    row: int
    reason: str
    text: str


@dataclass
class Batches:
    columns: list[str]
    batches: Iterator[tuple[pa.Table, list[Broken]]]


def file_format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise SourceError(f"{path}: unknown file type {path.suffix!r}; use .csv, .jsonl or .parquet") from None


def open_batches(path: Path, batch_rows: int = BATCH_ROWS) -> Batches:
    kind = file_format(path)
    if kind == "csv":
        return _csv(path, batch_rows)
    if kind == "jsonl":
        return _jsonl(path, batch_rows)
    return _parquet(path, batch_rows)


def _csv(path: Path, batch_rows: int) -> Batches:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise SourceError(f"{path}: empty file, no header row")
    header = [h.strip() for h in header]
    broken: list[Broken] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        broken.append(
            Broken(
                int(row.number or 0),
                f"malformed CSV row: {row.actual_columns} columns, expected {row.expected_columns}",
                row.text,
            )
        )
        return "skip"

    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(use_threads=False, block_size=8 << 20, column_names=header, skip_rows=1),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=False),
        convert_options=pacsv.ConvertOptions(
            column_types={h: pa.string() for h in header}, strings_can_be_null=True, quoted_strings_can_be_null=False
        ),
    )

    def batches() -> Iterator[tuple[pa.Table, list[Broken]]]:
        next_line = 2  # line 1 is the header
        taken = 0
        for batch in reader:
            new = broken[taken:]
            taken = len(broken)
            skipped = np.array(sorted(b.row for b in new), dtype=np.int64)
            candidates = np.arange(next_line, next_line + batch.num_rows + len(skipped), dtype=np.int64)
            lines = candidates[~np.isin(candidates, skipped)][: batch.num_rows]
            next_line = int(lines[-1]) + 1 if len(lines) else next_line + len(skipped)
            table = pa.Table.from_batches([batch]).append_column("_row", pa.array(lines))
            yield table, new
        if len(broken) > taken:
            yield (
                pa.table({h: pa.array([], pa.string()) for h in header}).append_column(
                    "_row", pa.array([], pa.int64())
                ),
                broken[taken:],
            )

    return Batches(header, batches())


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join("" if x is None else str(x) for x in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _jsonl(path: Path, batch_rows: int) -> Batches:
    with path.open(encoding="utf-8-sig") as handle:
        first = next((line for line in handle if line.strip()), None)
    try:
        sample = json.loads(first) if first else None
    except json.JSONDecodeError:
        sample = None
    columns = list(sample) if isinstance(sample, dict) else []

    def batches() -> Iterator[tuple[pa.Table, list[Broken]]]:
        with path.open(encoding="utf-8-sig") as handle:
            numbered = enumerate(handle, start=1)
            while True:
                chunk = list(itertools.islice(numbered, batch_rows))
                if not chunk:
                    return
                rows: list[dict[str, object]] = []
                lines: list[int] = []
                broken: list[Broken] = []
                for number, line in chunk:
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError as exc:
                        broken.append(Broken(number, f"not valid JSON: {exc.msg}", line.rstrip("\n")))
                        continue
                    if not isinstance(record, dict):
                        broken.append(Broken(number, "not a JSON object", line.rstrip("\n")))
                        continue
                    rows.append(record)
                    lines.append(number)
                names = list(dict.fromkeys([*columns, *(k for r in rows for k in r)]))
                data = {n: pa.array([_text(r.get(n)) for r in rows], pa.string()) for n in names}
                table = pa.table(data) if data else pa.table({})
                yield table.append_column("_row", pa.array(lines, pa.int64())), broken

    return Batches(columns, batches())


def _parquet(path: Path, batch_rows: int) -> Batches:
    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError … on a damaged file
        raise SourceError(f"{path}: not a readable Parquet file: {exc}") from exc
    columns = handle.schema_arrow.names

    def batches() -> Iterator[tuple[pa.Table, list[Broken]]]:
        start = 1
        for batch in handle.iter_batches(batch_size=batch_rows):
            rows = pa.array(np.arange(start, start + batch.num_rows, dtype=np.int64))
            start += batch.num_rows
            yield pa.Table.from_batches([batch]).append_column("_row", rows), []

    return Batches(columns, batches())
