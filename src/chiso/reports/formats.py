"""Vietnamese number formats for the report (34,87 %; 1.234; 0,80), as the pages write them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.numbers import format_decimal

from chiso.programme.spec import Target
from chiso.reports.schemas import Column


def num(value: float | None, digits: int = 2) -> str:
    if value is None or value != value:  # None or NaN
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, pattern, locale="vi")


def pct(share: float | None, digits: int = 1) -> str:
    return "–" if share is None or share != share else f"{num(share * 100, digits)} %"


def amount(target: Target, value: float | None) -> str:
    """A figure of a target as the programme page writes it: a share as 93,0 %, a rank as 8, a count as 700."""
    if value is None:
        return "–"
    if target.measure_unit == "tỷ lệ":
        return pct(value, 1)
    if target.comparison == "top":
        return str(int(value))
    return num(value, 0 if value == round(value) else 2)


def cell(column: Column, value: Any) -> str:
    """A table cell as printed."""
    if value is None or (isinstance(value, float) and value != value):
        return "–" if column.kind != "text" else ""
    if column.kind == "year":
        return str(int(value))  # 2025, never 2.025
    if column.kind in ("int", "rank"):
        return num(float(value), 0)
    if column.kind == "signed":
        return ("+" if value > 0 else "") + num(float(value), 0)
    if column.kind == "num":
        return num(float(value), column.digits)
    if column.kind == "pct":
        return pct(float(value), column.digits)
    if column.kind == "date" and isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)
