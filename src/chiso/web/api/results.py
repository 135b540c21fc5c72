"""Results: rows of a run, rankings, contributions, and the IOC's one call."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from pydantic_core import to_json

from chiso.dashboard import data
from chiso.dashboard import series as dashboard_series
from chiso.dashboard import service as dashboard
from chiso.errors import NotFound
from chiso.web.api import cache
from chiso.web.api.common import CSV, NOT_MODIFIED, Format, PageNo, PerPage, UpdatedSince, csv_response, paginate
from chiso.web.api.schemas import ContributionOut, IocBlock, RankingOut, RankingPage, ResultOut, ResultsPage
from chiso.web.deps import DB, WhoDep

router = APIRouter(tags=["results"])


class RankingIntervalOut(RankingOut):
    rank_low: int | None = Field(
        None, description="Best rank of the unit's rank interval when the weights vary (`intervals`); index only."
    )
    rank_high: int | None = Field(None, description="Worst rank of that interval.")


class RankIntervalsOut(BaseModel):
    draws: int = Field(description="Weight sets drawn, each weight × (1 + factor·U(−1, 1)).")
    factor: float = Field(description="The weights' noise: 0.25 is ±25 %.")


class RankingWithIntervals(RankingPage):
    """A ranking; on the index of a final run, each unit's rank interval (5–95 % of its ranks over the draws,
    widened to hold its rank), computed once when the run was computed and stored with it."""

    items: list[RankingIntervalOut]  # type: ignore[assignment]
    intervals: RankIntervalsOut | None = Field(None, description="How the intervals were drawn; null: none.")


PeriodCode = Annotated[str, Query(min_length=1, max_length=64, description="Period code, e.g. 2025/commune-2025.")]
Variant = Annotated[Literal["final", "appraised", "self_assessed"], Query(description="Which run.")]
Node = Annotated[
    str | None, Query(max_length=64, description="A node code; default: every node (the index for rankings).")
]
Unit = Annotated[str | None, Query(max_length=32, description="One unit's official code.")]
Group = Annotated[str | None, Query(max_length=64, description="A unit group (ranked within it), e.g. phuong.")]


def _members(session: DB, who: WhoDep, period: str, group: str | None) -> frozenset[str] | None:
    if group is None:
        return None
    groups = data.groups_of(session=session, actor=who.actor, period_code=period)
    if group not in groups:
        raise NotFound(f"no unit group {group!r} in period {period}; groups: {', '.join(groups) or 'none'}")
    return groups[group]


@router.get("/results", response_model=ResultsPage, responses=CSV)
def results(
    request: Request,
    session: DB,
    who: WhoDep,
    period: PeriodCode,
    variant: Variant = "final",
    node: Node = None,
    unit: Unit = None,
    group: Group = None,
    updated_since: UpdatedSince = None,
    page: PageNo = 1,
    per_page: PerPage = 100,
    format: Format = "json",
) -> Any:
    """Value, points and overall rank of every node and unit of a run (without a token: published runs).
    With `updated_since`: no rows while the run has not changed since then (`updated_at` says when it did)."""

    def compute() -> Any:
        members = _members(session, who, period, group)
        found = data.result_rows(
            session=session,
            actor=who.actor,
            period_code=period,
            variant=variant,
            node=node,
            unit_code=unit,
            group_members=members,
            updated_since=updated_since,
        )
        out = [ResultOut(**vars(r)) for r in found.rows]
        if format == "csv":  # every row says whether it comes from simulated values
            marked = [{**r.model_dump(), "simulated": found.simulated} for r in out]
            return csv_response(marked, [*ResultOut.model_fields, "simulated"], f"results-{found.run_id}.csv")
        return {
            **paginate(out, page, per_page),
            "run_id": found.run_id,
            "published": found.published,
            "updated_at": found.updated_at,
            "simulated": found.simulated,
        }

    return cache.respond(request, session, who.actor, compute)


@router.get("/rankings", response_model=RankingWithIntervals, responses=CSV)
def rankings(
    request: Request,
    session: DB,
    who: WhoDep,
    period: PeriodCode,
    node: Node = None,
    group: Group = None,
    variant: Variant = "final",
    updated_since: UpdatedSince = None,
    page: PageNo = 1,
    per_page: PerPage = 5000,
    format: Format = "json",
) -> Any:
    """Units ranked on a node (default: the index), within a group if given, with last period's rank.
    With `updated_since`: no rows while the run has not changed since then (`updated_at` says when it did)."""
    return cache.respond(
        request,
        session,
        who.actor,
        lambda: _ranking(session, who, period, node, group, variant, updated_since, page, per_page, format),
    )


def _ranking(
    session: DB,
    who: WhoDep,
    period: str,
    node: str | None,
    group: str | None,
    variant: str,
    updated_since: dt.datetime | None,
    page: int,
    per_page: int,
    format: str,
) -> Response:
    found = dashboard.ranking(
        session=session, actor=who.actor, period_code=period, node=node, group=group, variant=variant
    )
    updated_at = dashboard_series.as_utc(found.run.published_at or found.run.computed_at)
    since = dashboard_series.since_utc(updated_since)
    ranked = found.rows if since is None or updated_at > since else []
    if format == "csv":
        era = found.period.era
        rows = [{**vars(r), "change": r.change, "simulated": found.run.simulated, "unit_era": era} for r in ranked]
        columns = [*RankingOut.model_fields, "simulated", "unit_era"]
        return csv_response(rows, columns, f"ranking-{found.node.code}.csv")
    # Thousands of rows: plain dicts serialised once (the shape of RankingPage), kept by the response cache.
    fields = RankingIntervalOut.model_fields
    items = [{k: v for k, v in vars(r).items() if k in fields} | {"change": r.change} for r in ranked]
    body = {
        **paginate(items, page, per_page),
        "period": found.period.code,
        "unit_era": found.period.era,
        "node": found.node.code,
        "group": found.group.code if found.group else None,
        "run_id": found.run.id,
        "published": found.run.published,
        "updated_at": updated_at,
        "simulated": found.run.simulated,
        "units": found.run.units,
        "scope": found.run.scope,
        "partial": found.run.partial,
        "changes_hidden": found.changes_hidden,
        "intervals": {"draws": found.intervals.draws, "factor": found.intervals.factor} if found.intervals else None,
    }
    return Response(to_json(body), media_type="application/json")


@router.get("/contributions", response_model=list[ContributionOut], responses=NOT_MODIFIED)
def contributions(
    request: Request,
    session: DB,
    who: WhoDep,
    period: PeriodCode,
    unit: Annotated[str, Query(max_length=32)],
    updated_since: UpdatedSince = None,
) -> Any:
    """Each indicator's part of one unit's index in the final run (they add up to the index); with
    `updated_since`, an empty list while that run has not changed since then."""

    def compute() -> list[ContributionOut]:
        rows = data.contributions(
            session=session, actor=who.actor, period_code=period, unit_code=unit, updated_since=updated_since
        )
        return [ContributionOut(**r) for r in rows]

    return cache.respond(request, session, who.actor, compute)


@router.get("/ioc/latest", response_model=list[IocBlock], responses=NOT_MODIFIED)
def ioc_latest(
    request: Request,
    session: DB,
    who: WhoDep,
    province: Annotated[str, Query(pattern="^[0-9]{2}$", description="Province code.")],
    updated_since: Annotated[
        dt.datetime | None,
        Query(description="Only frameworks published after this moment (ISO 8601; no offset: Vietnam's time)."),
    ] = None,
) -> Any:
    """For the province's IOC, in one call: the latest published index and pillar values of all its units,
    with the names (Vietnamese, English) and numbers of the index and pillars and the scale of their values."""

    def compute() -> list[IocBlock]:
        blocks = data.ioc_latest(session=session, actor=who.actor, province=province, updated_since=updated_since)
        return [IocBlock(**b) for b in blocks]

    return cache.respond(request, session, who.actor, compute)
