"""CSV that a spreadsheet opens safely: every CSV Chiso writes goes through here.

A text cell that starts with = + - @, a tab or a carriage return is read by Excel and LibreOffice as a
formula (formula injection, OWASP "CSV Injection"): such a cell gets a leading apostrophe, which the
spreadsheet shows as text. Only text is escaped: a number stays a number, -3 included, and so does a
number written as text ("-3.0000"). Chiso's own CSV readers take the apostrophe off again
(`unescape`), so an export imports back unchanged.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas only for the callers that have frames; the web's CSV does without it
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# A number written as text ("-3.0000", "+84 …" is not one): a spreadsheet reads it as that number only.
NUMBER = re.compile(r"[+-]?((\d[\d.,]*|[.,]\d+)([eE][+-]?\d+)?|inf|nan)")


def escape(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def unescape(value: Any) -> Any:
    """What `escape` was given (for reading CSV that Chiso wrote)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def write(handle: IO[str], rows: Iterable[Mapping[str, Any]], columns: Sequence[str], **options: Any) -> None:
    """Header and rows, like csv.DictWriter (extra keys ignored), every text cell escaped."""
    writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore", **options)
    # The csv module quotes a field with a line break only if the break is in the line terminator: a
    # lone carriage return would split the row for a reader. Such rows get every text field quoted.
    quoted = csv.DictWriter(
        handle, fieldnames=list(columns), extrasaction="ignore", **{**options, "quoting": csv.QUOTE_NONNUMERIC}
    )
    writer.writeheader()
    for row in rows:
        safe = {key: escape(value) for key, value in row.items()}
        if any(isinstance(v, str) and "\r" in v for v in safe.values()):
            quoted.writerow(safe)
        else:
            writer.writerow(safe)


def frame(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of the frame with its text cells escaped (numeric columns are left as they are)."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype.kind not in "biufcmM":  # not bool, number or date: may hold text
            out[column] = out[column].map(escape)
    return out


def write_frame(path: Path, table: pd.DataFrame) -> None:
    """The frame as CSV (pandas' formatting of numbers), text cells escaped; quoted as `write` does."""
    safe = frame(table)
    texts = [c for c in safe.columns if safe[c].dtype.kind not in "biufcmM"]
    carriage = any(safe[c].map(lambda v: isinstance(v, str) and "\r" in v).any() for c in texts)
    safe.to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC if carriage else csv.QUOTE_MINIMAL)
