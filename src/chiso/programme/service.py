"""Programmes for the web and the API: the shipped programmes and where each target stands today.

Who may see it: anyone (`programme.view` is public). The observed series come from `observed.py`,
which reads only imported and measured figures — never a unit's undeclared drafts nor an unpublished
result — so showing them needs no login. A target whose latest figure is simulated says so.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from chiso import clock
from chiso.dashboard.schemas import MeasuredInput
from chiso.errors import NotFound
from chiso.national import service as national
from chiso.permissions import Actor, check
from chiso.programme.io import shipped
from chiso.programme.observed import measured_targets, observations, simulated_targets
from chiso.programme.spec import Programme, Target
from chiso.programme.status import Status, TargetStatus, evaluate, rank_of, summary
from chiso.units import succession


@dataclass(frozen=True)
class MergedRank:
    """Where a province whose rank target was set among the 63 stands among the 34 merged provinces."""

    year: int
    rank: int
    units: int
    published: bool


@dataclass(frozen=True)
class TargetView:
    """A target's status with what a chart of it needs: the observed yearly series of its unit."""

    status: TargetStatus
    simulated: bool  # the latest observation is a simulated figure
    series: tuple[tuple[int, float], ...]  # (year, value) — for a rank target, the unit's rank that year
    recomputed: tuple[int, ...] = ()  # years of a rank series whose rank is recomputed, not the published one
    units: int | None = None  # how many units a rank target's latest rank is among
    merged: MergedRank | None = None
    measured: MeasuredInput | None = None  # the lineage of the latest figure, when measured from records

    @property
    def target(self) -> Target:
        return self.status.target


@dataclass(frozen=True)
class ProgrammeStatus:
    programme: Programme
    targets: list[TargetView]
    expectations: list[TargetView]

    @property
    def simulated(self) -> bool:
        return any(t.simulated for t in self.targets)

    @property
    def summary(self) -> dict[Status, int]:
        return summary([t.status for t in self.targets])


@functools.cache
def _shipped() -> tuple[Programme, ...]:
    return tuple(shipped())  # shipped programmes do not change while the process runs


def list_programmes(*, actor: Actor, province: str | None = None) -> list[Programme]:
    """The shipped programmes: `province`'s own first, then other provinces', then the national ones."""
    check(actor, "programme.view")

    def order(p: Programme) -> tuple[int, str]:
        own = province is not None and p.unit.code == province
        return (0 if own else 1 if p.unit.code != "VN" else 2, p.document.number)

    return sorted(_shipped(), key=order)


def get_programme(*, actor: Actor, code: str) -> Programme:
    """A shipped programme by its slug (01-nq-tu), code (thai-nguyen-01-nq-tu) or document number (01/NQ-TU).

    Only shipped programmes: a reference is never read as a file path from a request.
    """
    check(actor, "programme.view")
    wanted = code.strip().casefold()
    for programme in _shipped():
        if wanted in {programme.slug, programme.code.casefold(), programme.document.number.casefold()}:
            return programme
    known = ", ".join(p.slug for p in _shipped())
    raise NotFound(f"no programme {code!r}; programmes: {known}")


def status(*, session: Session, actor: Actor, code: str) -> ProgrammeStatus:
    """Every target of the programme with its latest value, forecast, status and observed series, judged
    on the session's clock (a target year that has passed without its figure is late)."""
    check(actor, "programme.view")
    programme = get_programme(actor=actor, code=code)
    as_expectations = (
        programme.model_copy(update={"targets": programme.expectations}) if programme.expectations else None
    )
    table = observations(session=session, programme=programme)
    if as_expectations is not None:
        table = pd.concat([table, observations(session=session, programme=as_expectations)], ignore_index=True)
    today = clock.of(session).today()

    def views(of: Programme) -> list[TargetView]:
        simulated = simulated_targets(of, table)
        measured = measured_targets(of, table)
        out = []
        for result in evaluate(of, table, today=today):
            series, recomputed, units = _series(of, result.target, table)
            merged = _merged_rank(session, of, result.target)
            code = result.target.code
            out.append(TargetView(result, code in simulated, series, recomputed, units, merged, measured.get(code)))
        return out

    return ProgrammeStatus(programme, views(programme), views(as_expectations) if as_expectations else [])


def _series(
    programme: Programme, target: Target, table: pd.DataFrame
) -> tuple[tuple[tuple[int, float], ...], tuple[int, ...], int | None]:
    """The unit's yearly series; for a rank, the published rank where known (else recomputed, and said)."""
    if target.tracks is None or table.empty:
        return (), (), None
    unit = programme.unit_of(target).code
    rows = table[table["variable"] == target.tracks.series_key].copy()
    rows["year"] = pd.to_numeric(rows["period"], errors="coerce")
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce")
    rows = rows.dropna(subset=["year", "value"])
    rows["year"] = rows["year"].astype(int)
    rows["unit"] = rows["unit"].astype(str)
    if target.tracks.statistic != "rank":
        mine = rows[rows["unit"] == unit].groupby("year")["value"].last().sort_index()
        pairs = zip(mine.index.tolist(), mine.tolist(), strict=True)
        return tuple((int(y), float(v)) for y, v in pairs), (), None
    years = sorted(set(rows.loc[rows["unit"] == unit, "year"]))
    ranked = [(year, *rank_of(rows, unit, year)) for year in years]
    units = int(rows.loc[rows["year"] == years[-1], "unit"].nunique()) if years else None
    return tuple((y, r) for y, r, _ in ranked), tuple(y for y, _, published in ranked if not published), units


def _merged_rank(session: Session, programme: Programme, target: Target) -> MergedRank | None:
    """For a rank target set among the 63 provinces (era 2024): the province's latest rank among the 34."""
    unit = programme.unit_of(target)
    if target.tracks is None or target.tracks.statistic != "rank" or unit.era != "2024":
        return None
    successors = succession.successors(unit.code, era="2024")
    if len(successors) != 1:
        return None
    frame = national.series(session=session, era="2025")
    mine = frame[frame["unit"].astype(str) == successors[0].to_code]
    if mine.empty:
        return None
    latest = mine.sort_values("year").iloc[-1]
    published = latest[national.PUBLISHED_RANK]
    known = published == published  # not NaN
    rank = int(published) if known else int(latest["rank"])
    count = int((frame["year"] == latest["year"]).sum())
    return MergedRank(int(latest["year"]), rank, count, bool(known))
