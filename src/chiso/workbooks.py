"""What Chiso's XLSX forms share: a hidden sheet saying which form it is, its version, and for what."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

META_SHEET = "_chiso"


def write_meta(wb: Any, schema: str, meta: Mapping[str, object]) -> None:
    """Add the hidden sheet: schema, version 1, then `meta` (framework hash, unit, period, plan …)."""
    ws = wb.create_sheet(META_SHEET)
    for i, (key, value) in enumerate({"schema": schema, "version": "1", **meta}.items(), start=1):
        ws.cell(row=i, column=1, value=key)
        ws.cell(row=i, column=2, value=value)
    ws.sheet_state = "veryHidden"  # not even listed under Unhide: officers should not edit it


def read_meta(wb: Any) -> dict[str, str]:
    """The hidden sheet's keys and values ({} when the workbook has none)."""
    meta: dict[str, str] = {}
    if META_SHEET in wb.sheetnames:
        for key, value, *_ in wb[META_SHEET].iter_rows(values_only=True):
            if key is not None:
                meta[str(key)] = "" if value is None else str(value)
    return meta
