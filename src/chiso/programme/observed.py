"""What a programme's targets have observed so far, read from the database (the demo, or a real one).

A target tracking a variable reads that variable's yearly values for the programme's unit (plain year
periods, latest version of each); when it also names a `measured` variable — the same figure counted
from the records by a measure set — a year that was measured takes the measured value (the automatic
figure, with its lineage), the other years keep the imported ones. A target tracking the DTI (its value
or a rank) reads the national view — every province's index per year, from the years whose method is
comparable with the target's framework (the 922 method of 2021–2023 and the 405 method from 2024, whose
weights carry 922's over; the 2020 index, on the 1726 method, is not mixed in). Only published or
imported figures are read (never a unit's undeclared drafts), so the result can be shown to anyone;
`simulated` says whether a row is a simulated figure.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from chiso.dashboard.lineage import measured_input
from chiso.dashboard.schemas import MeasuredInput
from chiso.national import service as national
from chiso.programme.spec import Programme
from chiso.values.models import Value

COLUMNS = ["unit", "variable", "period", "value", "simulated", "rank_published", "source", "lineage"]
COMPARABLE = {
    "dti-province-2022": ("dti-province-2022", "dti-province-2024"),
    "dti-province-2024": ("dti-province-2022", "dti-province-2024"),
    "dti-province-2020": ("dti-province-2020",),
}
PUBLIC_SOURCES = ("imported", "measured")


def observations(*, session: Session, programme: Programme) -> pd.DataFrame:
    """Long table unit, variable, period (year), value, simulated for every tracked target."""
    parts = []
    seen: set[tuple[str, str]] = set()
    for target in programme.targets:
        tracks = target.tracks
        if tracks is None:
            continue
        unit = programme.unit_of(target)
        if tracks.variable is not None and (unit.code, tracks.variable) not in seen:
            seen.add((unit.code, tracks.variable))
            parts.append(_variable(session, unit.era, unit.code, tracks.variable, tracks.measured))
        elif tracks.node is not None and tracks.framework in COMPARABLE and ("*", tracks.node) not in seen:
            seen.add(("*", tracks.node))
            parts.append(_national(session, unit.era, tracks.framework, tracks.node))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def _variable(session: Session, era: str, unit: str, variable: str, measured: str | None) -> pd.DataFrame:
    names = [variable] if measured is None else [variable, measured]
    rows = session.scalars(
        select(Value)
        .where(Value.era == era, Value.unit_code == unit, Value.variable.in_(names), Value.source.in_(PUBLIC_SOURCES))
        .order_by(Value.period, Value.version)
    ).all()
    latest: dict[str, Value] = {}
    for v in rows:  # later versions overwrite earlier ones; a measured year overwrites an imported one
        if v.period.isdigit() and v.value is not None:
            kept = latest.get(v.period)
            if kept is None or kept.variable == v.variable or v.variable == measured:
                latest[v.period] = v
    return pd.DataFrame(
        [
            {
                "unit": unit,
                "variable": variable,
                "period": int(period),
                "value": v.value,
                "simulated": bool((v.lineage or {}).get("simulated")),
                "source": v.source,
                "lineage": measured_input(v) if v.source == "measured" else None,
            }
            for period, v in sorted(latest.items())
        ],
        columns=COLUMNS,
    )


def _national(session: Session, era: str, framework: str | None, node: str) -> pd.DataFrame:
    comparable = COMPARABLE.get(framework or "", ())
    years = [y for y in national.years(session=session, era=era) if national.framework_code(y) in comparable]
    frame = national.series(session=session, era=era, years_=years)
    if frame.empty or node != "dti":
        return pd.DataFrame(columns=COLUMNS)
    return pd.DataFrame(
        {
            "unit": frame["unit"],
            "variable": node,
            "period": frame["year"],
            "value": frame["dti"],
            # a rank that is the published one is not a simulated observation, whatever the index behind it
            "simulated": frame["simulated"] & (frame["rank"] != frame[national.PUBLISHED_RANK]),
            "rank_published": frame[national.PUBLISHED_RANK],
            "source": "imported",
            "lineage": None,
        }
    )


def simulated_targets(programme: Programme, table: pd.DataFrame) -> set[str]:
    """Targets whose latest observation (for the programme's unit) is a simulated figure."""
    if "simulated" not in table.columns or table.empty:
        return set()
    out = set()
    for target in programme.targets:
        if target.tracks is None:
            continue
        rows = table[
            (table["variable"] == target.tracks.series_key) & (table["unit"] == programme.unit_of(target).code)
        ]
        if not rows.empty and bool(rows.sort_values("period").iloc[-1]["simulated"]):
            out.add(target.code)
    return out


def measured_targets(programme: Programme, table: pd.DataFrame) -> dict[str, MeasuredInput]:
    """Targets whose latest observation was measured from records, with that value's lineage."""
    if "source" not in table.columns or table.empty:
        return {}
    out = {}
    for target in programme.targets:
        if target.tracks is None or target.tracks.measured is None:
            continue
        rows = table[
            (table["variable"] == target.tracks.series_key) & (table["unit"] == programme.unit_of(target).code)
        ]
        if rows.empty:
            continue
        latest = rows.sort_values("period").iloc[-1]
        if latest["source"] == "measured":
            out[target.code] = latest["lineage"]
    return out
