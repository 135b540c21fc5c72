"""Bulk reads for the API: result rows, values, contributions, and the IOC's latest published view."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from chiso import units
from chiso.collection import service as collection
from chiso.collection.models import CollectionPeriod
from chiso.dashboard import rundata, series
from chiso.dashboard.nodes import pillars_of
from chiso.dashboard.service import _run_info, _scope, _visible_run, get_period
from chiso.errors import NotFound
from chiso.framework import Framework
from chiso.permissions import ACTIONS, Actor, check
from chiso.results.models import ResultRun
from chiso.values import service as values_service
from chiso.values.models import Value


@dataclass(frozen=True)
class ResultLine:
    unit_code: str
    node: str
    value: float | None
    points: float | None
    rank: int | None
    unit_era: str


@dataclass(frozen=True)
class ResultRows:
    run_id: int
    published: bool
    simulated: bool
    updated_at: dt.datetime  # UTC: when the run was published (or computed, while provisional)
    rows: list[ResultLine]


def run_updated_at(run: ResultRun) -> dt.datetime:
    """When a run last changed for a reader: its publication, or its computation while provisional."""
    return series.as_utc(run.published_at or run.computed_at)


def changed_since(run: ResultRun, since: dt.datetime | None) -> bool:
    """Whether a poller that read everything up to `since` (naive: Vietnam's time) has yet to see `run`."""
    moment = series.since_utc(since)
    return moment is None or run_updated_at(run) > moment


def _clean(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def result_rows(
    *,
    session: Session,
    actor: Actor,
    period_code: str,
    variant: str = "final",
    node: str | None = None,
    unit_code: str | None = None,
    group_members: frozenset[str] | None = None,
    updated_since: dt.datetime | None = None,
) -> ResultRows:
    """The rows of the run of `variant` the actor may see, filtered; none when the run has not changed
    since `updated_since` (the poller holds them already)."""
    check(actor, "results.view_published")
    period = get_period(session, actor, period_code)
    run = _visible_run(session, actor, period, variant)
    if run is None:
        raise NotFound(f"no {variant} results for period {period_code}")
    data = rundata.load(session, run)
    nodes = [node] if node else list(data.values)
    if node and node not in data.values:
        raise NotFound(f"no node {node!r} in the results of {period_code}")
    if not changed_since(run, updated_since):
        nodes = []
    out = []
    for code in nodes:
        vals, pts, rks = data.values[code], data.points.get(code), data.ranks.get(code)
        for i, unit in enumerate(data.units):
            if (unit_code and unit != unit_code) or (group_members is not None and unit not in group_members):
                continue
            rank = None if rks is None else _clean(rks[i])
            out.append(
                ResultLine(
                    unit,
                    code,
                    _clean(vals[i]),
                    None if pts is None else _clean(pts[i]),
                    None if rank is None else int(rank),
                    data.era,
                )
            )
    simulated = _run_info(session, run, period).simulated
    return ResultRows(run.id, run.published, simulated, run_updated_at(run), out)


def groups_of(*, session: Session, actor: Actor, period_code: str) -> dict[str, frozenset[str]]:
    check(actor, "results.view_published")
    period = get_period(session, actor, period_code)
    units = [s.unit_code for s in collection.submissions(session=session, period=period)]
    return {g.code: g.members for g in _scope(units, period.era)[2]}


def contributions(
    *, session: Session, actor: Actor, period_code: str, unit_code: str, updated_since: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Each indicator's part of the index for one unit (adds up to the unit's index value); none when the
    final run has not changed since `updated_since`."""
    check(actor, "results.view_published")
    period = get_period(session, actor, period_code)
    run = _visible_run(session, actor, period, "final")
    if run is None:
        raise NotFound(f"no final results for period {period_code}")
    rows = [r for r in run.outputs.get("contributions", []) if r.get("unit") == unit_code]
    if not rows:
        raise NotFound(f"unit {unit_code} has no contributions in period {period_code}")
    if not changed_since(run, updated_since):
        return []
    return [{"indicator": r["indicator"], "contribution": r["contribution"]} for r in rows]


def list_values(
    *,
    session: Session,
    actor: Actor,
    period_code: str,
    unit_code: str | None = None,
    variable: str | None = None,
    members: frozenset[str] | None = None,
) -> list[Value]:
    """The current values of a period (a unit officer: only their unit's)."""
    wide = bool(actor.roles & ACTIONS["value.view"].roles)
    scope = unit_code if wide else (unit_code or actor.unit_code)
    check(actor, "value.view", scope)
    period = collection.get_period(session=session, code=period_code)
    units = [scope] if scope else None
    current = values_service.current(
        session=session,
        period=period.value_period,
        era=period.era,
        unit_codes=units,
        variables=[variable] if variable else None,
    )
    rows = [v for v in current.values() if members is None or v.unit_code in members]
    return sorted(rows, key=lambda v: (v.unit_code, v.variable))


def ioc_latest(
    *, session: Session, actor: Actor, province: str, updated_since: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """For each framework assessed in `province`, the latest published final run: index and pillars
    (with `updated_since`, only those published after it)."""
    check(actor, "results.view_published")
    since = series.since_utc(updated_since)
    published = session.scalars(
        select(ResultRun)
        .options(defer(ResultRun.outputs))
        .where(ResultRun.published.is_(True), ResultRun.variant == "final")
        .order_by(ResultRun.published_at.desc(), ResultRun.id.desc())
    ).all()
    blocks: dict[str, dict[str, Any]] = {}
    years: dict[str, int] = {}
    for run in published:
        period = session.get(CollectionPeriod, run.period_id)
        assert period is not None
        framework = collection.framework_of(period)
        if framework.code in years and years[framework.code] >= period.year:
            continue
        data = rundata.load(session, run)
        kind, in_province, _ = _scope(data.units, period.era)
        if in_province != province and not (kind == "province" and province in data.units):
            continue
        pillars = pillars_of(framework)
        units = [u for u in data.units if kind != "province" or u == province]
        years[framework.code] = period.year
        if since is not None and run.published_at is not None and series.as_utc(run.published_at) <= since:
            continue
        blocks[framework.code] = {
            "framework": framework.code,
            "framework_name": framework.name,
            "framework_name_en": framework.name_en or framework.name,
            "period": period.code,
            "year": period.year,
            "published_at": run.published_at,
            "simulated": _run_info(session, run, period).simulated,
            "index": _node(framework, framework.index),
            "pillars": {p: _node(framework, p) for p in pillars},
            "units": [_ioc_unit(data, framework.index, pillars, u, period.era) for u in units],
        }
    if not blocks and not years:
        raise NotFound(f"no published results for province {province}")
    return sorted(blocks.values(), key=lambda b: b["framework"])


def _node(framework: Framework, code: str) -> dict[str, Any]:
    node = framework.node(code)
    return {
        "code": node.code,
        "number": node.number,
        "name": node.name,
        "name_en": node.name_en or node.name,
        "max_points": node.max_points,
        "measure_unit": node.unit,
    }


def _ioc_unit(data: rundata.RunData, index: str, pillars: list[str], code: str, era: str) -> dict[str, Any]:
    found = units.find(code, era=era)
    rank = data.rank(index, code)
    return {
        "code": code,
        "name": found[0].name if found else code,
        "name_en": (found[0].name_en or found[0].name) if found else code,
        "unit_era": era,
        "index": data.value(index, code),
        "rank": None if rank is None else int(rank),
        "pillars": {p: data.value(p, code) for p in pillars},
    }
