"""Declaration (unit officer): every item with typed inputs, saved one at a time without reloading the
page (a plain form post without JavaScript), the rules' warnings beside the fields, a summary bar,
submission after confirmation, and the Excel template and import of `chiso collect`."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from chiso.collection import exchange, progress
from chiso.collection import service as collection
from chiso.collection.evidence import EvidenceRefused
from chiso.collection.schemas import DeclarationIn, EvidenceIn
from chiso.collection.service import ValidationFailed
from chiso.errors import ChisoError, ConflictError, PermissionDenied, TransitionRefused
from chiso.framework import Framework
from chiso.permissions import check
from chiso.web.deps import DB, FormWho, Who, WhoDep
from chiso.web.i18n import gettext, labeller
from chiso.web.pages import forms, pending
from chiso.web.pages.declare_items import (
    EXCEL_EPOCH,
    DeclarePage,
    ImportProblem,
    Item,
    Posted,
    build,
)
from chiso.web.pages.declare_render import fragment, in_language, problem_json
from chiso.web.pages.forms import FieldError, date, number, saved_upload, temporary_folder
from chiso.web.render import render

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def posted_of(form: FormData, variables: list[str]) -> Posted:
    def text(name: str) -> str:
        return str(form.get(name) or "")

    upload = form.get("file")
    return Posted(
        {v: text(f"v:{v}") for v in variables},
        text("self_score"),
        text("explanation"),
        frozenset(int(k[5:]) for k in form if k.startswith("keep:") and k[5:].isdigit()),
        text("doc_number"),
        text("doc_date"),
        text("summary"),
        upload.filename or "" if isinstance(upload, StarletteUpload) else "",
    )


def figure(form: FormData, framework: Framework, variable: str) -> float | None:
    """A figure as typed in its field: a share in per cent (stored 0–1), a date (stored as Excel's day)."""
    name = f"v:{variable}"
    try:
        kind = framework.variable(variable).kind
    except KeyError:
        kind = None
    if kind == "date":
        day = date(form, name)
        return None if day is None else float((day - EXCEL_EPOCH).days)
    value = number(form, name)
    if value is not None and kind == "share":
        value = round(value / 100, 12)
    return value


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.get("/declare")
def declare_page(
    request: Request,
    session: DB,
    who: WhoDep,
    period: str | None = None,
    unit: str | None = None,
    done: str = "",
    confirm: str = "",
) -> Response:
    if not who.logged_in:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if period is None:
        page = build(session, who, None, unit)
        if len(page.periods) != 1:
            return render(request, who, page)
        period = page.periods[0][0]
    page = build(session, who, period, unit, message=done)
    return render(request, who, dataclasses.replace(page, confirm=confirm == "1"))


def _redirect(period: str, unit: str, done: str, anchor: str = "", **extra: str) -> Response:
    query = urlencode({"period": period, "unit": unit, "done": done, **extra})
    return RedirectResponse(f"/declare?{query}{'#' + anchor if anchor else ''}", status_code=303)


@router.get("/declare/item")
def declare_item(request: Request, session: DB, who: WhoDep, period: str, unit: str, indicator: str) -> Response:
    """One item and the summary bar, rendered as the page renders them (after a save without reload)."""
    page = build(session, who, period, unit)
    found = [it for it in page.items if it.view.indicator == indicator]
    if not found:
        raise HTTPException(404, f"không có chỉ số {indicator[:40]!r} / no such indicator")
    return JSONResponse(
        {
            "item": fragment(request, who, "_declare_item.html", page, it=found[0]),
            "summary": fragment(request, who, "_declare_summary.html", page),
            "confirm": fragment(request, who, "_declare_confirm.html", page),
            "state": page.state,
        }
    )


@router.get("/declare/check")
def declare_check(request: Request, session: DB, who: WhoDep, period: str, unit: str, indicator: str) -> Response:
    """What the figures typed so far (not saved) give: points by the engine, the rules' findings."""
    stored = collection.get_period(session=session, code=period)
    framework = collection.framework_of(stored)
    node = next((i for i in framework.indicators if i.code == indicator), None)
    if node is None:
        raise HTTPException(404, f"không có chỉ số {indicator[:40]!r} / no such indicator")
    pairs: list[tuple[str, str | StarletteUpload]] = list(request.query_params.multi_items())
    query = FormData(pairs)  # read as a form is, by the same functions
    figures: dict[str, float | None] = {}
    refused = []
    for var in node.variables:
        try:
            figures[var] = figure(query, framework, var)
        except FieldError as exc:
            refused.append({"column": var, "severity": "error", "message": in_language(str(exc), who.lang)})
    try:
        self_score = number(query, "self_score")
    except FieldError as exc:
        self_score = None
        refused.append({"column": "self_score", "severity": "error", "message": in_language(str(exc), who.lang)})
    typed = DeclarationIn(indicator=indicator, values=figures, self_score=self_score)
    found = progress.unit_progress(
        session=session, period_code=period, unit_code=unit, actor=who.actor, pending=[typed]
    ).items[indicator]
    points = found.points
    return JSONResponse(
        {
            "points": points,
            "points_text": "–" if points is None else _points(points, who.lang),
            "problems": refused + [problem_json(p, who.lang) for p in found.problems],
        }
    )


def _points(value: float, lang: str) -> str:
    from chiso import numbers

    return numbers.format(value, lang=lang, digits=2)  # as the page shows it (fmt.num)


class SaveFields(forms.Form):
    """The fixed fields of an item's form; its figures (`v:<variable>`), evidence and file are read by
    the framework's description of the item (`figure`, `_item_in`)."""

    period: str = Field(min_length=1, max_length=64)
    unit: str = Field(min_length=1, max_length=32)
    indicator: str = Field(min_length=1, max_length=64)
    version: int = Field(0, ge=0, description="The item's version the form was read at (0: not known).")


@router.post("/declare/save")
async def save(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    fields = forms.parse(SaveFields, form)  # FormInvalid (422, next to the field) when one is missing
    period, unit, indicator = fields.period, fields.unit, fields.indicator
    with temporary_folder() as tmp:
        response = await _save(request, session, who, form, fields, Path(tmp))
    await form.close()
    if response is not None:
        return response
    if _wants_json(request):
        return JSONResponse({"ok": True})
    return _redirect(period, unit, "saved", indicator)


def _item_in(
    form: FormData, framework: Framework, indicator: str, kept_rows: list[Any], upload_path: Path | None
) -> DeclarationIn:
    node = framework.node(indicator)
    figures = {v: figure(form, framework, v) for v in getattr(node, "variables", ())}
    kept = [
        EvidenceIn(doc_number=e.doc_number, doc_date=e.doc_date, summary=e.summary)
        for e in kept_rows
        if form.get(f"keep:{e.id}")
    ]
    doc_number = str(form.get("doc_number") or "").strip()
    new: list[EvidenceIn] = []
    if doc_number:
        new.append(
            EvidenceIn(
                doc_number=doc_number,
                doc_date=date(form, "doc_date"),
                summary=str(form.get("summary") or ""),
                file=upload_path,
            )
        )
    elif upload_path is not None:
        raise FieldError("doc_number", "nhập số hiệu văn bản cho tệp / give the document number of the file")
    return DeclarationIn(
        indicator=indicator,
        values=figures,
        self_score=number(form, "self_score"),
        explanation=str(form.get("explanation") or ""),
        evidence=(*kept, *new),
    )


async def _save(
    request: Request, session: DB, who: Who, form: FormData, fields: SaveFields, tmp: Path
) -> Response | None:
    """Store one item from its form; the item's errors (JSON, or the page) when something is wrong."""
    settings = request.app.state.settings
    period, unit, indicator = fields.period, fields.unit, fields.indicator
    try:
        # Only what the save needs, not the whole page: a save holds the write lock from its start
        # (deps.db), and every millisecond it holds it is one that other officers' saves wait.
        check(who.actor, "declaration.edit", unit)
        stored = collection.get_period(session=session, code=period)
        framework = collection.framework_of(stored)
        row = collection.get_item(session=session, period=stored, unit_code=unit, indicator=indicator)
        upload = form.get("file")
        path: Path | None = None
        if isinstance(upload, StarletteUpload) and upload.filename:
            path = await saved_upload(upload, tmp, settings.upload_max_bytes)
        elif form.get(pending.FIELD) and str(form.get("doc_number") or "").strip():  # kept from a refused save
            path = pending.restore(request, who.actor.user, str(form.get(pending.FIELD)), tmp)
        item_in = _item_in(form, framework, indicator, list(row.evidence), path)
        version = fields.version
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
                expected_version=version or None,
            )
        )
    except PermissionDenied:
        raise  # a refusal, not a mistake in the form: the error handler answers and audits it
    except ConflictError:
        session.rollback()
        return await _refused(request, session, who, form, period, unit, indicator, tmp, 409, conflict=True)
    except FieldError as exc:
        session.rollback()
        field = exc.field.removeprefix("v:")
        return await _refused(request, session, who, form, period, unit, indicator, tmp, 422, str(exc), field)
    except (EvidenceRefused, ChisoError) as exc:
        session.rollback()
        problem = exc.message(gettext(who.lang), who.lang)
        return await _refused(request, session, who, form, period, unit, indicator, tmp, 422, problem)
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
    field: str = "",
    conflict: bool = False,
) -> Response:
    """Why the item was not saved. With JavaScript the form is still on the page as typed: a JSON answer
    says which field is wrong. Without, the page again, the item's form holding what was typed (its file
    kept: web.pages.pending). On a conflict the item's current version comes back, so that saving again
    is a deliberate overwrite."""
    page, item, by, version = await run_in_threadpool(_again, session, who, period, unit, indicator)
    notes = [_conflict(item, by)] if conflict else [problem]
    if _wants_json(request):  # the form, its file included, is still on the page as typed
        errors = [in_language(n, who.lang) for n in notes]
        return JSONResponse({"ok": False, "field": field, "errors": errors, "version": version}, status_code=status)
    user = who.actor.user
    upload, reference = form.get("file"), str(form.get(pending.FIELD) or "")
    file_name = kept = ""
    if isinstance(upload, StarletteUpload) and upload.filename:
        file_name = Path(upload.filename).name
        kept_name, kept = await pending.keep(request, user, upload, tmp)
        file_name = kept_name or file_name
    elif reference and (data := pending.read(request, user, reference)) is not None:
        file_name, kept = str(data["name"]), reference
    if file_name and kept:
        notes.append(
            f"Tệp «{file_name}» đã được giữ lại: lưu lại là đủ, không cần đính kèm lại / "
            f"the file «{file_name}» is kept: saving again attaches it"
        )
    elif file_name:
        notes.append(
            f"Tệp «{file_name}» chưa được lưu — hãy đính kèm lại rồi lưu / "
            f"the file «{file_name}» was not saved: attach it again and save"
        )
    posted = dataclasses.replace(posted_of(form, list(item.indicator.variables)), file_name=file_name, pending=kept)
    notes = [in_language(n, who.lang) for n in notes]
    items = [
        dataclasses.replace(it, errors=notes, posted=posted) if it.view.indicator == indicator else it
        for it in page.items
    ]
    return render(request, who, dataclasses.replace(page, items=items), status)


def _again(session: DB, who: Who, period: str, unit: str, indicator: str) -> tuple[DeclarePage, Item, str, int]:
    """The page after a refused save, its item, and who last saved that item in which version."""
    stored = collection.get_item(
        session=session, period=collection.get_period(session=session, code=period), unit_code=unit, indicator=indicator
    )
    page = build(session, who, period, unit)
    item = next(it for it in page.items if it.view.indicator == indicator)
    return page, item, stored.updated_by, stored.version


def _conflict(item: Item, by: str) -> str:
    shown = "; ".join(f"{i.label} = {i.value or '–'}{' ' + i.unit if i.unit and i.value else ''}" for i in item.inputs)
    return (
        f"Người khác ({by}) vừa lưu mục này: {shown}; biểu mẫu vẫn giữ những gì bạn nhập, kiểm tra rồi lưu lại "
        f"nếu vẫn đúng / someone else ({by}) saved this item meanwhile: {shown}; your input is kept: check it "
        "and save again to keep it"
    )


class SubmitForm(BaseModel):
    """The submission: which unit and period, and whether the officer has confirmed."""

    model_config = ConfigDict(extra="ignore")
    period: str = Field(min_length=1, max_length=64)
    unit: str = Field(min_length=1, max_length=32)
    confirm: str = ""


@router.post("/declare/submit")
def submit(request: Request, session: DB, who: FormWho, form: Annotated[SubmitForm, Form()]) -> Response:
    if form.confirm != "yes":  # without JavaScript: the page asks first
        check(who.actor, "declaration.submit", form.unit)
        return _redirect(form.period, form.unit, "", "confirm", confirm="1")
    try:
        collection.submit(session=session, period_code=form.period, unit_code=form.unit, actor=who.actor)
    except ValidationFailed as exc:
        session.rollback()
        errors: dict[str, list[str]] = {}
        general = []
        for p in exc.problems:
            if p.severity != "error":
                continue
            if p.indicator:
                errors.setdefault(p.indicator, []).append(in_language(p.message, who.lang))
            else:
                general.append(in_language(p.message, who.lang))
        page = build(session, who, form.period, form.unit, errors=errors, general=general or ["validation"])
        return render(request, who, page, 422)
    except PermissionDenied:
        raise
    except ChisoError as exc:  # submitted already (a second tab), the period closed: said on the page
        session.rollback()
        page = build(session, who, form.period, form.unit, general=[_not_submitted(exc, who.lang)])
        return render(request, who, page, 409)
    # POST/redirect/GET: a refresh shows the page again, it does not submit again.
    return _redirect(form.period, form.unit, "submit")


def _not_submitted(exc: ChisoError, lang: str) -> str:
    if isinstance(exc, TransitionRefused) and exc.action == "submit":
        state = labeller(lang)(exc.state)
        if lang == "en":
            return f"Nothing to submit: no item is a draft or returned (the declaration is “{state}”)."
        return f"Không có gì để gửi: không còn mục nào ở trạng thái nháp hoặc bị trả lại (kê khai đang «{state}»)."
    return in_language(str(exc), lang)


@router.get("/declare/template")
def template(session: DB, who: WhoDep, period: str, unit: str) -> Response:
    """The unit's XLSX template, as `chiso collect template` writes it."""
    with temporary_folder() as tmp:
        path = Path(tmp) / "ke-khai.xlsx"
        exchange.template(session=session, period_code=period, unit_code=unit, actor=who.actor, path=path)
        data = path.read_bytes()
    name = f"ke-khai-{unit}-{period.replace('/', '-')}.xlsx"
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


class ImportForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    period: str = Field(min_length=1, max_length=64)
    unit: str = Field(min_length=1, max_length=32)


@router.post("/declare/import")
def import_excel(
    request: Request,
    session: DB,
    who: FormWho,
    form: Annotated[ImportForm, Form()],
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The same import as `chiso collect import`: every cell checked first, then all of it or nothing."""
    check(who.actor, "declaration.edit", form.unit)
    problems: list[ImportProblem] = []
    name = Path(file.filename or "").name if file is not None else ""
    suffix = Path(name).suffix.lower()
    if file is None or suffix not in (".xlsx", ".csv", ".json"):
        problems.append(ImportProblem(name, None, "", _not_a_declaration(who.lang)))
    else:
        with temporary_folder() as tmp:
            path = Path(tmp) / f"ke-khai{suffix}"
            path.write_bytes(file.file.read())
            try:
                report = exchange.import_file(
                    session=session,
                    path=path,
                    period_code=form.period,
                    unit_code=form.unit,
                    actor=who.actor,
                    files=request.app.state.files,
                )
            except exchange.ImportRefused as exc:
                session.rollback()
                problems = [
                    ImportProblem(p.sheet.replace(path.name, name), p.row, p.column, in_language(p.message, who.lang))
                    for p in exc.problems
                    if p.severity == "error"
                ]
            except PermissionDenied:
                raise
            except ChisoError as exc:  # not a workbook, too large, unreadable
                session.rollback()
                problems = [ImportProblem(name, None, "", in_language(str(exc).replace(str(path), name), who.lang))]
    if problems:
        page = build(session, who, form.period, form.unit)
        return render(request, who, dataclasses.replace(page, import_problems=problems), 422)
    return _redirect(form.period, form.unit, "imported", "summary", changed=str(len(report.changed)))


def _not_a_declaration(lang: str) -> str:
    if lang == "en":
        return "choose the Excel file downloaded with “Download the Excel template” (.xlsx)"
    return "hãy chọn tệp Excel tải về bằng nút «Tải mẫu Excel» (.xlsx)"


__all__ = ["DeclarePage", "router"]
