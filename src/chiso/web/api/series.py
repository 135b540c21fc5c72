"""Time series for the IOC: scores (node × unit × period) and figures (variable × unit × period)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from chiso import csvsafe
from chiso.dashboard import series
from chiso.web.api import cache
from chiso.web.api.common import PageNo, PerPage, UpdatedSince, paginate
from chiso.web.api.schemas import FigurePoint, FiguresPage, SeriesPage, SeriesPoint
from chiso.web.deps import DB, WhoDep

router = APIRouter(tags=["series"])
CSV_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "JSON, or CSV (UTF-8 with a byte-order mark) with format=csv or Accept: text/csv",
    },
    304: {"description": "Not modified: the ETag sent in If-None-Match is still the answer's"},
}
FrameworkCode = Annotated[
    str,
    Query(min_length=1, max_length=64, description="The framework whose periods make the series, e.g. commune-2025."),
]
UnitCodes = Annotated[
    list[str] | None, Query(max_length=200, description="Official unit codes (repeat for several); default: all.")
]
Province = Annotated[
    str | None, Query(pattern="^[0-9]{2}$", description="Only units of this province (2-digit code), and itself.")
]
Level = Annotated[Literal["province", "commune", "department", "district"] | None, Query(description="Unit level.")]
NodeFilter = Annotated[
    str | None, Query(max_length=64, description="A node's code or official number (4.22); default: every node.")
]
Below = Annotated[bool, Query(description="With `node`: that node and every node under it.")]
FromYear = Annotated[int | None, Query(alias="from", ge=1900, le=2200, description="First year (included).")]
ToYear = Annotated[int | None, Query(alias="to", ge=1900, le=2200, description="Last year (included).")]
Format = Annotated[
    Literal["json", "csv"] | None, Query(description="json (paginated) or csv (every row); default: by Accept.")
]
Variant = Annotated[Literal["final", "appraised", "self_assessed"], Query(description="Which run.")]


def _filters(
    framework: str,
    unit: list[str] | None,
    province: str | None,
    level: str | None,
    node: str | None,
    below: bool,
    from_year: int | None,
    to_year: int | None,
    updated_since: dt.datetime | None,
) -> series.Filters:
    return series.Filters(
        framework=framework,
        unit_codes=frozenset(unit) if unit else None,
        province=province,
        level=level,
        node=node,
        below=below,
        from_year=from_year,
        to_year=to_year,
        updated_since=updated_since,
    )


@router.get("/series", response_model=SeriesPage, responses=CSV_OR_JSON)
def score_series(
    request: Request,
    session: DB,
    who: WhoDep,
    framework: FrameworkCode,
    unit: UnitCodes = None,
    province: Province = None,
    level: Level = None,
    node: NodeFilter = None,
    below: Below = False,
    from_year: FromYear = None,
    to_year: ToYear = None,
    updated_since: UpdatedSince = None,
    variant: Variant = "final",
    page: PageNo = 1,
    per_page: PerPage = 1000,
    format: Format = None,
) -> Any:
    """Every node's value, points and rank by unit and period, with names, numbers, units and sources.

    Without a token: published final runs; with one: the latest run of each period, provisional too.
    """
    chosen = cache.wants(request, format)
    filters = _filters(framework, unit, province, level, node, below, from_year, to_year, updated_since)

    def compute() -> Any:
        rows = series.scores(session=session, actor=who.actor, filters=filters, variant=variant)
        if chosen == "csv":
            return csv_with_bom(rows, list(SeriesPoint.model_fields), f"series-{framework}.csv")
        return paginate(rows, page, per_page)

    return cache.respond(request, session, who.actor, compute, vary=chosen)


@router.get("/series/values", response_model=FiguresPage, responses=CSV_OR_JSON)
def figure_series(
    request: Request,
    session: DB,
    who: WhoDep,
    framework: FrameworkCode,
    unit: UnitCodes = None,
    province: Province = None,
    level: Level = None,
    node: NodeFilter = None,
    below: Below = False,
    from_year: FromYear = None,
    to_year: ToYear = None,
    updated_since: UpdatedSince = None,
    page: PageNo = 1,
    per_page: PerPage = 1000,
    format: Format = None,
) -> Any:
    """The current figure of every variable (of a node's indicators, with `node`) by unit and period,
    with its label, unit of measure and source. A token or a login with `value.view`."""
    chosen = cache.wants(request, format)
    filters = _filters(framework, unit, province, level, node, below, from_year, to_year, updated_since)

    def compute() -> Any:
        rows = series.figures(session=session, actor=who.actor, filters=filters)
        if chosen == "csv":
            return csv_with_bom(rows, list(FigurePoint.model_fields), f"values-{framework}.csv")
        return paginate(rows, page, per_page)

    return cache.respond(request, session, who.actor, compute, vary=chosen)


def csv_with_bom(rows: Sequence[dict[str, Any]], columns: Sequence[str], filename: str) -> Response:
    """UTF-8 CSV with a byte-order mark, so that Excel opens the Vietnamese names right."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csvsafe.write(buffer, rows, columns, lineterminator="\n")
    return Response(
        buffer.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
