"""Time series for the IOC: every node's score and every variable's figure, by unit and period.

A framework's periods (one a year) make the series. Scores come from the run of each period the actor
may see (the public: published final runs); figures from the values store. Each row names its unit,
node or variable in Vietnamese and English, with the official number and the unit of measure, and
says where it comes from (`source`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from chiso import units
from chiso.clock import VIETNAM
from chiso.collection import service as collection
from chiso.collection.models import CollectionPeriod, Declaration, FrameworkVersion, Submission
from chiso.dashboard import rundata
from chiso.dashboard.nodes import nodes_of
from chiso.dashboard.service import _is_simulated, _visible_run
from chiso.errors import NotFound
from chiso.framework import Framework, Indicator
from chiso.framework.describe import label_of, unit_of
from chiso.permissions import ACTIONS, Actor, check
from chiso.values import service as values_service
from chiso.values.models import Value

LEVELS = ("province", "commune", "department", "district")
# Where an indicator's score comes from, strongest first: a simulated figure taints everything it feeds.
SOURCE_ORDER = ("simulated", "measured", "appraised", "imported", "declared")


@dataclass(frozen=True)
class Filters:
    framework: str
    unit_codes: frozenset[str] | None = None
    province: str | None = None
    level: str | None = None
    node: str | None = None  # a code or an official number (4.22)
    below: bool = False  # the node and every node under it
    from_year: int | None = None
    to_year: int | None = None
    updated_since: dt.datetime | None = None


@functools.lru_cache(maxsize=16384)
def unit_info(code: str, era: str) -> tuple[str, str, str, str]:
    """(name, English name, level, province code) of a unit, the code itself when unknown."""
    found = units.find(code, era=era)
    if not found:
        return code, code, "", ""
    u = found[0]
    return u.name, u.name_en or u.name, u.kind.value, u.province_code


def periods_of(session: Session, filters: Filters) -> list[CollectionPeriod]:
    query = (
        select(CollectionPeriod)
        .join(FrameworkVersion, CollectionPeriod.framework_version_id == FrameworkVersion.id)
        .where(FrameworkVersion.code == filters.framework)
        .order_by(CollectionPeriod.year, CollectionPeriod.code)
    )
    if filters.from_year is not None:
        query = query.where(CollectionPeriod.year >= filters.from_year)
    if filters.to_year is not None:
        query = query.where(CollectionPeriod.year <= filters.to_year)
    return list(session.scalars(query).all())


def node_codes(framework: Framework, node: str | None, below: bool) -> list[str] | None:
    """The codes the node filter keeps (None: every node); a node is named by its code or number."""
    if node is None:
        return None
    found = next((n for n in framework.nodes if node in (n.code, n.number)), None)
    if found is None:
        raise NotFound(f"framework {framework.code} has no node {node!r} (give a code or an official number)")
    if not below:
        return [found.code]
    out: list[str] = []

    def walk(code: str) -> None:
        if code in out:
            return
        out.append(code)
        each = framework.node(code)
        for child in getattr(each, "children", ()):
            walk(child.code)

    walk(found.code)
    return out


def _keeps_unit(code: str, era: str, filters: Filters) -> bool:
    if filters.unit_codes is not None and code not in filters.unit_codes:
        return False
    if filters.level is None and filters.province is None:
        return True
    _, _, level, province = unit_info(code, era)
    return (filters.level is None or level == filters.level) and (
        filters.province is None or province == filters.province or (level == "province" and code == filters.province)
    )


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite gives naive UTC, PostgreSQL aware datetimes; a naive filter is Vietnam's time."""
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def since_utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=VIETNAM).astimezone(dt.UTC)


# --- scores --------------------------------------------------------------------------------------------


def scores(*, session: Session, actor: Actor, filters: Filters, variant: str = "final") -> list[dict[str, Any]]:
    """Every node's value, points and rank for every unit in every period of the framework (the run the
    actor may see: published final runs for the public), oldest period first."""
    check(actor, "results.view_published")
    since = since_utc(filters.updated_since)
    out: list[dict[str, Any]] = []
    found_period = False
    for period in periods_of(session, filters):
        run = _visible_run(session, actor, period, variant)
        if run is None:
            continue
        found_period = True
        updated = as_utc(run.published_at or run.computed_at)
        if since is not None and updated <= since:
            continue
        framework = collection.framework_of(period)
        wanted = node_codes(framework, filters.node, filters.below)
        data = rundata.load(session, run)
        keep = [(i, u) for i, u in enumerate(data.units) if _keeps_unit(u, period.era, filters)]
        simulated = _is_simulated(session, run, period)
        sources = _sources(session, period, framework, [u for _, u in keep], variant) if keep else {}
        nodes = [framework.node(c) for c in (wanted or [n.code for n in _reading_order(framework)])]
        stamp = updated.isoformat()
        for node in nodes:
            if node.code not in data.values:
                continue
            vals, pts, rks = data.values[node.code], data.points.get(node.code), data.ranks.get(node.code)
            is_indicator = isinstance(node, Indicator)
            for i, unit in keep:
                name, name_en, level, _ = unit_info(unit, period.era)
                out.append({
                    "period": period.code,
                    "year": period.year,
                    "framework": framework.code,
                    "unit_era": period.era,
                    "unit_code": unit,
                    "unit_name": name,
                    "unit_name_en": name_en,
                    "level": level,
                    "node": node.code,
                    "number": node.number,
                    "node_name": node.name,
                    "node_name_en": node.name_en or node.name,
                    "kind": "index" if node.code == framework.index else node.kind,
                    "measure_unit": node.unit,
                    "max_points": node.max_points,
                    "value": _num(vals[i]),
                    "points": None if pts is None else _num(pts[i]),
                    "rank": None if rks is None or np.isnan(rks[i]) else int(rks[i]),
                    "source": _source(sources, unit, node.code, vals[i]) if is_indicator else "computed",
                    "simulated": simulated,
                    "published": run.published,
                    "run_id": run.id,
                    "updated_at": stamp,
                })  # fmt: skip
    if not found_period:
        raise NotFound(f"no {variant} results of framework {filters.framework!r} in these years")
    return out


def _reading_order(framework: Framework) -> list[Any]:
    return [framework.node(n.code) for n in nodes_of(framework)]


def _source(sources: dict[tuple[str, str], str], unit: str, indicator: str, value: float) -> str | None:
    # A score without figures behind it was given by the unit (a self-score); no score, no source.
    return sources.get((unit, indicator)) or (None if np.isnan(value) else "declared")


def _num(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def _sources(
    session: Session, period: CollectionPeriod, framework: Framework, unit_codes: list[str], variant: str
) -> dict[tuple[str, str], str]:
    """Each (unit, indicator)'s source where it has one: its figures' (simulated, measured, imported,
    declared) or its score's (appraised, when the appraiser gave one and the run counts it)."""
    current = values_service.current(session=session, period=period.value_period, era=period.era, unit_codes=unit_codes)
    appraised: set[tuple[str, str]] = set()
    if variant != "self_assessed":
        rows = session.execute(
            select(Submission.unit_code, Declaration.indicator_code)
            .join(Declaration, Declaration.submission_id == Submission.id)
            .where(Submission.period_id == period.id, Declaration.appraised_score.is_not(None))
        )
        appraised = {(u, i) for u, i in rows}
    out: dict[tuple[str, str], str] = {}
    for indicator in framework.indicators:
        for unit in unit_codes:
            found = {_source_of(current[(unit, v)]) for v in indicator.variables if (unit, v) in current}
            if (unit, indicator.code) in appraised:
                found.add("appraised")
            if found:
                out[(unit, indicator.code)] = next(s for s in SOURCE_ORDER if s in found)
    return out


def _source_of(value: Value) -> str:
    return "simulated" if (value.lineage or {}).get("simulated") else value.source


# --- figures -------------------------------------------------------------------------------------------


def figures(*, session: Session, actor: Actor, filters: Filters) -> list[dict[str, Any]]:
    """The current version of every figure (variable) of the framework's periods, by unit and period.

    A token or a login with `value.view`; a unit officer sees only their unit's figures."""
    wide = bool(actor.roles & ACTIONS["value.view"].roles)
    own = None if wide else actor.unit_code
    check(actor, "value.view", own)
    since = since_utc(filters.updated_since)
    periods = periods_of(session, filters)
    if not periods:
        raise NotFound(f"no period of framework {filters.framework!r} in these years")
    out: list[dict[str, Any]] = []
    for period in periods:
        framework = collection.framework_of(period)
        wanted = node_codes(framework, filters.node, filters.below)
        variables = framework.variables if wanted is None else _variables_of(framework, wanted)
        scope = {s.unit_code for s in collection.submissions(session=session, period=period)}
        chosen = [u for u in sorted(scope) if (own is None or u == own) and _keeps_unit(u, period.era, filters)]
        if not chosen or not variables:
            continue
        current = values_service.current(
            session=session, period=period.value_period, era=period.era, unit_codes=chosen, variables=variables
        )
        for (unit, variable), v in sorted(current.items()):
            recorded = as_utc(v.recorded_at)
            if since is not None and recorded <= since:
                continue
            name, name_en, level, _ = unit_info(unit, period.era)
            out.append({
                "period": period.code,
                "year": period.year,
                "value_period": period.value_period,
                "framework": framework.code,
                "unit_era": period.era,
                "unit_code": unit,
                "unit_name": name,
                "unit_name_en": name_en,
                "level": level,
                "variable": variable,
                "label": label_of(framework, variable, "vi"),
                "label_en": label_of(framework, variable, "en"),
                "measure_unit": unit_of(framework, variable),
                "value": v.value,
                "source": v.source,
                "simulated": bool((v.lineage or {}).get("simulated")),
                "version": v.version,
                "updated_at": recorded.isoformat(),
            })  # fmt: skip
    return out


def _variables_of(framework: Framework, codes: Iterable[str]) -> list[str]:
    out: dict[str, None] = {}
    for code in codes:
        node = framework.node(code)
        if isinstance(node, Indicator):
            out.update(dict.fromkeys(node.variables))
    return list(out)
