"""The leader's home: where the province stands, what needs attention — gathered from the services.

For the province's leaders (`report.view`: viewers and the programme office). One read of each service:
the national rankings (kept between requests), the programme's status, the plan's overdue tasks, the
latest published rankings of communes and departments, and the open periods' submissions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from chiso import clock, units
from chiso.dashboard import service as dashboard
from chiso.national import service as national
from chiso.permissions import PUBLIC, Actor, check
from chiso.programme import service as programmes
from chiso.programme import tasks
from chiso.programme.directory import directory
from chiso.programme.service import TargetView
from chiso.programme.spec import Programme
from chiso.programme.status import ORDER, Status
from chiso.reports import rankings
from chiso.reports.targets import programme_of

ERA = "2025"  # the province as it is now: one of the 34
FORMER = "2024"  # the 63 provinces before 1/7/2025
MOVERS = 5
WAITING = ("draft", "returned")  # not with the appraiser: late once the period's deadline has passed


@dataclass(frozen=True)
class Position:
    """The province's DTI and rank in one year among one set of provinces, with the year before."""

    era: str
    year: int
    dti: float
    rank: int
    published: bool  # the published rank; else recomputed from the main indicators
    of: int
    simulated: bool
    previous_year: int | None = None
    previous_dti: float | None = None
    previous_rank: int | None = None

    @property
    def rank_change(self) -> int | None:
        """Places gained since the year before (positive: up)."""
        return None if self.previous_rank is None else self.previous_rank - self.rank

    @property
    def dti_change(self) -> float | None:
        return None if self.previous_dti is None else self.dti - self.previous_dti


@dataclass(frozen=True)
class PillarRank:
    code: str
    name: str
    name_en: str
    value: float
    rank: int
    of: int
    mean: float


@dataclass(frozen=True)
class LateTask:
    code: str
    title: str
    due_date: dt.date
    days_late: int


@dataclass(frozen=True)
class LateUnit:
    """A lead unit (đơn vị chủ trì) and its overdue tasks, most days late first."""

    code: str
    name: str
    tasks: list[LateTask]


@dataclass(frozen=True)
class Mover:
    unit_code: str
    unit_name: str
    rank: int | None
    previous_rank: int | None
    value: float | None
    change: int | None


@dataclass(frozen=True)
class UnitRanking:
    """The latest published ranking of a framework (communes or departments): who fell most, who lags."""

    period: str
    year: int
    framework_name: str
    kind: str  # "commune" or "department"
    units: int
    previous_year: int | None  # of the published ranking compared with
    simulated: bool
    fell: list[Mover]
    lagging: list[Mover]


@dataclass(frozen=True)
class Collection:
    """An open period's progress: units per state, and the units that have not sent their declaration."""

    period: str
    framework_name: str
    closes_on: dt.date
    days_left: int  # negative once the deadline has passed
    counts: dict[str, int]
    units: int
    waiting: list[tuple[str, str, str]]  # (code, name, state) of the units not with the appraiser

    @property
    def late(self) -> bool:
        return self.days_left < 0

    @property
    def sent(self) -> int:
        return self.units - len(self.waiting)


@dataclass(frozen=True)
class LeaderHome:
    province: str
    province_name: str
    today: dt.date
    current: Position | None  # among the 34
    former: Position | None  # among the 63, as published where known
    pillars: list[PillarRank]
    programme: Programme | None
    summary: dict[Status, int]
    targets: list[TargetView]  # at risk first, then late, on track, achieved, no data
    plan: str | None
    overdue: list[LateUnit]
    rankings: list[UnitRanking]
    collections: list[Collection]
    simulated: bool
    notes: list[str] = field(default_factory=list)


def province_of(*, session: Session, actor: Actor, configured: str | None) -> str | None:
    """The province the installation serves: the setting, else the province of the latest period's units,
    else of the plan of tasks."""
    if configured:
        return configured
    for period in dashboard.list_periods(session=session, actor=actor):
        for code in dashboard.submission_states(session=session, actor=actor, period_code=period.code):
            found = units.find(code, era=period.era)
            if found:
                return found[0].province_code
    plans = tasks.list_plans(session=session, actor=actor)
    return plans[0].unit_code if plans else None


def home(*, session: Session, actor: Actor, province: str) -> LeaderHome:
    check(actor, "report.view")
    unit = units.get(province, era=ERA)
    today = clock.of(session).today()
    current, pillars = _current(session, actor, province)
    former = _former(session, actor, province)
    programme = programme_of(actor=actor, province=province, era=ERA)
    summary: dict[Status, int] = {}
    targets: list[TargetView] = []
    simulated = bool((current and current.simulated) or (former and former.simulated))
    if programme is not None:
        found = programmes.status(session=session, actor=actor, code=programme.slug)
        summary = found.summary
        targets = sorted(found.targets, key=lambda v: ORDER.index(v.status.status))
        simulated = simulated or found.simulated
    plan, overdue = _overdue(session, actor, province, today)
    ranked = _rankings(session, province, today.year)
    simulated = simulated or any(r.simulated for r in ranked)
    return LeaderHome(
        province,
        unit.name,
        today,
        current,
        former,
        pillars,
        programme,
        summary,
        targets,
        plan,
        overdue,
        ranked,
        _collections(session, actor, province, today),
        simulated,
    )


def _position(
    session: Session, actor: Actor, era: str, province: str, *, published_only: bool = False
) -> tuple[Position | None, list[national.Standing]]:
    for year in reversed(national.years(session=session, era=era)):
        rows = national.standings(session=session, actor=actor, year=year, era=era)
        mine = next((r for r in rows if r.unit == province), None)
        if mine is None or (published_only and mine.published_rank is None):
            continue
        before = national.standings(session=session, actor=actor, year=year - 1, era=era)
        last = next((r for r in before if r.unit == province), None)
        position = Position(
            era,
            year,
            mine.shown_dti,
            mine.shown_rank,
            mine.published_rank is not None,
            len(rows),
            mine.simulated,
            year - 1 if last else None,
            last.shown_dti if last else None,
            last.shown_rank if last else None,
        )
        return position, rows
    return None, []


def _current(session: Session, actor: Actor, province: str) -> tuple[Position | None, list[PillarRank]]:
    position, rows = _position(session, actor, ERA, province)
    if position is None:
        return None, []
    fw = national.framework(position.year)
    mine = next(r for r in rows if r.unit == province)
    pillars = []
    for code in (*[p for p in national.PILLARS if p in mine.pillars], *national.main_indicators(position.year)):
        values = [r.pillars.get(code, r.mains.get(code)) for r in rows]
        present = [v for v in values if v is not None]
        value = mine.pillars.get(code, mine.mains.get(code))
        if value is None or not present:
            continue
        node = fw.node(code)
        rank = 1 + sum(v > value for v in present)
        pillars.append(
            PillarRank(code, node.name, node.name_en or "", value, rank, len(present), sum(present) / len(present))
        )
    return position, pillars


def _former(session: Session, actor: Actor, province: str) -> Position | None:
    """Among the 63: the latest year with a published rank of the former province of the same code."""
    if not any(u.kind == "province" for u in units.find(province, era=FORMER)):
        return None
    published, _ = _position(session, actor, FORMER, province, published_only=True)
    return published or _position(session, actor, FORMER, province)[0]


def _overdue(session: Session, actor: Actor, province: str, today: dt.date) -> tuple[str | None, list[LateUnit]]:
    plans = [p for p in tasks.list_plans(session=session, actor=actor) if p.unit_code == province and p.era == ERA]
    if not plans:
        return None, []
    names = directory(province, ERA)
    by_unit: dict[str, list[LateTask]] = {}
    for plan in plans:
        for late in tasks.overdue(session=session, actor=actor, today=today, plan_code=plan.code):
            task = late.task
            assert task.due_date is not None  # overdue: its due date has passed
            by_unit.setdefault(task.lead_unit, []).append(
                LateTask(task.code, task.title, task.due_date, late.days_late)
            )
    grouped = [LateUnit(code, names.name(code), sorted(ts, key=lambda t: -t.days_late)) for code, ts in by_unit.items()]
    grouped.sort(key=lambda u: (-len(u.tasks), u.name))
    return plans[0].code, grouped


def _rankings(session: Session, province: str, year: int) -> list[UnitRanking]:
    out = []
    years = {p.code: p.year for p in dashboard.list_periods(session=session, actor=PUBLIC)}
    for ranking in rankings.published_rankings(session=session, province=province, year=year):
        rows = [
            Mover(r.unit_code, r.unit_name, r.rank, r.previous_rank, r.value, r.change)
            for r in ranking.rows
            if r.rank is not None
        ]
        fell = sorted((m for m in rows if m.change is not None and m.change < 0), key=lambda m: (m.change, m.rank))
        lagging = sorted(rows, key=lambda m: (-(m.rank or 0), m.unit_name))
        out.append(
            UnitRanking(
                ranking.period.code,
                ranking.period.year,
                ranking.period.framework_name,
                "commune" if ranking.map_kind == "commune" else "department",
                len(rows),
                years.get(ranking.previous_period or ""),
                ranking.run.simulated,
                fell[:MOVERS],
                lagging[:MOVERS],
            )
        )
    return out


def _collections(session: Session, actor: Actor, province: str, today: dt.date) -> list[Collection]:
    out = []
    for period in dashboard.list_periods(session=session, actor=actor):
        if period.state != "open":
            continue
        states = dashboard.submission_states(session=session, actor=actor, period_code=period.code)
        if not states:
            continue
        first = units.find(next(iter(states)), era=period.era)
        if first and first[0].province_code != province:
            continue
        counts: dict[str, int] = {}
        for state in states.values():
            counts[state] = counts.get(state, 0) + 1
        waiting = sorted(
            (
                (code, dashboard.unit_name(code, period.era), state)
                for code, state in states.items()
                if state in WAITING
            ),
            key=lambda w: (w[2] != "returned", w[1]),
        )
        days_left = (period.closes_on - today).days
        out.append(
            Collection(period.code, period.framework_name, period.closes_on, days_left, counts, len(states), waiting)
        )
    return out
