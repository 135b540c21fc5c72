"""The appraisal workspace: a period's queue of units, one unit at a time, decisions without reloading.

A decision (accept, return with a comment, adjust the score; one item or several) is a form post. The
page's script sends it with `X-Requested-With: fetch` and gets back the changed parts of the page (the
items, the unit's summary, the message), each an element with its id, which it puts in place; without
the script the post redirects back to the unit's page at the item (POST/redirect/GET). A refused
decision comes back with the reason next to the item, in Vietnamese.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Annotated, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from chiso import numbers
from chiso.collection import review, workspace
from chiso.collection.workspace import Queue, QueueRow, Sheet
from chiso.errors import ChisoError, NotFound, PermissionDenied, TransitionRefused
from chiso.framework.describe import number as points_text
from chiso.reports import appraisal as xlsx
from chiso.web.deps import DB, FormWho, Who, WhoDep
from chiso.web.files import preview
from chiso.web.i18n import Formats, gettext, labeller
from chiso.web.limits import Id
from chiso.web.render import UI, Page, environment, render

router = APIRouter()
FETCH = "fetch"  # the X-Requested-With of the page's script


@dataclass(frozen=True)
class AppraisePage(Page):
    """The queue of one period's units, filtered."""

    periods: list[workspace.PeriodChoice]
    period: workspace.PeriodChoice | None
    rows: list[QueueRow]
    kinds: list[str]
    states: list[str]
    state: str
    kind: str
    q: str
    total: int
    message: str = ""


@dataclass(frozen=True)
class AppraiseUnitPage(Page):
    """One unit's items, grouped as the framework groups them, with the decisions."""

    sheet: Sheet
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # indicator → why its decision was refused
    general: str = ""  # a refusal that is not about one item (approving too early)
    next_unit: str = ""  # the next unit in the queue with items to decide


def _memo(request: Request) -> workspace.Memo:
    """The app's memo of warning counts, points and problems (collection.workspace.Memo)."""
    memo = getattr(request.app.state, "appraisal_memo", None)
    if memo is None:
        memo = request.app.state.appraisal_memo = workspace.Memo()
    return memo


def _fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _login(request: Request) -> Response:
    return RedirectResponse(f"/login?next={quote(request.url.path + '?' + request.url.query)}", status_code=303)


@router.get("/appraise")
def queue_page(
    request: Request,
    session: DB,
    who: WhoDep,
    period: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[str, Query(max_length=16)] = "",
    kind: Annotated[str, Query(max_length=40)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    if not who.logged_in:
        return _login(request)
    periods = workspace.periods(session=session, actor=who.actor)
    chosen = next((p for p in periods if p.code == period), None) if period else (periods[0] if periods else None)
    if period and chosen is None:
        names = ", ".join(p.name for p in periods) or "–"
        raise NotFound(f"không có kỳ đánh giá «{period}» đang thẩm định; các kỳ đang thẩm định: {names}")
    if chosen is None:
        page = AppraisePage(periods, None, [], [], [], state, kind, q, 0, done)
        return render(request, who, page)
    found: Queue = workspace.queue(session=session, period_code=chosen.code, actor=who.actor, counts=_memo(request))
    rows = found.rows
    if state:
        rows = [r for r in rows if r.state == state]
    if kind:
        rows = [r for r in rows if r.kind == kind]
    if q.strip():
        needle = _fold(q.strip())
        rows = [r for r in rows if needle in _fold(r.unit_name)]
    page = AppraisePage(periods, found.period, rows, found.kinds, found.states, state, kind, q, len(found.rows), done)
    return render(request, who, page)


def _unit_page(
    session: DB,
    who: Who,
    period: str,
    unit: str,
    message: str = "",
    errors: dict[str, str] | None = None,
    general: str = "",
    memo: workspace.Memo | None = None,
) -> AppraiseUnitPage:
    sheet = workspace.sheet(session=session, period_code=period, unit_code=unit, actor=who.actor, memo=memo)
    next_unit = workspace.next_waiting(session=session, period_code=period, unit_code=unit, actor=who.actor)
    return AppraiseUnitPage(sheet, message, errors or {}, general, next_unit)


@router.get("/appraise/unit")
def unit_page(
    request: Request,
    session: DB,
    who: WhoDep,
    period: Annotated[str, Query(min_length=1, max_length=64)],
    unit: Annotated[str, Query(min_length=1, max_length=32)],
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    if not who.logged_in:
        return _login(request)
    return render(request, who, _unit_page(session, who, period, unit, done, memo=_memo(request)))


# --- decisions --------------------------------------------------------------------------------------


class DecisionForm(BaseModel):
    """One item's decision: accept (with an adjusted score, or not) or return with a comment."""

    model_config = ConfigDict(extra="ignore")
    period: str = Field(min_length=1, max_length=64)
    unit: str = Field(min_length=1, max_length=32)
    indicator: str = Field(min_length=1, max_length=64)
    decision: Literal["accept", "return"]
    score: str = Field("", max_length=32)
    comment: str = Field("", max_length=4000)


class BulkForm(BaseModel):
    """Accept several items of one unit at once."""

    model_config = ConfigDict(extra="ignore")
    period: str = Field(min_length=1, max_length=64)
    unit: str = Field(min_length=1, max_length=32)
    pick: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=500)


class ApproveForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    period: str = Field(min_length=1, max_length=64)
    unit: str = Field(min_length=1, max_length=32)


class Refused(ChisoError):
    """A decision the appraiser can correct (no comment, a score out of range, an item already decided)."""


def _fetched(request: Request) -> bool:
    return request.headers.get("x-requested-with", "").lower() == FETCH


def _back(form: ApproveForm | DecisionForm | BulkForm, done: str, anchor: str = "") -> Response:
    query = urlencode({"period": form.period, "unit": form.unit, "done": done})
    return RedirectResponse(f"/appraise/unit?{query}{'#item-' + anchor if anchor else ''}", status_code=303)


def _fragments(
    request: Request,
    session: DB,
    who: Who,
    period: str,
    unit: str,
    indicators: list[str],
    message: str = "",
    errors: dict[str, str] | None = None,
    general: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The parts of the unit's page a decision changed: its items, the unit's summary, the message."""
    sheet = workspace.sheet(
        session=session, period_code=period, unit_code=unit, actor=who.actor, only=indicators, memo=_memo(request)
    )
    page = AppraiseUnitPage(sheet, message, errors or {}, general)
    lang = who.lang
    _ = gettext(lang)
    html = (
        environment()
        .get_template("_appraise_parts.html")
        .render(
            page=page,
            ui=UI(who, lang, request.url.path, request.url.query, []),
            fmt=Formats(lang),
            _=_,
            gettext=_,
            label=labeller(lang),
        )
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Language"] = lang
    return response


def _refusal_text(exc: ChisoError, lang: str) -> str:
    """Why a decision was refused, in the page's language (the services' messages speak to the CLI too)."""
    _ = gettext(lang)
    if isinstance(exc, review.ScoreOutOfRange):
        return str(_("Điểm thẩm định phải từ 0 đến %(top)s.")) % {"top": points_text(exc.top or 0)}
    if isinstance(exc, numbers.NumberRefused):
        return str(_("Điểm thẩm định không đọc được: %(problem)s")) % {"problem": str(exc)}
    if isinstance(exc, TransitionRefused):
        state = labeller(lang)(exc.state)
        return str(_("Mục này không còn chờ quyết định (trạng thái: %(state)s); tải lại trang để xem.")) % {
            "state": state
        }
    return str(exc)


@router.post("/appraise/decide")
def decide(request: Request, session: DB, who: FormWho, form: Annotated[DecisionForm, Form()]) -> Response:
    _ = gettext(who.lang)
    try:
        score = numbers.parse(form.score)
        comment = form.comment.strip()
        if form.decision == "return" and not comment:
            raise Refused(_("Trả lại cần ý kiến: ghi rõ đơn vị cần bổ sung gì, rồi bấm «Trả lại» lần nữa."))
        if score is not None and score < 0:
            raise Refused(_("Điểm thẩm định không được âm."))
        call = (
            functools.partial(
                review.return_item,
                indicator=form.indicator,
                comment=comment,
                appraised_score=score,
            )
            if form.decision == "return"
            else functools.partial(review.accept, indicators=[form.indicator], appraised_score=score, comment=comment)
        )
        call(session=session, period_code=form.period, unit_code=form.unit, actor=who.actor)
    except PermissionDenied:
        raise
    except NotFound:
        raise
    except ChisoError as exc:
        session.rollback()
        why = _refusal_text(exc, who.lang)
        errors = {form.indicator: why}
        if _fetched(request):
            return _fragments(
                request, session, who, form.period, form.unit, [form.indicator], errors=errors, status=422
            )
        page = _unit_page(session, who, form.period, form.unit, errors=errors, memo=_memo(request))
        return render(request, who, page, 422)
    done = form.decision
    if _fetched(request):
        return _fragments(request, session, who, form.period, form.unit, [form.indicator], message=done)
    return _back(form, done, form.indicator)


@router.post("/appraise/bulk")
def bulk_accept(request: Request, session: DB, who: FormWho, form: Annotated[BulkForm, Form()]) -> Response:
    _ = gettext(who.lang)
    picks = list(dict.fromkeys(form.pick))
    try:
        if not picks:
            raise Refused(_("Chưa chọn mục nào: đánh dấu các mục cần chấp nhận rồi bấm lại."))
        review.accept(session=session, period_code=form.period, unit_code=form.unit, actor=who.actor, indicators=picks)
    except (PermissionDenied, NotFound):
        raise
    except ChisoError as exc:
        session.rollback()
        general = _refusal_text(exc, who.lang)
        if _fetched(request):
            return _fragments(request, session, who, form.period, form.unit, picks, general=general, status=422)
        return render(
            request, who, _unit_page(session, who, form.period, form.unit, general=general, memo=_memo(request)), 422
        )
    if _fetched(request):
        return _fragments(request, session, who, form.period, form.unit, picks, message="accept")
    return _back(form, "accept", picks[0])


@router.post("/appraise/approve")
def approve(request: Request, session: DB, who: FormWho, form: Annotated[ApproveForm, Form()]) -> Response:
    _ = gettext(who.lang)
    try:
        review.approve(session=session, period_code=form.period, unit_code=form.unit, actor=who.actor)
    except (PermissionDenied, NotFound):
        raise
    except ChisoError:
        session.rollback()
        general = _("Chưa phê duyệt được: mọi mục phải được chấp nhận trước khi phê duyệt đơn vị.")
        if _fetched(request):
            return _fragments(request, session, who, form.period, form.unit, [], general=general, status=422)
        return render(
            request, who, _unit_page(session, who, form.period, form.unit, general=general, memo=_memo(request)), 422
        )
    if _fetched(request):
        return _fragments(request, session, who, form.period, form.unit, [], message="approve")
    return _back(form, "approve")


# --- the sheet as XLSX, evidence in the page --------------------------------------------------------


@router.get("/appraise/export.xlsx")
def export(
    request: Request,
    session: DB,
    who: WhoDep,
    period: Annotated[str, Query(min_length=1, max_length=64)],
    unit: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """The appraisal sheet of one unit, or of every unit of the period, as XLSX."""
    if not who.logged_in:
        return _login(request)
    found = workspace.queue(session=session, period_code=period, actor=who.actor, counts=_memo(request))
    codes = [unit] if unit else [r.unit_code for r in found.rows]
    sheets = [workspace.sheet(session=session, period_code=period, unit_code=c, actor=who.actor) for c in codes]
    _ = gettext(who.lang)
    name = found.period.name_en if who.lang == "en" else found.period.name
    heading = _("Phiếu thẩm định")
    title = f"{heading} · {name}"
    if unit:
        title += f" · {sheets[0].unit_name}"
    content = xlsx.write(sheets, title=title, state_label=labeller(who.lang), lang=who.lang)
    file_name = f"tham-dinh-{found.period.code.replace('/', '-')}{'-' + unit if unit else ''}.xlsx"
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


@router.get("/appraise/evidence/{evidence_id}")
def evidence_preview(request: Request, session: DB, who: WhoDep, evidence_id: Id) -> Response:
    """An evidence file (PDF or image) shown inside the appraisal page, for who may read the unit's items."""
    evidence = workspace.evidence_for_preview(session=session, evidence_id=evidence_id, actor=who.actor)
    assert evidence.file_sha256 is not None
    return preview(request, evidence.file_sha256, evidence.media_type or "", evidence.file_name)
