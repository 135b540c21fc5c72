"""What the ingestions since a moment can have changed: the periods to measure again after a sync.

Each ingestion's report keeps `touched`: per timestamp field, the span of its values over the versions it
added and the lake's versions of the same records (a dossier now resolved in May instead of April changes
April too). Only the periods those spans meet can measure differently than before, so measuring them
alone (`measure(since=…, until=…)`) gives what measuring everything gives there. `changed_window` turns
the ingestions finished since a moment into that window, in whole periods of each grain (a year's value
needs all of its records; a month's only its month), and `measure_changed` measures each grain over its
own window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from chiso.clock import VIETNAM
from chiso.sources.compiler import period_bounds
from chiso.sources.frames import MeasuredValues
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain, MeasureSet
from chiso.sources.schemas import SourceError
from chiso.sources.service import measure

GRAIN_NAMES = {Grain.MONTH: "tháng / month", Grain.QUARTER: "quý / quarter", Grain.YEAR: "năm / year"}


@dataclass(frozen=True)
class Window:
    """The times the ingestions since a moment touched, and what they were read from."""

    first: dt.datetime | None = None  # the earliest time touched (None, with `changed`: every period)
    last: dt.datetime | None = None
    ingests: list[str] = field(default_factory=list)  # the ingestions finished since the moment
    unknown: list[str] = field(default_factory=list)  # of which written before `touched`: every period
    changed: bool = False  # whether any period can measure differently (False: nothing to measure)

    def bounds(self, grain: Grain) -> tuple[str | None, str | None]:
        """`since` / `until` (ISO dates) for `measure`: the whole periods of `grain` the times meet."""
        if self.first is None or self.last is None:
            return None, None
        return period_bounds(grain, _key(grain, self.first))[0], period_bounds(grain, _key(grain, self.last))[1]

    def summary(self, moment: str, grains: Sequence[Grain]) -> str:
        """What was found since `moment`, for the person who asked (Vietnamese, then English)."""
        n = len(self.ingests)
        if not self.changed:
            return (
                f"Không có kỳ nào thay đổi từ {moment} ({n} tệp đã nạp) / no period changed since {moment} "
                f"({n} files ingested): nothing to measure"
            )
        if self.unknown:
            return (
                f"Lưu ý / Note: {len(self.unknown)} of the {n} files ingested since {moment} were ingested before "
                "ingestion recorded the times it touches: every period is measured"
            )
        windows = "; ".join(f"{GRAIN_NAMES[g]} {' → '.join(map(str, self.bounds(g)))}" for g in grains)
        return f"Kỳ có thay đổi / periods changed: {windows} ({n} tệp đã nạp từ {moment} / files ingested since then)"


def parse_moment(text: str) -> dt.datetime:
    """A date (its start) or a time, local unless it carries an offset, as an aware time."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise SourceError(
            f"Thời điểm không hợp lệ — {text!r}: write a date (2026-01-02) or a local time (2026-01-02T02:00)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VIETNAM)


def changed_window(lake: Lake, measures: MeasureSet, grains: Sequence[Grain], after: dt.datetime) -> Window:
    """The periods that the ingestions of the set's sources finished at or after `after` can change."""
    times = {(m.source, m.time) for m in measures.measures}
    reports = [
        r
        for r in lake.reports()
        if r.get("status") == "ingested" and r.get("source") in measures.sources and _finished(r) >= after
    ]
    ingests = [str(r["ingest_id"]) for r in reports]
    unknown = [str(r["ingest_id"]) for r in reports if "touched" not in r]
    if unknown:
        return Window(None, None, ingests, unknown, changed=True)
    spans = [
        (low, high) for r in reports for column, (low, high) in r["touched"].items() if (r["source"], column) in times
    ]
    if not spans:
        return Window(None, None, ingests, [], changed=False)
    first = dt.datetime.fromisoformat(min(low for low, _ in spans))
    last = dt.datetime.fromisoformat(max(high for _, high in spans))
    return Window(first, last, ingests, [], changed=True)


def measure_changed(
    *, lake: Lake, measures: MeasureSet, grains: Sequence[Grain], after: dt.datetime, **options: Any
) -> tuple[Window, MeasuredValues | None]:
    """`measure` of the periods the ingestions since `after` can change: each grain over its own window
    (grains whose windows agree in one run); None when nothing changed. `options`: those of `measure`."""
    window = changed_window(lake, measures, grains, after)
    if not window.changed:
        return window, None
    by_window: dict[tuple[str | None, str | None], list[Grain]] = {}
    for grain in grains:
        by_window.setdefault(window.bounds(grain), []).append(grain)
    runs = [
        measure(lake=lake, measures=measures, grains=chosen, since=since, until=until, **options)
        for (since, until), chosen in by_window.items()
    ]
    values = pd.concat([r.values for r in runs], ignore_index=True)
    underived = pd.concat([r.underived for r in runs], ignore_index=True).drop_duplicates(ignore_index=True)
    notes = list(dict.fromkeys(note for r in runs for note in r.notes))
    return window, MeasuredValues(values, underived, notes)


def _finished(report: Mapping[str, Any]) -> dt.datetime:
    moment = dt.datetime.fromisoformat(str(report.get("finished_at") or "1970-01-01T00:00:00+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VIETNAM)


def _key(grain: Grain, moment: dt.datetime) -> int:
    """The period key (as the compiler makes it) of the period holding `moment`."""
    if grain is Grain.YEAR:
        return moment.year
    if grain is Grain.QUARTER:
        return moment.year * 10 + (moment.month - 1) // 3 + 1
    return moment.year * 100 + moment.month
