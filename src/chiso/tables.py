"""Reading and writing tables (CSV, XLSX, Parquet, JSON) with errors a user can act on."""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from chiso import csvsafe
from chiso.errors import ChisoError
from chiso.workbooks import FileRefused, survey, utf8_text

READABLE = (".csv", ".xlsx", ".parquet")
WRITABLE = (".csv", ".json", ".xlsx")


class TableError(ChisoError, ValueError):
    """A file that cannot be read or written as a table."""


def read_table(path: Path) -> pd.DataFrame:
    """Every column as text where the format allows it, so that codes keep their leading zeros."""
    if not path.exists():
        raise TableError(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(io.StringIO(utf8_text(path)), dtype=str, skipinitialspace=True)
        if suffix == ".xlsx":
            survey(path)  # before pandas asks openpyxl to build every cell
            with path.open("rb") as handle:  # closed even when openpyxl fails on a damaged part
                return pd.read_excel(handle, dtype=object, engine="openpyxl")
        if suffix == ".parquet":
            return pd.read_parquet(path)
    except FileRefused as exc:
        raise TableError(str(exc)) from None
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise TableError(f"{path}: cannot be read as {suffix[1:].upper()}: {exc}") from exc
    except Exception as exc:  # openpyxl and pyarrow raise their own types on corrupt files
        raise TableError(f"{path}: cannot be read as {suffix[1:].upper()}: {exc}") from exc
    raise TableError(f"{path}: unsupported file type {suffix!r}; use one of {', '.join(READABLE)}")


def write_table(path: Path, sheets: Mapping[str, pd.DataFrame], document: Mapping[str, Any] | None = None) -> None:
    """Write atomically: the file appears complete or not at all.

    CSV takes the first sheet; XLSX one worksheet per sheet; JSON a document with each sheet as records.
    """
    suffix = path.suffix.lower()
    if suffix not in WRITABLE:
        raise TableError(f"{path}: cannot write {suffix!r}; use one of {', '.join(WRITABLE)}")
    writers: dict[str, Callable[[Path], None]] = {
        ".csv": lambda tmp: csvsafe.write_frame(tmp, next(iter(sheets.values()))),
        ".xlsx": lambda tmp: _write_xlsx(tmp, sheets),
        ".json": lambda tmp: _write_json(tmp, sheets, document or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        writers[suffix](tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_xlsx(path: Path, sheets: Mapping[str, pd.DataFrame]) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)


def _write_json(path: Path, sheets: Mapping[str, pd.DataFrame], document: Mapping[str, Any]) -> None:
    body = dict(document)
    for name, frame in sheets.items():
        body[name] = json.loads(frame.to_json(orient="records", force_ascii=False))
    path.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
