"""The national view: the provinces' DTI main indicators per year, and the index and ranks they give.

The Ministry publishes each province's main indicators (0–1) once a year; Chiso keeps them in the value
store (source `imported`) and computes the index, the pillars and the ranks with the framework of the
year. Units are keyed by (era, code), and the DTI 2024 was published for both the 63 former and the 34
new provinces, so a national value is the year's value (period `2024`) of a province of one era: the
value's `era` column says which (2024: the 63 provinces; 2025: the 34). Reading is public: these are published (or,
in the demo, simulated and labelled) figures. Where a value comes from — published, simulated, derived
from predecessors — is in its lineage; `simulated` is true for every figure that is not published.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import chiso
from chiso import units
from chiso.errors import NotFound
from chiso.framework import Framework, load_framework
from chiso.permissions import Actor, check
from chiso.values import service as values
from chiso.values.models import Value
from chiso.values.schemas import ValueIn

PUBLISHED_DTI = "dti_published"  # the index as the Ministry published it, where known
PUBLISHED_RANK = "dti_rank_published"  # the rank as published, where known


def framework_code(year: int) -> str:
    """The DTI method of a year: Decision 1726 (2020), 922 (2021–2023), 405 (2024–)."""
    if year <= 2020:
        return "dti-province-2020"
    if year <= 2023:
        return "dti-province-2022"
    return "dti-province-2024"


@functools.lru_cache(maxsize=8)
def framework(year: int) -> Framework:
    return load_framework(framework_code(year))


@functools.lru_cache(maxsize=8)
def main_indicators(year: int) -> tuple[str, ...]:
    """The nodes whose values are published for `year` (the index's children)."""
    fw = framework(year)
    index = fw.node(fw.index)
    return tuple(c.code for c in index.children if fw.node(c.code).max_points != 0)  # type: ignore[union-attr]


@functools.lru_cache(maxsize=1)
def variables() -> frozenset[str]:
    """Every variable the national view records: the main indicators of each method, the published index
    and rank. (A province's own series, e.g. the demo's, are other variables of the same units.)"""
    mains = {v for year in (2020, 2022, 2024) for v in main_indicators(year)}
    return frozenset({*mains, PUBLISHED_DTI, PUBLISHED_RANK})


def _provinces(era: str) -> list[str]:
    return [u.code for u in units.list_units(era=era, kind="province")]


def _national(year: int | None, era: str) -> Any:
    """The national figures of `era` (of one year, if given) among the stored values."""
    where = (Value.era == era) & Value.unit_code.in_(_provinces(era)) & Value.variable.in_(sorted(variables()))
    return where if year is None else where & (Value.period == str(year))


@dataclass(frozen=True)
class Entry:
    """One published (or simulated) national figure to record."""

    unit: str
    variable: str
    value: float
    lineage: dict[str, Any]


def record(*, session: Session, year: int, era: str, entries: Sequence[Entry], actor: Actor) -> int:
    """Record national figures for (year, era) as `imported` values; the number of new versions."""
    check(actor, "value.record")
    known = set(_provinces(era))
    strays = sorted({e.unit for e in entries} - known)
    if strays:
        raise NotFound(f"not provinces of era {era}: {', '.join(strays)}")
    batch = [
        ValueIn(
            era=era,
            unit_code=e.unit,
            variable=e.variable,
            period=str(year),
            value=e.value,
            source="imported",
            lineage={"era": era, "year": year, **e.lineage},
            note="số liệu mô phỏng / simulated" if e.lineage.get("simulated") else "",
        )
        for e in entries
    ]
    return len(values.record_many(session=session, values_in=batch, actor=actor))


def years(*, session: Session, era: str) -> list[int]:
    """Years with national figures for the provinces of `era`."""
    periods = session.scalars(select(Value.period).where(_national(None, era)).distinct()).all()
    return sorted(int(p) for p in periods if p.isdigit())


def table(*, session: Session, year: int, era: str) -> pd.DataFrame:
    """One row per province: its main indicators, published DTI and rank (if any), and `simulated`."""
    current = values.current(
        session=session, period=str(year), era=era, unit_codes=_provinces(era), variables=sorted(variables())
    )
    names = {u.code: u.name for u in units.list_units(era=era, kind="province")}
    rows: dict[str, dict[str, Any]] = {}
    for (unit, variable), v in current.items():
        row = rows.setdefault(unit, {"unit": unit, "name": names.get(unit, unit), "simulated": False})
        row[variable] = v.value
        if variable in main_indicators(year) and (v.lineage or {}).get("simulated"):
            row["simulated"] = True
    columns = ["unit", "name", *main_indicators(year), PUBLISHED_DTI, PUBLISHED_RANK, "simulated"]
    frame = pd.DataFrame(list(rows.values()), columns=columns)
    return frame.sort_values("unit").reset_index(drop=True)


# Rankings by (database, year, era, what the values were): values are insert-only, so the newest id, the
# number of rows and the newest recording time of the year change whenever a figure does (the time also
# tells apart two transactions that were rolled back and reused the same ids). Pages and the programme
# status read the same rankings on every request; scoring 63 provinces over five years costs ~0.1 s.
_RANKINGS: dict[tuple[Any, ...], pd.DataFrame] = {}
_RANKINGS_KEPT = 64


def ranking(*, session: Session, year: int, era: str) -> pd.DataFrame:
    """The index, pillars and competition rank of every province, best first, with provenance."""
    newest, rows, last = session.execute(
        select(func.max(Value.id), func.count(), func.max(Value.recorded_at)).where(_national(year, era))
    ).one()
    key = (str(session.get_bind().engine.url), year, era, newest, rows, str(last))
    if key not in _RANKINGS:
        if len(_RANKINGS) >= _RANKINGS_KEPT:
            _RANKINGS.pop(next(iter(_RANKINGS)))
        _RANKINGS[key] = _ranking(session=session, year=year, era=era)
    return _RANKINGS[key].copy()


def _ranking(*, session: Session, year: int, era: str) -> pd.DataFrame:
    frame = table(session=session, year=year, era=era)
    mains = list(main_indicators(year))
    complete = frame.dropna(subset=mains)
    if complete.empty:
        return pd.DataFrame(columns=["rank", "unit", "name", "dti", "simulated"])
    fw = framework(year)
    given = complete[["unit", *mains]].assign(period=str(year))
    result = chiso.score(fw, given, period_column="period")
    scores = result.scores.set_index("unit")
    ranks = result.rank_table().set_index("unit")[fw.index]
    out = complete.set_index("unit")
    out.insert(1, "dti", scores[fw.index].astype(float))
    out.insert(0, "rank", ranks.astype(int))
    for pillar in ("government", "economy", "society"):
        if pillar in scores.columns and pillar not in mains:
            out[pillar] = scores[pillar].astype(float)
    return out.reset_index().sort_values(["rank", "unit"]).reset_index(drop=True)


def series(*, session: Session, era: str, years_: Iterable[int] | None = None) -> pd.DataFrame:
    """Long table unit, year, dti, rank, published rank, simulated over the years of `era` (default: all)."""
    parts = []
    for year in years_ if years_ is not None else years(session=session, era=era):
        ranked = ranking(session=session, year=year, era=era)
        if not ranked.empty:
            parts.append(ranked[["unit", "dti", "rank", PUBLISHED_RANK, "simulated"]].assign(year=year))
    columns = ["unit", "year", "dti", "rank", PUBLISHED_RANK, "simulated"]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)[columns]
    out["rank"] = out["rank"].astype(np.int64)
    return out


PILLARS = ("government", "economy", "society")


@dataclass(frozen=True)
class Standing:
    """A province in a year's national ranking: its computed rank, and the published one where known."""

    rank: int  # competition rank recomputed from the main indicators
    published_rank: int | None
    unit: str
    name: str
    dti: float
    published_dti: float | None
    pillars: dict[str, float]  # the three pillars (government, economy, society), where the method has them
    mains: dict[str, float]  # the main indicators as recorded
    simulated: bool

    @property
    def shown_rank(self) -> int:
        """The rank to show: the published one where known, else the recomputed one ("tính lại")."""
        return self.published_rank if self.published_rank is not None else self.rank

    @property
    def shown_dti(self) -> float:
        """The index to show: the published one where known, else the one computed from the main indicators."""
        return self.published_dti if self.published_dti is not None else self.dti


def _number(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


def standings(*, session: Session, actor: Actor, year: int, era: str) -> list[Standing]:
    """Every ranked province of (year, era), best first ([] when the year has no complete figures)."""
    check(actor, "national.view")
    ranked = ranking(session=session, year=year, era=era)
    mains = main_indicators(year)
    out = []
    for row in ranked.to_dict("records"):
        published = _number(row.get(PUBLISHED_RANK))
        out.append(
            Standing(
                rank=int(row["rank"]),
                published_rank=None if published is None else int(published),
                unit=str(row["unit"]),
                name=str(row["name"]),
                dti=float(row["dti"]),
                published_dti=_number(row.get(PUBLISHED_DTI)),
                pillars={p: float(row[p]) for p in PILLARS if _number(row.get(p)) is not None},
                mains={m: float(row[m]) for m in mains},
                simulated=bool(row["simulated"]),
            )
        )
    return out


@dataclass(frozen=True)
class YearPosition:
    """One year of a province's series: its standing and how many provinces were ranked."""

    year: int
    standing: Standing
    of: int
    mean_dti: float


def province_series(*, session: Session, actor: Actor, era: str, unit: str) -> list[YearPosition]:
    """A province's standing in every year of `era` that ranks it, oldest first."""
    check(actor, "national.view")
    out = []
    for year in years(session=session, era=era):
        found = standings(session=session, actor=actor, year=year, era=era)
        mine = next((s for s in found if s.unit == unit), None)
        if mine is not None:
            out.append(YearPosition(year, mine, len(found), sum(s.shown_dti for s in found) / len(found)))
    return out
