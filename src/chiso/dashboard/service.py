"""Read side of the dashboards and the API: periods, rankings, unit profiles, trends.

Every entry point checks a permission. The public (an actor without roles) sees published runs only;
roles with `results.view` see the latest run of each variant, published or not.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from chiso import units
from chiso.collection import service as collection
from chiso.collection.models import CollectionPeriod, Declaration, FrameworkVersion, Submission
from chiso.dashboard import lineage, rates, rundata
from chiso.dashboard.nodes import nodes_of, pillars_of
from chiso.dashboard.schemas import (
    EvidenceLine,
    Gap,
    GroupInfo,
    ItemScores,
    NodeInfo,
    NodeScore,
    PeriodInfo,
    Ranking,
    RankingRow,
    RankIntervals,
    RunInfo,
    TrendPoint,
    UnitProfile,
)
from chiso.engine.ranks import competition_ranks
from chiso.errors import NotFound
from chiso.framework import Framework, Indicator
from chiso.permissions import Actor, allowed, check
from chiso.results import intervals as rank_intervals
from chiso.results.models import ResultRun
from chiso.units.groups import province_groups
from chiso.units.ref import UnitRef
from chiso.units.schemas import Kind
from chiso.values.models import Value

# --- periods, runs, nodes ---------------------------------------------------------------------------


def _period_info(session: Session, period: CollectionPeriod, published: bool) -> PeriodInfo:
    count = session.scalar(select(func.count()).where(Submission.period_id == period.id)) or 0
    stored = period.framework_version
    return PeriodInfo(
        period.code, period.year, period.era, stored.code, stored.name, period.state, period.closes_on, count, published
    )


def list_periods(*, session: Session, actor: Actor, own_unit_only: bool = False) -> list[PeriodInfo]:
    """Every period, newest first; the public sees only those with published results. With
    `own_unit_only`, a unit's officer gets only those whose scope holds their unit (what they may declare
    in: a link to another would lead to a 404); the results of the others stay theirs to read."""
    check(actor, "period.list")
    if own_unit_only and actor.roles == {"officer"} and actor.unit_code:
        scoped = (
            select(CollectionPeriod.code)
            .join(Submission, Submission.period_id == CollectionPeriod.id)
            .where(Submission.unit_code == actor.unit_code)
        )
        mine = set(session.scalars(scoped).all())
        return [p for p in _all_periods(session, actor) if p.code in mine]
    return _all_periods(session, actor)


def _all_periods(session: Session, actor: Actor) -> list[PeriodInfo]:
    published = set(
        session.scalars(
            select(ResultRun.period_id).where(ResultRun.published.is_(True), ResultRun.variant == "final")
        ).all()
    )
    periods = session.scalars(
        select(CollectionPeriod).order_by(CollectionPeriod.year.desc(), CollectionPeriod.code)
    ).all()
    internal = allowed(actor, "results.view")
    return [_period_info(session, p, p.id in published) for p in periods if internal or p.id in published]


def _visible_run(session: Session, actor: Actor, period: CollectionPeriod, variant: str) -> ResultRun | None:
    query = (
        select(ResultRun)
        .options(defer(ResultRun.outputs))  # contributions and log: large, read only where needed
        .where(ResultRun.period_id == period.id, ResultRun.variant == variant)
    )
    if not allowed(actor, "results.view"):
        query = query.where(ResultRun.published.is_(True))
    return session.scalars(query.order_by(ResultRun.id.desc()).limit(1)).first()


_SIMULATED: dict[tuple[int, str], bool] = {}


def _is_simulated(session: Session, run: ResultRun, period: CollectionPeriod) -> bool:
    """A run is simulated when any value it read says so in its lineage (`{"simulated": true}`)."""
    key = (run.id, run.inputs_sha256)
    if key not in _SIMULATED:
        found = session.scalar(
            select(Value.id)
            .where(
                Value.period == period.value_period,
                Value.era == period.era,
                Value.lineage["simulated"].as_boolean().is_(True),
            )
            .limit(1)
        )
        _SIMULATED[key] = found is not None
    return _SIMULATED[key]


# Units a run of each variant speaks for: the final run counts the approved units' items only.
_COUNTED_STATES = {
    "final": ("approved", "published"),
    "appraised": ("submitted", "resubmitted", "returned", "accepted", "approved", "published"),
    "self_assessed": ("submitted", "resubmitted", "returned", "accepted", "approved", "published"),
}


def _run_info(session: Session, run: ResultRun, period: CollectionPeriod) -> RunInfo:
    states = dict(
        session.execute(
            select(Submission.state, func.count()).where(Submission.period_id == period.id).group_by(Submission.state)
        ).all()
    )
    counted = sum(n for state, n in states.items() if state in _COUNTED_STATES.get(run.variant, ()))
    return RunInfo(
        run.id,
        run.variant,
        run.published,
        run.computed_at,
        run.published_at,
        _is_simulated(session, run, period),
        counted,
        sum(states.values()),
    )


# --- units and groups ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def unit_name(code: str, era: str) -> str:
    found = units.find(code, era=era)
    return found[0].name if found else code


@functools.lru_cache(maxsize=64)
def _groups(province: str, era: str) -> tuple[GroupInfo, ...]:
    return tuple(
        GroupInfo(g.code, g.name, g.name_en, frozenset(g.ranked_members)) for g in province_groups(province, era=era)
    )


def _scope(unit_codes: Sequence[str], era: str) -> tuple[str | None, str | None, list[GroupInfo]]:
    """(map kind, province, groups) of a period's units."""
    found = [u for code in unit_codes[:50] for u in units.find(code, era=era)[:1]]
    kinds = {u.kind for u in found}
    if kinds == {Kind.PROVINCE}:
        return "province", None, []
    provinces = {u.province_code for u in found}
    if len(provinces) != 1:
        return None, None, []
    province = provinces.pop()
    members = set(unit_codes)
    groups = [g for g in _groups(province, era) if g.members & members]
    return ("commune" if kinds == {Kind.COMMUNE} else None), province, groups


def get_period(session: Session, actor: Actor, code: str) -> CollectionPeriod:
    """The period, if the actor may see it at all (the public: only with published results)."""
    period = collection.get_period(session=session, code=code)
    if not allowed(actor, "results.view") and _visible_run(session, actor, period, "final") is None:
        raise NotFound(f"no published results for period {code!r}")
    return period


def _previous(session: Session, period: CollectionPeriod) -> CollectionPeriod | None:
    return session.scalars(
        select(CollectionPeriod)
        .join(FrameworkVersion, CollectionPeriod.framework_version_id == FrameworkVersion.id)
        .where(FrameworkVersion.code == period.framework_version.code, CollectionPeriod.year < period.year)
        .order_by(CollectionPeriod.year.desc())
        .limit(1)
    ).first()


def _ranks_within(data: rundata.RunData, node: str, members: frozenset[str] | None) -> np.ndarray:
    values = data.values.get(node, np.full(len(data.units), np.nan))
    if members is None:
        ranks = data.ranks.get(node)
        if ranks is not None:
            return ranks
        eligible = np.ones(len(data.units), dtype=bool)
    else:
        eligible = np.array([u in members for u in data.units])
    ranked: np.ndarray = competition_ranks(values[None, :], eligible[None, :])[0]
    return ranked


def _int(x: float) -> int | None:
    return None if np.isnan(x) else int(x)


# --- rankings -------------------------------------------------------------------------------------


def ranking(
    *,
    session: Session,
    actor: Actor,
    period_code: str,
    node: str | None = None,
    group: str | None = None,
    variant: str = "final",
    by_rate: bool = False,
) -> Ranking:
    """Every unit's value, points and rank on a node (overall or within a group), with last year's rank.

    `by_rate`: an indicator with a value of its own (a share, a count) is ranked by that value, its
    points beside (`RankingRow.rate`); other nodes rank by their value as always.
    """
    check(actor, "results.view_published")
    period = get_period(session, actor, period_code)
    run = _visible_run(session, actor, period, variant)
    if run is None:
        raise NotFound(f"no {variant} results for period {period_code} yet (compute them first)")
    framework = collection.framework_of(period)
    code = node or framework.index
    try:
        chosen_node = framework.node(code)
    except KeyError:
        raise NotFound(f"framework {framework.code} has no node {code!r}") from None
    by_rate = by_rate and isinstance(chosen_node, Indicator) and rates.rankable(framework, chosen_node)
    data = rundata.load(session, run)
    map_kind, province, groups = _scope(data.units, period.era)
    chosen = next((g for g in groups if g.code == group), None)
    if group and chosen is None:
        raise NotFound(f"no unit group {group!r} in this period; groups: {', '.join(g.code for g in groups)}")
    before = _previous(session, period)
    prev_run = _visible_run(session, actor, before, variant) if before else None
    prev = rundata.load(session, prev_run) if prev_run is not None else None
    # Ranks are compared only among the same units: 25 approved communes against last year's 92 would
    # show "▲40" for a unit that only moved up because the others are not in yet.
    run_info = _run_info(session, run, period)
    changes_hidden = prev is not None and (
        run_info.partial
        or (prev_run is not None and before is not None and _run_info(session, prev_run, before).partial)
        or set(prev.units) != set(data.units)
    )
    if changes_hidden:
        prev, prev_run = None, None
    # Stored intervals are of the overall rank on the index: shown there, not within a group.
    stored = rank_intervals.load(session, run) if chosen is None else None
    found = stored if stored is not None and stored.node == code else None
    if by_rate:
        assert isinstance(chosen_node, Indicator)
        previous = (
            (prev, rates.counted(session, before, prev_run, prev, code))
            if prev is not None and prev_run is not None and before is not None
            else None
        )
        own = rates.counted(session, period, run, data, code)
        rows = rates.rows(data, own, previous, chosen_node, chosen, lambda u: unit_name(u, period.era))
        found = None
    else:
        rows = _ranking_rows(data, prev, code, chosen, period.era, found)
    info = next(n for n in nodes_of(framework) if n.code == code)
    return Ranking(
        _period_info(session, period, run.published),
        run_info,
        info,
        nodes_of(framework),
        groups,
        chosen,
        before.code if prev_run is not None and before is not None else None,
        rows,
        map_kind,
        province,
        changes_hidden,
        RankIntervals(found.draws, found.factor) if found is not None else None,
        ("share" if rates.is_share(chosen_node) else "value")
        if by_rate and isinstance(chosen_node, Indicator)
        else None,
    )


_ROWS: OrderedDict[tuple[object, ...], list[RankingRow]] = OrderedDict()
_ROWS_LOCK = threading.Lock()


def _ranking_rows(
    data: rundata.RunData,
    prev: rundata.RunData | None,
    code: str,
    group: GroupInfo | None,
    era: str,
    intervals: rank_intervals.Intervals | None = None,
) -> list[RankingRow]:
    """The rows of a ranking, kept per (run, previous run, node, group): stored runs never change."""
    key = (data.run_id, data.key, prev.key if prev else None, code, group.code if group else None, era, bool(intervals))
    with _ROWS_LOCK:
        found = _ROWS.get(key)
        if found is not None:
            _ROWS.move_to_end(key)
            return found
    members = group.members if group else None
    ranks = _ranks_within(data, code, members)
    previous_ranks: dict[str, int] = {}
    if prev is not None:
        prev_ranks = _ranks_within(prev, code, members).tolist()
        previous_ranks = {u: int(r) for u, r in zip(prev.units, prev_ranks, strict=True) if r == r}
    nan = np.full(len(data.units), np.nan)
    values = data.values.get(code, nan).tolist()
    points = data.points.get(code, nan).tolist()
    rank_list = ranks.tolist()
    rows = []
    for i, unit in enumerate(data.units):
        if members is not None and unit not in members:
            continue
        value, point, rank = values[i], points[i], rank_list[i]
        interval = intervals.by_unit.get(unit) if intervals else None
        rows.append(
            RankingRow(
                unit,
                unit_name(unit, era),
                None if value != value else value,  # NaN is the only value not equal to itself
                None if point != point else point,
                None if rank != rank else int(rank),
                previous_ranks.get(unit),
                interval.low if interval else None,
                interval.high if interval else None,
            )
        )
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit_code))
    with _ROWS_LOCK:
        _ROWS[key] = rows
        while len(_ROWS) > 256:
            _ROWS.popitem(last=False)
    return rows


def trend(
    *, session: Session, actor: Actor, period_code: str, node: str | None = None, unit_code: str | None = None
) -> list[TrendPoint]:
    """The node's mean over the units (and one unit's value and rank) in every period of the framework."""
    check(actor, "results.view_published")
    period = get_period(session, actor, period_code)
    framework = collection.framework_of(period)
    code = node or framework.index
    periods = session.scalars(
        select(CollectionPeriod)
        .join(FrameworkVersion, CollectionPeriod.framework_version_id == FrameworkVersion.id)
        .where(FrameworkVersion.code == period.framework_version.code)
        .order_by(CollectionPeriod.year)
    ).all()
    out = []
    for each in periods:
        run = _visible_run(session, actor, each, "final")
        if run is None:
            continue
        data = rundata.load(session, run)
        values = data.values.get(code)
        mean = float(np.nanmean(values)) if values is not None and not np.isnan(values).all() else None
        value = data.value(code, unit_code) if unit_code else None
        rank = data.rank(code, unit_code) if unit_code else None
        out.append(TrendPoint(each.code, each.year, mean, value, None if rank is None else int(rank)))
    return out


# --- unit profile ------------------------------------------------------------------------------------


def _score(data: rundata.RunData, info: NodeInfo, unit: str) -> NodeScore:
    values = data.values.get(info.code)
    mean = float(np.nanmean(values)) if values is not None and not np.isnan(values).all() else None
    rank = data.rank(info.code, unit)
    return NodeScore(
        info,
        data.value(info.code, unit),
        data.point(info.code, unit),
        None if rank is None else int(rank),
        mean,
        int((~np.isnan(values)).sum()) if values is not None else 0,
    )


def unit_profile(*, session: Session, actor: Actor, period_code: str, unit_code: str) -> UnitProfile:
    """A unit's scores and ranks, its history, its indicators in three variants, strengths and weaknesses."""
    check(actor, "results.view_published")
    period = get_period(session, actor, period_code)
    run = _visible_run(session, actor, period, "final")
    if run is None:
        raise NotFound(f"no final results for period {period_code} yet")
    data = rundata.load(session, run)
    if unit_code not in data.position:
        raise NotFound(f"unit {unit_code} is not in period {period_code}")
    framework = collection.framework_of(period)
    infos = {n.code: n for n in nodes_of(framework)}
    pillar_codes = pillars_of(framework)
    index = _score(data, infos[framework.index], unit_code)
    pillars = [_score(data, infos[c], unit_code) for c in pillar_codes]

    history = []
    for point in trend(session=session, actor=actor, period_code=period_code, unit_code=unit_code):
        each = collection.get_period(session=session, code=point.period)
        each_run = _visible_run(session, actor, each, "final")
        if each_run is None:
            continue
        each_data = rundata.load(session, each_run)
        if unit_code not in each_data.position:
            continue
        codes = [framework.index, *pillar_codes]
        history.append((each.code, each.year, [_score(each_data, infos[c], unit_code) for c in codes]))

    internal = allowed(actor, "results.view")
    others: dict[str, rundata.RunData] = {}
    if internal:
        for variant in ("self_assessed", "appraised"):
            other = _visible_run(session, actor, period, variant)
            if other is not None:
                others[variant] = rundata.load(session, other)
    see_items = allowed(actor, "declaration.view", unit_code)
    declared: dict[str, Declaration] = {}
    if see_items:
        submission = collection.get_submission(session=session, period=period, unit_code=unit_code)
        declared = {d.indicator_code: d for d in collection.items(session=session, submission=submission)}
    measured = lineage.measured_inputs(
        session=session, unit=UnitRef(period.era, unit_code), period=period.value_period, at=run.computed_at
    )
    items = []
    strengths, weaknesses = [], []
    for ind in framework.indicators:
        final = data.value(ind.code, unit_code)
        item = declared.get(ind.code)
        items.append(
            ItemScores(
                ind.code,
                ind.name,
                ind.max_points,
                others["self_assessed"].value(ind.code, unit_code) if "self_assessed" in others else None,
                others["appraised"].value(ind.code, unit_code) if "appraised" in others else None,
                final,
                item.state if item else None,
                [
                    EvidenceLine(
                        e.id,
                        " – ".join(
                            p
                            for p in (e.doc_number, e.doc_date.strftime("%d/%m/%Y") if e.doc_date else "", e.summary)
                            if p
                        ),
                        e.file_name,
                    )
                    for e in item.evidence
                ]
                if item
                else [],
                [measured[v] for v in ind.variables if v in measured],
                ind.number,
            )
        )
        if ind.max_points and ind.code in data.values:
            column = data.values[ind.code]
            mean = float(np.nanmean(column)) if not np.isnan(column).all() else None
            # No final score earns nothing: a weakness like any other lost points.
            gap = Gap(ind.code, ind.name, final or 0.0, ind.max_points, mean, ind.number)
            weaknesses.append(gap)
            if mean is not None and final is not None:
                strengths.append(gap)
    stored = rank_intervals.load(session, run)
    interval = stored.by_unit.get(unit_code) if stored is not None and stored.node == framework.index else None
    weight = _weights(framework)
    weaknesses.sort(key=lambda g: -g.lost * weight.get(g.code, 1.0))
    strengths.sort(key=lambda g: -(g.points - (g.mean_points or 0)) * weight.get(g.code, 1.0))
    return UnitProfile(
        unit_code,
        unit_name(unit_code, period.era),
        _period_info(session, period, run.published),
        _run_info(session, run, period),
        index,
        pillars,
        history,
        items,
        [g for g in strengths if g.points > (g.mean_points or 0)][:5],
        [g for g in weaknesses if g.lost > 0][:5],
        see_items,
        (interval.low, interval.high) if interval is not None else None,
        RankIntervals(stored.draws, stored.factor) if stored is not None and interval is not None else None,
    )


def _weights(framework: Framework) -> dict[str, float]:
    """Each indicator's weight in the index: the product of the child weights on its path."""
    out: dict[str, float] = {}

    def walk(code: str, factor: float) -> None:
        node = framework.node(code)
        if isinstance(node, Indicator):
            out[code] = out.get(code, 0.0) + factor
            return
        total = sum(c.weight for c in node.children) or 1.0
        for child in node.children:
            scale = child.weight if node.method == "sum" else child.weight / total
            walk(child.code, factor * scale)

    walk(framework.index, 1.0)
    return out


def pillar_shares(
    *, session: Session, actor: Actor, period_code: str, group: str | None = None
) -> list[tuple[NodeInfo, list[float]]]:
    """Each pillar's value as a share of its maximum, for every unit (of the group) with a value."""
    check(actor, "results.view_published")
    period = get_period(session, actor, period_code)
    run = _visible_run(session, actor, period, "final")
    if run is None:
        raise NotFound(f"no final results for period {period_code} yet")
    framework = collection.framework_of(period)
    data = rundata.load(session, run)
    members = None
    if group:
        found = next((g for g in _scope(data.units, period.era)[2] if g.code == group), None)
        members = found.members if found else frozenset()
    mask = np.array([members is None or u in members for u in data.units], dtype=bool)
    infos = {n.code: n for n in nodes_of(framework)}
    out = []
    for code in pillars_of(framework):
        info = infos[code]
        values = data.values.get(code)
        if values is None or not info.max_points:
            continue
        chosen = values[mask & ~np.isnan(values)] / info.max_points
        out.append((info, [float(x) for x in chosen]))
    return out


def submission_states(*, session: Session, actor: Actor, period_code: str) -> dict[str, str]:
    """Each unit's workflow state in the period (for the completeness panel)."""
    check(actor, "period.view")
    period = collection.get_period(session=session, code=period_code)
    rows = session.execute(
        select(Submission.unit_code, Submission.state).where(Submission.period_id == period.id)
    ).all()
    return {u: s for u, s in rows}
