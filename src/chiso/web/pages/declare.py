"""Declaration (unit officer): one form per indicator with evidence upload; save a draft; submit."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from chiso.collection import review
from chiso.collection import service as collection
from chiso.collection.evidence import EvidenceRefused
from chiso.collection.models import Evidence
from chiso.collection.schemas import DeclarationIn, EvidenceIn, ItemView
from chiso.collection.service import ValidationFailed
from chiso.errors import ChisoError, ConflictError, PermissionDenied
from chiso.framework import Framework, Indicator
from chiso.framework.describe import rule_in_words
from chiso.permissions import check
from chiso.web.deps import DB, FormWho, Who, WhoDep
from chiso.web.i18n import Formats
from chiso.web.pages import pending
from chiso.web.pages.forms import FieldError, date, number, saved_upload, temporary_folder
from chiso.web.render import Page, render

router = APIRouter()


@dataclass(frozen=True)
class Posted:
    """What the officer typed in an item's form, shown again as typed when the save is refused."""

    figures: dict[str, str]
    self_score: str
    explanation: str
    kept: frozenset[int]  # evidence rows ticked to keep
    doc_number: str
    doc_date: str
    summary: str
    file_name: str  # the file sent with the refused save (a browser cannot be handed it back)
    pending: str = ""  # a signed reference to that file, kept in the evidence store (web.pages.pending)

    @classmethod
    def of(cls, form: FormData, variables: list[str]) -> Posted:
        def text(name: str) -> str:
            return str(form.get(name) or "")

        upload = form.get("file")
        return cls(
            {v: text(f"v:{v}") for v in variables},
            text("self_score"),
            text("explanation"),
            frozenset(int(k[5:]) for k in form if k.startswith("keep:") and k[5:].isdigit()),
            text("doc_number"),
            text("doc_date"),
            text("summary"),
            upload.filename or "" if isinstance(upload, UploadFile) else "",
        )


@dataclass(frozen=True)
class Item:
    view: ItemView
    indicator: Indicator
    rule_vi: str
    rule_en: str
    evidence: list[Evidence]
    pillar: str
    errors: list[str] = field(default_factory=list)
    posted: Posted | None = None  # the refused input, shown instead of the stored item

    @property
    def editable(self) -> bool:
        return self.view.state in ("draft", "returned")


@dataclass(frozen=True)
class DeclarePage(Page):
    periods: list[str]
    period: str | None
    unit_code: str | None
    unit_name: str
    state: str
    items: list[Item]
    message: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _pillars(fw: Framework) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in fw.aggregates:
        if node.kind == "aggregate" and node.code != fw.index:
            for child in node.children:
                out.setdefault(child.code, node.name)
    return out


def build(
    session: DB,
    who: Who,
    period_code: str | None,
    unit_code: str | None,
    errors: dict[str, list[str]] | None = None,
    message: str = "",
    general: list[str] | None = None,
    warnings: list[str] | None = None,
) -> DeclarePage:
    from chiso.dashboard.service import list_periods, unit_name

    unit_code = unit_code or who.actor.unit_code
    periods = [p.code for p in list_periods(session=session, actor=who.actor) if p.state != "published"]
    if period_code is None or unit_code is None:
        return DeclarePage(periods, None, unit_code, "", "", [], message)
    views = review.list_items(session=session, period_code=period_code, actor=who.actor, unit_code=unit_code)
    period = collection.get_period(session=session, code=period_code)
    fw = collection.framework_of(period)
    submission = collection.get_submission(session=session, period=period, unit_code=unit_code)
    rows = {d.indicator_code: d for d in collection.items(session=session, submission=submission)}
    pillars = _pillars(fw)
    items = []
    for view in views:
        node = fw.node(view.indicator)
        assert isinstance(node, Indicator)
        vi, en = rule_in_words(node, fw.pipeline.normalise)
        items.append(
            Item(
                view,
                node,
                vi,
                en,
                list(rows[view.indicator].evidence),
                pillars.get(view.indicator, ""),
                (errors or {}).get(view.indicator, []),
            )
        )
    return DeclarePage(
        periods,
        period_code,
        unit_code,
        unit_name(unit_code, period.era),
        submission.state,
        items,
        message,
        general or [],
        warnings or [],
    )


@router.get("/declare")
def declare_page(
    request: Request, session: DB, who: WhoDep, period: str | None = None, unit: str | None = None, done: str = ""
) -> Response:
    if not who.logged_in:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if period is None:
        page = build(session, who, None, unit)
        if len(page.periods) == 1:
            period = page.periods[0]
        else:
            return render(request, who, page)
    return render(request, who, build(session, who, period, unit, message=done))


def _redirect(period: str, unit: str, done: str, anchor: str = "") -> Response:
    from urllib.parse import urlencode

    query = urlencode({"period": period, "unit": unit, "done": done})
    return RedirectResponse(f"/declare?{query}{'#' + anchor if anchor else ''}", status_code=303)


@router.post("/declare/save")
async def save(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    period, unit, indicator = (str(form.get(k, "")) for k in ("period", "unit", "indicator"))
    if not (period and unit and indicator):
        raise HTTPException(400, "period, unit and indicator are required")
    item = _target(session, who, period, unit, indicator)
    with temporary_folder() as tmp:
        response = await _save(request, session, who, form, item, period, unit, indicator, Path(tmp))
    await form.close()
    return response or _redirect(period, unit, "saved", indicator)


@dataclass(frozen=True)
class Target:
    """The item a save writes: its indicator, and the evidence stored for it that the form may keep."""

    indicator: Indicator
    evidence: list[Evidence]


def _target(session: DB, who: Who, period_code: str, unit: str, indicator: str) -> Target:
    # Only what the save needs, not the whole page: a save holds the write lock from its start
    # (deps.db), and every millisecond it holds it is one that other officers' saves wait.
    check(who.actor, "declaration.edit", unit)
    period = collection.get_period(session=session, code=period_code)
    row = collection.get_item(session=session, period=period, unit_code=unit, indicator=indicator)
    node = collection.framework_of(period).node(indicator)
    assert isinstance(node, Indicator)
    return Target(node, list(row.evidence))


async def _save(
    request: Request,
    session: DB,
    who: Who,
    form: FormData,
    item: Target,
    period: str,
    unit: str,
    indicator: str,
    tmp: Path,
) -> Response | None:
    """Store one item from its form; a page with the error next to the item when something is wrong."""
    settings = request.app.state.settings
    try:
        figures = {v: number(form, f"v:{v}") for v in item.indicator.variables}
        self_score = number(form, "self_score")
        kept = [
            EvidenceIn(doc_number=e.doc_number, doc_date=e.doc_date, summary=e.summary)
            for e in item.evidence
            if form.get(f"keep:{e.id}")
        ]
        doc_number = str(form.get("doc_number") or "").strip()
        upload = form.get("file")
        new: list[EvidenceIn] = []
        if doc_number:
            path: Path | None = None
            if isinstance(upload, UploadFile) and upload.filename:
                path = await saved_upload(upload, tmp, settings.upload_max_bytes)
            elif form.get(pending.FIELD):  # the file kept from a refused save
                path = pending.restore(request, who.actor.user, str(form.get(pending.FIELD)), tmp)
            new.append(
                EvidenceIn(
                    doc_number=doc_number,
                    doc_date=date(form, "doc_date"),
                    summary=str(form.get("summary") or ""),
                    file=path,
                )
            )
        elif isinstance(upload, UploadFile) and upload.filename:
            raise FieldError("doc_number", "nhập số hiệu văn bản cho tệp / give the document number of the file")
        version = int(str(form.get("version") or "0")) or None
        item_in = DeclarationIn(
            indicator=indicator,
            values=figures,
            self_score=self_score,
            explanation=str(form.get("explanation") or ""),
            evidence=(*kept, *new),
        )
        # In a worker thread: on PostgreSQL a save waits for the row locks of a concurrent save of the same
        # item, whose commit needs this event loop; waiting here instead would stop every request.
        await run_in_threadpool(
            functools.partial(
                collection.declare,
                session=session,
                period_code=period,
                unit_code=unit,
                item_in=item_in,
                actor=who.actor,
                files=request.app.state.files,
                expected_version=version,
            )
        )
    except PermissionDenied:
        raise  # a refusal, not a mistake in the form: the error handler answers and audits it
    except ConflictError:
        session.rollback()
        return await _refused(request, session, who, form, period, unit, indicator, tmp, 409, conflict=True)
    except (FieldError, EvidenceRefused, ChisoError, ValueError) as exc:
        session.rollback()
        return await _refused(request, session, who, form, period, unit, indicator, tmp, 422, problem=str(exc))
    return None


async def _refused(
    request: Request,
    session: DB,
    who: Who,
    form: FormData,
    period: str,
    unit: str,
    indicator: str,
    tmp: Path,
    status: int,
    problem: str = "",
    conflict: bool = False,
) -> Response:
    """The page again, the item's form holding what was typed (its file kept: web.pages.pending), and
    why it was not saved. On a conflict the form carries the item's current version, so that saving
    again is a deliberate overwrite."""
    user = who.actor.user
    upload, reference = form.get("file"), str(form.get(pending.FIELD) or "")
    file_name = kept = ""
    if isinstance(upload, UploadFile) and upload.filename:
        file_name = Path(upload.filename).name
        kept_name, kept = await pending.keep(request, user, upload, tmp)
        file_name = kept_name or file_name
    elif reference and (data := pending.read(request, user, reference)) is not None:
        file_name, kept = str(data["name"]), reference
    page = build(session, who, period, unit)
    items = []
    for it in page.items:
        if it.view.indicator == indicator:
            posted = dataclasses.replace(
                Posted.of(form, list(it.indicator.variables)), file_name=file_name, pending=kept
            )
            notes = [_conflict(session, who, period, unit, it)] if conflict else [problem]
            if file_name and kept:
                notes.append(
                    f"Tệp «{file_name}» đã được giữ lại: lưu lại là đủ, không cần đính kèm lại — "
                    f"the file «{file_name}» is kept: saving again attaches it"
                )
            elif file_name:
                notes.append(
                    f"Tệp «{file_name}» chưa được lưu — hãy đính kèm lại rồi lưu / "
                    f"the file «{file_name}» was not saved: attach it again and save"
                )
            it = dataclasses.replace(it, errors=notes, posted=posted)
        items.append(it)
    return render(request, who, dataclasses.replace(page, items=items), status)


def _conflict(session: DB, who: Who, period: str, unit: str, item: Item) -> str:
    stored = collection.get_item(
        session=session,
        period=collection.get_period(session=session, code=period),
        unit_code=unit,
        indicator=item.view.indicator,
    )
    fmt = Formats(who.lang)
    shown = "; ".join(
        f"{var} = {'–' if value is None else fmt.num(value, 4).rstrip('0').rstrip(',.')}"
        for var, value in item.view.values.items()
    )
    by = stored.updated_by
    return (
        f"Người khác vừa lưu giá trị {shown} ({by}); biểu mẫu dưới đây vẫn giữ những gì bạn nhập, "
        f"kiểm tra rồi lưu lại nếu vẫn đúng — someone else saved {shown} ({by}) meanwhile; "
        "your input is kept below: check it and save again to keep it"
    )


@router.post("/declare/submit")
async def submit(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    period, unit = str(form.get("period", "")), str(form.get("unit", ""))
    try:
        warnings = collection.submit(session=session, period_code=period, unit_code=unit, actor=who.actor)
    except ValidationFailed as exc:
        session.rollback()
        errors: dict[str, list[str]] = {}
        general = []
        for p in exc.problems:
            if p.severity != "error":
                continue
            if p.indicator:
                errors.setdefault(p.indicator, []).append(p.message)
            else:
                general.append(p.message)
        page = build(session, who, period, unit, errors=errors, general=general or ["validation"])
        return render(request, who, page, 422)
    if warnings:
        page = build(session, who, period, unit, message="submit", warnings=[str(w) for w in warnings])
        return render(request, who, page)
    return _redirect(period, unit, "submit")
