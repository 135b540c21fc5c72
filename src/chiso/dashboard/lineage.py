"""Measured inputs of a unit's indicators and where they come from, as the value store's lineage says."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from chiso.dashboard.schemas import MeasuredInput
from chiso.units.ref import UnitRef
from chiso.values import service as values
from chiso.values.models import Value


def measured_inputs(*, session: Session, unit: UnitRef, period: str, at: dt.datetime) -> dict[str, MeasuredInput]:
    """The unit's measured values of `period` as a result run computed at `at` read them, by variable."""
    current = values.as_of(session=session, unit=unit, period=period, at=at)
    return {name: measured_input(v) for name, v in current.items() if v.source == "measured"}


def measured_input(value: Value) -> MeasuredInput:
    """A measured value's lineage (written by `chiso.sources.service.value_lineage`) in a fixed shape."""
    lineage: dict[str, Any] = value.lineage or {}
    version = lineage.get("measure_version", lineage.get("version"))
    files = lineage.get("files") or []
    return MeasuredInput(
        variable=value.variable,
        value=value.value,
        measure=str(lineage.get("measure") or "?"),
        measure_version=_int(version),
        records=_int(lineage.get("records")),
        period=str(lineage.get("period") or value.period),
        grain=str(lineage.get("grain") or ""),
        since=_day(lineage.get("since")),
        until=_day(lineage.get("until")),
        first_record_at=_moment(lineage.get("first_record_at")),
        last_record_at=_moment(lineage.get("last_record_at")),
        computed_at=_moment(lineage.get("computed_at")),
        engine=_text(lineage.get("engine")),
        files=[str(f.get("file", f)) if isinstance(f, dict) else str(f) for f in files],
        lake_parts=_int(lineage.get("lake_parts")),
        lake_snapshot=_text(lineage.get("lake_snapshot")),
        simulated=bool(lineage.get("simulated")),
    )


def _int(x: object) -> int | None:
    return int(x) if isinstance(x, int | float) and not isinstance(x, bool) else None


def _text(x: object) -> str | None:
    return None if x is None or x == "" else str(x)


def _moment(x: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(x) if isinstance(x, str) else None
    except ValueError:
        return None


def _day(x: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(x) if isinstance(x, str) else None
    except ValueError:
        return None
