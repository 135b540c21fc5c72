"""The Decision 766 index: the ranking by period and unit kind, and a unit's month-by-month profile,
where the province's office (or the unit's officer) declares the components Chiso cannot measure (the
stored results of the period are scored again at once) or downloads the XLSX template to declare them
from a file (`chiso sources declare766`)."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field, create_model
from sqlalchemy.orm import Session

from chiso import clock, units
from chiso.errors import ConflictError
from chiso.framework import Framework
from chiso.framework.spec import Indicator
from chiso.permissions import allowed
from chiso.service766 import declarations, service, template
from chiso.service766.compute import framework
from chiso.service766.declarations import DeclarationRefused, Label
from chiso.service766.models import Service766Declaration, Service766Score
from chiso.service766.schemas import DeclarationIn
from chiso.units.ref import UnitRef
from chiso.web.deps import DB, FormWho, Who, WhoDep
from chiso.web.i18n import N_, gettext
from chiso.web.pages.forms import Form, FormInvalid, FormNumber, Optional, parse
from chiso.web.render import Page, render

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Kind = Literal["province", "department", "commune"]
KIND_LABELS = {"province": N_("Tỉnh"), "department": N_("Sở, ban, ngành"), "commune": N_("Xã, phường")}
GROUPS = ("transparency", "progress", "online", "digitisation", "satisfaction")


@dataclass(frozen=True)
class Group:
    code: str
    number: str
    name: str
    max_points: float


@dataclass(frozen=True)
class Component:
    code: str
    number: str
    name: str
    group: str
    max_points: float
    measurable: bool
    provisional: bool
    basis: str


@dataclass(frozen=True)
class Row:
    unit: UnitRef
    name: str
    score: Service766Score


def groups_of(fw: Framework) -> list[Group]:
    return [Group(c, fw.node(c).number or "", fw.node(c).name, float(fw.node(c).max_points or 0)) for c in GROUPS]


def components_of(fw: Framework) -> list[Component]:
    found = []
    for group in GROUPS:
        node = fw.node(group)
        for child in getattr(node, "children", ()):
            item = fw.node(child.code)
            assert isinstance(item, Indicator)
            found.append(
                Component(
                    item.code,
                    item.number or "",
                    item.name,
                    group,
                    float(item.max_points or 0),
                    item.measurable,
                    child.provisional,
                    item.basis,
                )
            )
    return found


def period_label(period: str) -> str:
    """09/2025 for a month, 2025 for a year (as Vietnamese notices write them)."""
    return f"{period[5:]}/{period[:4]}" if len(period) == 7 else period


@dataclass(frozen=True)
class Service766RankingPage(Page):
    periods: list[str]
    period: str
    kind: str
    kinds: dict[str, str]
    groups: list[Group]
    rows: list[Row]
    declared: list[Component] = field(default_factory=list)
    province: str = ""  # whose units the template link gives, for those who may declare ("" hides it)

    def label(self, period: str) -> str:
        return period_label(period)


@dataclass(frozen=True)
class DeclaredInput:
    """One declared input of a component for the chosen period: its figure, who gave it and when."""

    variable: str
    label: str
    label_en: str
    unit: str
    row: Service766Declaration | None  # the current version, or None: not declared
    counted: bool | None  # the stored result read this very figure (None: no result for the period)


@dataclass(frozen=True)
class DeclaredComponent:
    """A component Chiso cannot measure, for the chosen period: declared, partly declared or not at all."""

    code: str
    number: str
    name: str
    max_points: float
    inputs: list[DeclaredInput]
    measured_inputs: list[Label]  # what the records give it (the dossiers received), for the reader

    @property
    def state(self) -> str:
        given = [i for i in self.inputs if i.row is not None]
        return "declared" if len(given) == len(self.inputs) else ("partial" if given else "missing")

    @property
    def latest(self) -> Service766Declaration | None:
        rows = [i.row for i in self.inputs if i.row is not None]
        return max(rows, key=lambda r: r.recorded_at) if rows else None


@dataclass(frozen=True)
class Service766UnitPage(Page):
    unit: UnitRef
    name: str
    kind: str
    year: int | None
    years: list[int]
    groups: list[Group]
    components: list[Component]
    months: list[Service766Score]
    total: Service766Score | None
    period: str = ""  # the period whose components are shown and declared (the year, or one of its months)
    periods: list[str] = field(default_factory=list)  # the year and its months, to choose from
    shown: Service766Score | None = None  # the stored result of `period`
    declared: list[DeclaredComponent] = field(default_factory=list)
    can_declare: bool = False
    values: dict[str, str] = field(default_factory=dict)  # a refused form, as posted
    errors: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""

    def label(self, period: str) -> str:
        return period_label(period)

    def component_state(self, code: str) -> str:
        """declared, partial or missing for a component Chiso cannot measure; "" for a measured one."""
        found = next((c for c in self.declared if c.code == code), None)
        return found.state if found else ""


@router.get("/service-766")
def ranking_page(
    request: Request,
    session: DB,
    who: WhoDep,
    period: Annotated[str, Query(max_length=16, pattern=r"^(\d{4}(-\d{2})?)?$")] = "",
    kind: Kind = "commune",
) -> Response:
    if not who.logged_in:
        return RedirectResponse("/login?next=/service-766", status_code=303)
    known = service.periods(session=session, actor=who.actor)
    chosen = period if period in known else (known[0] if known else "")
    rows = service.ranking(session=session, period=chosen, kind=kind, actor=who.actor) if chosen else []
    fw = framework()
    province = request.app.state.settings.province or (_province_of(rows[0].unit_code) if rows else "")
    page = Service766RankingPage(
        periods=known,
        period=chosen,
        kind=kind,
        kinds=KIND_LABELS,
        groups=groups_of(fw),
        rows=[Row(UnitRef(r.era, r.unit_code), service.unit_name(UnitRef(r.era, r.unit_code)), r) for r in rows],
        declared=[c for c in components_of(fw) if not c.measurable],
        province=province if province and allowed(who.actor, "service766.declare", province) else "",
    )
    return render(request, who, page)


def _province_of(code: str) -> str:
    try:
        unit = units.get(code, era=declarations.ERA)
    except units.UnitsError:
        return ""
    return unit.province_code or unit.code


@router.get("/service-766/template.xlsx")
def province_template(
    session: DB,
    who: WhoDep,
    province: Annotated[str, Query(pattern=r"^\d{2}$")],
    period: Annotated[list[str], Query(max_length=24)],
) -> Response:
    """The XLSX template of every unit of the province, as `chiso sources template766` writes it."""
    buffer = io.BytesIO()
    template.write(session=session, periods=period, actor=who.actor, out=buffer, province=province)
    return _download(buffer, f"tu-khai-766-{province}-{'_'.join(sorted(set(period)))}.xlsx")


@router.get("/service-766/{era}/{code}/template.xlsx")
def unit_template(
    session: DB,
    who: WhoDep,
    era: Annotated[Literal["2025"], Path()],
    code: Annotated[str, Path(max_length=32)],
    period: Annotated[list[str], Query(max_length=24)],
) -> Response:
    """The unit's XLSX template for these periods."""
    unit = service.known_unit(era, code)
    buffer = io.BytesIO()
    template.write(session=session, periods=period, actor=who.actor, out=buffer, unit=unit)
    return _download(buffer, f"tu-khai-766-{unit.code}-{'_'.join(sorted(set(period)))}.xlsx")


def _download(buffer: io.BytesIO, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(buffer.getvalue(), media_type=XLSX, headers=headers)


@router.get("/service-766/{era}/{code}")
def unit_page(
    request: Request,
    session: DB,
    who: WhoDep,
    era: Annotated[Literal["2024", "2025"], Path()],
    code: Annotated[str, Path(max_length=32)],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    period: Annotated[str, Query(max_length=16, pattern=r"^(\d{4}(-\d{2})?)?$")] = "",
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    if not who.logged_in:
        return RedirectResponse(f"/login?next=/service-766/{era}/{code}", status_code=303)
    unit = service.known_unit(era, code)
    page = build(session, who, unit, year, period, message=done)
    return render(request, who, page)


def build(
    session: Session,
    who: Who,
    unit: UnitRef,
    year: int | None,
    period: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    message: str = "",
) -> Service766UnitPage:
    """The unit's page: its months and year, the chosen period's components, what was declared for it."""
    years = service.years(session=session, unit=unit, actor=who.actor)
    if period and year is None:
        year = int(period[:4])
    chosen = year if year in years else (years[0] if years else None)
    rows = service.profile(session=session, unit=unit, year=chosen, actor=who.actor) if chosen else []
    months = [r for r in rows if r.grain == "month"]
    total = next((r for r in rows if r.grain == "year"), None)
    fw = framework()
    kind = rows[0].unit_kind if rows else ""
    today = clock.of(session).today()
    shown_year = chosen or (year if year else today.year)
    begun = [m for m in range(1, 13) if (shown_year, m) <= (today.year, today.month)]  # a later one cannot be declared
    periods = [str(shown_year), *(f"{shown_year}-{m:02d}" for m in begun)]
    picked = period if period in periods else str(shown_year)
    shown = next((r for r in rows if r.period == picked), None)
    found = declarations.current(session=session, unit=unit, periods=[picked], actor=who.actor)
    return Service766UnitPage(
        unit,
        service.unit_name(unit),
        kind,
        chosen,
        years,
        groups_of(fw),
        components_of(fw),
        months,
        total,
        picked,
        periods,
        shown,
        _declared(fw, picked, found, shown),
        allowed(who.actor, "service766.declare", unit),
        values or {},
        errors or {},
        message,
    )


def _declared(
    fw: Framework,
    period: str,
    found: dict[tuple[str, str], Service766Declaration],
    shown: Service766Score | None,
) -> list[DeclaredComponent]:
    specs = declarations.inputs()
    out = []
    for component in components_of(fw):
        if component.measurable:
            continue
        node = fw.node(component.code)
        assert isinstance(node, Indicator)
        given = []
        for variable in node.variables:
            if variable not in specs:
                continue
            row = found.get((period, variable))
            counted = None if shown is None else (row is not None and service.counted(shown, row))
            spec = specs[variable]
            given.append(DeclaredInput(variable, spec.label, spec.label_en, spec.unit, row, counted))
        measured = [declarations.MEASURED[v] for v in node.variables if v in declarations.MEASURED]
        out.append(
            DeclaredComponent(component.code, component.number, component.name, component.max_points, given, measured)
        )
    return out


@functools.cache
def declare_form() -> type[Form]:
    """The declaration form: the period and each declared input (empty: left as it is), with the
    version of each that the page showed (so a figure changed meanwhile is not overwritten blindly)."""
    fields: dict[str, Any] = {"period": (str, Field(min_length=4, max_length=16, title=N_("Kỳ")))}
    for name, spec in declarations.inputs().items():
        fields[name] = (FormNumber, Field(None, title=spec.label))
        fields[f"version_{name}"] = (Annotated[int | None, Optional], Field(None, ge=0))
    model: type[Form] = create_model("Declare766Form", __base__=Form, **fields)
    return model


@router.post("/service-766/{era}/{code}/declare")
async def declare(
    request: Request,
    session: DB,
    who: FormWho,
    era: Annotated[Literal["2024", "2025"], Path()],
    code: Annotated[str, Path(max_length=32)],
) -> Response:
    unit = service.known_unit(era, code)
    form = await request.form()
    posted = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    period = posted.get("period", "")
    lang = who.lang
    try:
        parsed = parse(declare_form(), form)
        items, expected = _items(unit, parsed)
        done = declarations.declare(session=session, items=items, actor=who.actor, expected=expected)
    except FormInvalid as exc:
        session.rollback()
        return _again(request, session, who, unit, period, posted, exc.by_field(gettext(lang)), 422)
    except DeclarationRefused as exc:
        session.rollback()
        errors: dict[str, list[str]] = {}
        for p in exc.problems:
            place = (
                p.variable if p.field == "value" and p.variable else ("period" if p.field == "period" else "general")
            )
            errors.setdefault(place, []).append(p.text(gettext(lang), lang))
        return _again(request, session, who, unit, period, posted, errors, 422)
    except ConflictError as exc:
        session.rollback()
        errors = {"general": [exc.message(gettext(lang), lang)]}
        fresh = {
            k: v for k, v in posted.items() if not k.startswith("version_")
        }  # keep what they typed, re-read versions
        return _again(request, session, who, unit, period, fresh, errors, 409)
    query = urlencode({"year": period[:4], "period": period, "done": "declared" if done.written else "unchanged"})
    return RedirectResponse(f"/service-766/{unit.era}/{unit.code}?{query}#s766-declared", status_code=303)


def _items(unit: UnitRef, parsed: Form) -> tuple[list[DeclarationIn], dict[tuple[str, str, str], int]]:
    """The figures typed in (a blank input changes nothing) and the versions the page showed for them."""
    data = parsed.model_dump()
    period = str(data["period"])
    items, expected = [], {}
    for name in declarations.inputs():
        if data[name] is None:
            continue
        items.append(DeclarationIn(unit_code=unit.code, period=period, variable=name, value=data[name], note="web"))
        expected[(unit.code, period, name)] = data[f"version_{name}"] or 0
    return items, expected


def _again(
    request: Request,
    session: Session,
    who: Who,
    unit: UnitRef,
    period: str,
    values: dict[str, str],
    errors: dict[str, list[str]],
    status: int,
) -> Response:
    good = period if declarations.period_start(period) else ""
    page = build(session, who, unit, int(good[:4]) if good else None, good, values=values, errors=errors)
    return render(request, who, page, status)
