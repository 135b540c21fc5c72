"""Open data: the published years, each downloadable as a Frictionless data package (public)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from chiso.reports import opendata
from chiso.results.models import ResultRun
from chiso.web.deps import DB, WhoDep
from chiso.web.render import Page, render

router = APIRouter()


@dataclass(frozen=True)
class OpendataPage(Page):
    years: list[int]
    licence: str


@router.get("/opendata")
def opendata_page(request: Request, session: DB, who: WhoDep) -> Response:
    return render(request, who, OpendataPage(opendata.published_years(session=session), "CC-BY-4.0"))


@router.get("/opendata/{year}.zip")
def opendata_zip(request: Request, session: DB, year: int) -> Response:
    """The year's release as a zip; built once per set of published runs (a published run never changes)."""
    if not 2000 <= year <= 2100:
        return Response(status_code=404)
    published = tuple(
        session.scalars(
            select(ResultRun.id)
            .where(ResultRun.published.is_(True), ResultRun.variant == "final")
            .order_by(ResultRun.id)
        ).all()
    )
    kept: dict[tuple[int, tuple[int, ...]], bytes] = request.app.state.opendata
    key = (year, published)
    if key not in kept:
        kept.clear()  # older sets of runs are never asked for again
        kept[key] = opendata.build(session=session, year=year).zip_bytes()
    name = f"chiso-du-lieu-mo-{year}.zip"
    return Response(
        kept[key], media_type="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
