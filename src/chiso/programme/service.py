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

from chiso.errors import NotFound
from chiso.permissions import Actor, check
from chiso.programme.io import shipped
from chiso.programme.observed import observations, simulated_targets
from chiso.programme.spec import Programme, Target
from chiso.programme.status import TargetStatus, evaluate


@dataclass(frozen=True)
class TargetView:
    """A target's status with what a chart of it needs: the observed yearly series of its unit."""

    status: TargetStatus
    simulated: bool  # the latest observation is a simulated figure
    series: tuple[tuple[int, float], ...]  # (year, value) — for a rank target, the unit's rank that year

    @property
    def target(self) -> Target:
        return self.status.target


@dataclass(frozen=True)
class ProgrammeStatus:
    programme: Programme
    targets: list[TargetView]

    @property
    def simulated(self) -> bool:
        return any(t.simulated for t in self.targets)


@functools.cache
def _shipped() -> tuple[Programme, ...]:
    return tuple(shipped())  # shipped programmes do not change while the process runs


def list_programmes(*, actor: Actor) -> list[Programme]:
    check(actor, "programme.view")
    return list(_shipped())


def get_programme(*, actor: Actor, code: str) -> Programme:
    """A shipped programme by its code (thai-nguyen-01-nq-tu) or document number (01/NQ-TU).

    Only shipped programmes: a reference is never read as a file path from a request.
    """
    check(actor, "programme.view")
    wanted = code.strip().casefold()
    for programme in _shipped():
        if wanted in {programme.code.casefold(), programme.document.number.casefold()}:
            return programme
    known = ", ".join(p.code for p in _shipped())
    raise NotFound(f"no programme {code!r}; programmes: {known}")


def status(*, session: Session, actor: Actor, code: str) -> ProgrammeStatus:
    """Every target of the programme with its latest value, forecast, status and observed series."""
    check(actor, "programme.view")
    programme = get_programme(actor=actor, code=code)
    table = observations(session=session, programme=programme)
    simulated = simulated_targets(programme, table)
    views = []
    for result in evaluate(programme, table):
        series = _series(programme, result.target, table)
        views.append(TargetView(result, result.target.code in simulated, series))
    return ProgrammeStatus(programme, views)


def _series(programme: Programme, target: Target, table: pd.DataFrame) -> tuple[tuple[int, float], ...]:
    if target.tracks is None or table.empty:
        return ()
    unit = programme.unit_of(target).code
    rows = table[table["variable"] == target.tracks.series_key].copy()
    rows["year"] = pd.to_numeric(rows["period"], errors="coerce")
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce")
    rows = rows.dropna(subset=["year", "value"])
    rows["year"] = rows["year"].astype(int)
    if target.tracks.statistic == "rank":
        # competition ranks among the units scored each year, as status.py ranks the latest year
        rows["value"] = rows.groupby("year")["value"].rank(method="min", ascending=False)
    mine = rows[rows["unit"].astype(str) == unit].groupby("year")["value"].last().sort_index()
    return tuple((int(year), float(value)) for year, value in zip(mine.index.tolist(), mine.tolist(), strict=True))
