"""The province's DTI declaration: the years (`/ministry`: import the Ministry's component list, open the
declaration) and each year's estimate beside the published main indicators, with the gap (programme
office, appraisers, leaders)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import Field, ValidationError

from chiso import units
from chiso.collection.schemas import Problem
from chiso.errors import ChisoError, PermissionDenied
from chiso.ministry import components, schemas
from chiso.ministry import service as ministry
from chiso.permissions import allowed, check
from chiso.web.deps import DB, FormWho, Who, WhoDep
from chiso.web.i18n import N_, gettext
from chiso.web.pages import forms
from chiso.web.pages.declare_render import in_language
from chiso.web.render import Page, render

router = APIRouter()


@dataclass(frozen=True)
class Lead:
    """A lead department: its components and how many are approved."""

    code: str
    name: str
    components: int
    approved: int


@dataclass(frozen=True)
class MinistryPage(Page):
    year: int
    province_name: str
    note: str
    period: str
    method: str
    mains: list[schemas.Line]
    pillars: list[schemas.Line]
    dti: schemas.Line
    published: bool
    rank: int | None
    components: int
    by_state: dict[str, int]
    unscored: list[schemas.Component]
    leads: list[Lead]


@dataclass(frozen=True)
class MinistryYearsPage(Page):
    years: list[schemas.YearState]
    province: str | None  # the installation's province (CHISO_PROVINCE), for a new list
    province_name: str
    can_import: bool
    this_year: int
    errors: dict[str, list[str]] = field(default_factory=dict)  # form field → problems
    problems: list[str] = field(default_factory=list)  # the refused file's problems, one a line
    values: dict[str, str] = field(default_factory=dict)  # what was posted, shown again
    done: str = ""


class ImportListForm(forms.Form):
    year: int = Field(ge=2020, le=2100, title=N_("Năm đánh giá"))


class OpenForm(forms.Form):
    year: int = Field(ge=2020, le=2100, title=N_("Năm đánh giá"))
    opens_on: forms.FormDate = Field(title=N_("Ngày mở"))
    closes_on: forms.FormDate = Field(title=N_("Hạn kê khai"))


@router.get("/ministry")
def years_page(request: Request, session: DB, who: WhoDep, done: str = "") -> Response:
    if not who.logged_in:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return render(request, who, _years(request, session, who, done=done if done in ("imported", "opened") else ""))


def _years(request: Request, session: DB, who: Who, **shown: object) -> MinistryYearsPage:
    found = ministry.years(session=session, actor=who.actor)
    province = request.app.state.settings.province
    names = {u.code: u.name for y in found for u in units.find(y.province, era=ministry.ERA)}
    if province:
        names.update({u.code: u.name for u in units.find(province, era=ministry.ERA)})
    return MinistryYearsPage(
        years=found,
        province=province,
        province_name=names.get(province or (found[0].province if found else ""), province or ""),
        can_import=allowed(who.actor, "ministry.import"),
        this_year=request.app.state.clock.today().year,
        **shown,  # type: ignore[arg-type]
    )


@router.post("/ministry/import")
def import_list(
    request: Request,
    session: DB,
    who: FormWho,
    year: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The same import as `chiso ministry components import`: every row checked, all of it or nothing."""
    check(who.actor, "ministry.import")
    _ = gettext(who.lang)
    values = {"year": year}
    try:
        posted = ImportListForm.model_validate({"year": year})
    except ValidationError as exc:
        errors = forms.invalid(exc, ImportListForm).by_field(_)
        return render(request, who, _years(request, session, who, errors=errors, values=values), 422)
    province = request.app.state.settings.province
    name = Path(file.filename or "").name if file is not None else ""
    suffix = Path(name).suffix.lower()
    problems: list[str] = []
    if not province:
        problems.append(_("Chưa đặt tỉnh của hệ thống (CHISO_PROVINCE): quản trị viên đặt mã tỉnh rồi nhập lại."))
    elif file is None or suffix not in (".xlsx", ".csv"):
        problems.append(_("Hãy chọn tệp danh mục chỉ số thành phần (.xlsx hoặc .csv) theo mẫu của Bộ."))
    else:
        with forms.temporary_folder() as tmp:
            path = Path(tmp) / name
            path.write_bytes(file.file.read())
            try:
                ministry.import_file(session=session, path=path, year=posted.year, province=province, actor=who.actor)
            except ministry.ComponentListRefused as exc:
                session.rollback()
                problems = [_problem(p, name, who.lang) for p in exc.problems]
            except PermissionDenied:
                raise
            except ChisoError as exc:  # not a table, unreadable, too large
                session.rollback()
                problems = [in_language(exc.message(_, who.lang).replace(str(path), name), who.lang)]
    if problems:
        page = _years(request, session, who, problems=problems, values=values, errors={"file": [name]} if name else {})
        return render(request, who, page, 422)
    return RedirectResponse("/ministry?done=imported", status_code=303)


def _problem(problem: Problem, file_name: str, lang: str) -> str:
    """Where in the file (sheet, row, column) and what, in the reader's language; the message names the
    main indicator itself, so its code is not repeated."""
    row = (f"row {problem.row}" if lang == "en" else f"dòng {problem.row}") if problem.row else ""
    where = ", ".join(p for p in (problem.sheet or file_name, row, problem.column) if p)
    return f"{where}: {in_language(problem.message, lang)}"


@router.post("/ministry/open")
def open_declaration(
    request: Request,
    session: DB,
    who: FormWho,
    year: Annotated[str, Form()] = "",
    opens_on: Annotated[str, Form()] = "",
    closes_on: Annotated[str, Form()] = "",
) -> Response:
    """Open the year's declaration (`chiso ministry open`): each lead department declares its components."""
    check(who.actor, "ministry.import")
    _ = gettext(who.lang)
    values = {"year": year, "opens_on": opens_on, "closes_on": closes_on}
    try:
        posted = OpenForm.model_validate(values)
        if posted.opens_on is None or posted.closes_on is None:
            missing = [n for n in ("opens_on", "closes_on") if getattr(posted, n) is None]
            raise forms.FormInvalid([(n, forms.PROBLEMS["missing"], {}) for n in missing], {})
        opened = ministry.open_declaration(
            session=session, year=posted.year, opens_on=posted.opens_on, closes_on=posted.closes_on, actor=who.actor
        )
    except ValidationError as exc:
        errors = forms.invalid(exc, OpenForm).by_field(_)
        return render(request, who, _years(request, session, who, errors=errors, values=values), 422)
    except forms.FormInvalid as exc:
        return render(request, who, _years(request, session, who, errors=exc.by_field(_), values=values), 422)
    except PermissionDenied:
        raise
    except ChisoError as exc:  # no list for that year, already open, dates the wrong way round
        session.rollback()
        place = exc.field if exc.field in values else "general"
        errors = {place: [in_language(exc.message(_, who.lang), who.lang)]}
        return render(request, who, _years(request, session, who, errors=errors, values=values), 422)
    return RedirectResponse(f"/ministry?done=opened#year-{opened.year}", status_code=303)


@router.get("/ministry/{year}")
def ministry_page(request: Request, session: DB, who: WhoDep, year: int) -> Response:
    if not who.logged_in:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    found = ministry.comparison(session=session, year=year, actor=who.actor)
    est = found.estimate
    leads: dict[str, list[schemas.Component]] = {}
    for c in est.components:
        leads.setdefault(c.lead, []).append(c)
    page = MinistryPage(
        year=year,
        province_name=next((u.name for u in units.find(est.province, era=ministry.ERA)), est.province),
        note=est.note,
        period=est.period,
        method=components.method(year).decision,
        mains=found.mains,
        pillars=found.pillars,
        dti=found.dti,
        published=found.published,
        rank=found.rank,
        components=len(est.components),
        by_state=est.by_state,
        unscored=est.unscored,
        leads=[
            Lead(code, items[0].lead_name, len(items), sum(1 for c in items if c.state in ("approved", "published")))
            for code, items in sorted(leads.items(), key=lambda kv: kv[1][0].lead_name)
        ],
    )
    return render(request, who, page)
