"""Administration: periods (open, close, reopen, deadlines), result runs (compute, publish), accounts
(one by one or imported from a file, password resets) and tokens."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from chiso import clock, units
from chiso.accounts import imports
from chiso.accounts import service as accounts
from chiso.accounts.schemas import EMAIL, TokenView, UserCreate, UserView
from chiso.collection import service as collection
from chiso.collection.deadlines import Deadline, deadline
from chiso.collection.schemas import PeriodOpen
from chiso.dashboard import service as dashboard
from chiso.dashboard.schemas import PeriodInfo
from chiso.errors import ChisoError, PermissionDenied
from chiso.permissions import ROLE_LABELS, allowed, check
from chiso.results import service as results
from chiso.results.models import ResultRun
from chiso.web.deps import DB, FormWho, Who, WhoDep
from chiso.web.i18n import N_, gettext
from chiso.web.pages.forms import Form, FormDate, FormInvalid, Optional, parse, saved_upload, temporary_folder
from chiso.web.problems import record_refusal, status_of
from chiso.web.render import Page, render

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HUMAN_ROLES = imports.HUMAN_ROLES


@dataclass(frozen=True)
class RunRow:
    run: ResultRun
    blocker: str  # why it cannot be published now ("" when it can), in the reader's language


@dataclass(frozen=True)
class PeriodRow:
    info: PeriodInfo
    runs: list[RunRow]
    deadline: Deadline | None


@dataclass(frozen=True)
class UserRow:
    view: UserView
    role_names: str
    unit_name: str


@dataclass(frozen=True)
class AdminPage(Page):
    periods: list[PeriodRow]
    users: list[UserRow]
    tokens: list[TokenView]
    frameworks: list[str]
    roles: list[tuple[str, str]]  # (code, name) of the roles a person may have
    can_accounts: bool
    can_periods: bool
    now: dt.datetime
    message: str = ""
    error: str = ""
    secret: str = ""
    problems: list[str] = field(default_factory=list)
    can_audit: bool = False
    imported: list[imports.Imported] = field(default_factory=list)
    reset: tuple[str, str] | None = None  # (user, temporary password), shown once


def role_name(role: str, lang: str) -> str:
    names = ROLE_LABELS.get(role)
    return (names[1] if lang == "en" else names[0]) if names else role


def unit_name(code: str | None) -> str:
    if not code:
        return ""
    found = units.find(code, era=imports.ERA)
    return found[0].name if found else code


def build(session: DB, who: Who, message: str = "", error: str = "", **shown: object) -> AdminPage:
    actor, lang = who.actor, who.lang
    can_results = allowed(actor, "results.compute")
    can_accounts = allowed(actor, "account.manage")
    if not (can_results or can_accounts):
        raise PermissionDenied(f"{actor.user} may not use the administration page", actor=actor)
    now = clock.of(session).now()
    today = clock.of(session).today()
    rows = []
    if can_results:
        can_publish = allowed(actor, "results.publish")
        for info in dashboard.list_periods(session=session, actor=actor):
            runs = list(results.list_runs(session=session, period_code=info.code, actor=actor))
            latest: dict[str, ResultRun] = {r.variant: r for r in runs}
            shown_runs = [RunRow(r, _blocker(session, who, r) if can_publish else "") for r in latest.values()]
            rows.append(PeriodRow(info, shown_runs, deadline(info.state, info.closes_on, today)))
    users = []
    if can_accounts:
        for view in accounts.list_users(session=session, actor=actor):
            names = ", ".join(role_name(r, lang) for r in view.roles)
            users.append(UserRow(view, names, unit_name(view.unit_code)))
    tokens = accounts.list_tokens(session=session, actor=actor) if can_accounts else []
    return AdminPage(
        rows,
        users,
        tokens,
        collection.framework_codes(session=session),
        [(r, role_name(r, lang)) for r in HUMAN_ROLES],
        can_accounts,
        allowed(actor, "period.open"),
        now,
        message,
        error,
        can_audit=allowed(actor, "audit.view"),
        **shown,  # type: ignore[arg-type]
    )


def _blocker(session: DB, who: Who, run: ResultRun) -> str:
    if run.published or run.variant != "final":
        return ""
    refused = results.publish_blocker(session=session, run_id=run.id, actor=who.actor)
    return "" if refused is None else refused.message(gettext(who.lang), who.lang)


@router.get("/admin")
def admin_page(request: Request, session: DB, who: WhoDep, done: str = "") -> Response:
    if not who.logged_in:
        return RedirectResponse("/login?next=/admin", status_code=303)
    return render(request, who, build(session, who, done))


def _done(what: str) -> Response:
    return RedirectResponse(f"/admin?done={what}", status_code=303)


async def _failed(request: Request, session: DB, who: Who, exc: ChisoError) -> Response:
    """The page again, with what was refused at the top in the reader's language; nothing was saved."""
    session.rollback()
    if isinstance(exc, PermissionDenied):  # off the event loop: it waits for the audit chain's lock
        await run_in_threadpool(
            record_refusal, request, "permission.refused", who.actor.user, exc.action, exc.unit_code, str(exc)
        )
    status = status_of(exc, anonymous=False)[0]
    translate = gettext(who.lang)
    if isinstance(exc, imports.AccountImportRefused):
        head = exc.message(translate, who.lang).split("\n")[0]
        page = build(session, who, error=head, problems=exc.lines(translate))
    else:
        page = build(session, who, error=exc.message(translate, who.lang))
    return render(request, who, page, status)


# --- forms ------------------------------------------------------------------------------------------


class PeriodForm(Form):
    period: str = Field(min_length=1, title=N_("Kỳ"))


class RunForm(Form):
    run: int = Field(ge=1, le=2**31 - 1, title=N_("Kết quả"))


class PeriodActionForm(Form):
    period: str = Field(min_length=1, title=N_("Kỳ"))
    action: Literal["close", "reopen"] = Field(title=N_("Thao tác"))
    reason: str = Field("", max_length=500, title=N_("Lý do mở lại"))


class OpenPeriodForm(Form):
    framework: str = Field(min_length=1, title=N_("Bộ chỉ số"))
    year: int = Field(ge=2000, le=2100, title=N_("Năm"))
    province: str = Field(min_length=1, max_length=8, title=N_("Tỉnh (mã)"))
    closes_on: FormDate = Field(title=N_("Hạn kê khai"))


class UserForm(Form):
    user: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$", title=N_("Tên đăng nhập"))
    roles: list[Literal[HUMAN_ROLES]] = Field(min_length=1, title=N_("Vai trò"))  # type: ignore[valid-type]
    unit_code: Annotated[str | None, Optional] = Field(None, max_length=32, title=N_("Đơn vị (cán bộ đơn vị)"))
    name: str = Field("", max_length=200, title=N_("Họ tên"))
    email: Annotated[str | None, Optional] = Field(None, max_length=254, pattern=EMAIL, title=N_("Thư điện tử"))
    password: Annotated[str | None, Optional] = Field(None, max_length=200, title=N_("Mật khẩu"))


class AccountForm(Form):
    user: str = Field(min_length=1, title=N_("Tài khoản"))


class DisableForm(AccountForm):
    enable: str | None = None


class TokenForm(Form):
    user: str = Field(min_length=1, title=N_("Tài khoản"))
    name: str = Field("", max_length=100, title=N_("Tên"))
    scope: Literal["read", "write"] = Field("read", title=N_("Phạm vi"))
    days: int = Field(90, ge=1, le=3660, title=N_("Số ngày"))


class RevokeForm(Form):
    token: int = Field(ge=1, le=2**31 - 1, title=N_("Token API"))


# --- periods and results ------------------------------------------------------------------------------


@router.post("/admin/compute")
async def compute(request: Request, session: DB, who: FormWho) -> Response:
    try:
        posted = parse(PeriodForm, await request.form())
        results.compute(session=session, period_code=posted.period, actor=who.actor)
    except ChisoError as exc:
        return await _failed(request, session, who, exc)
    return _done("computed")


@router.post("/admin/publish")
async def publish(request: Request, session: DB, who: FormWho) -> Response:
    try:
        posted = parse(RunForm, await request.form())
        results.publish(session=session, run_id=posted.run, actor=who.actor)
    except ChisoError as exc:
        return await _failed(request, session, who, exc)
    return _done("publish")


@router.post("/admin/period")
async def period_action(request: Request, session: DB, who: FormWho) -> Response:
    try:
        posted = parse(PeriodActionForm, await request.form())
        if posted.action == "close":
            collection.close_period(session=session, code=posted.period, actor=who.actor)
        else:
            collection.reopen_period(session=session, code=posted.period, reason=posted.reason, actor=who.actor)
    except ChisoError as exc:
        return await _failed(request, session, who, exc)
    return _done(posted.action)


@router.post("/admin/periods/open")
async def open_period(request: Request, session: DB, who: FormWho) -> Response:
    try:
        posted = parse(OpenPeriodForm, await request.form())
        kind = "department" if posted.framework.startswith("department") else "commune"
        members = tuple(u.code for u in units.list_units(era="2025", kind=kind, province=posted.province))
        if not members:
            raise ChisoError.of("account.unit-unknown", field="province", unit=posted.province)
        assert posted.closes_on is not None
        period_in = PeriodOpen(
            framework=posted.framework,
            year=posted.year,
            units=members,
            opens_on=clock.of(session).today(),
            closes_on=posted.closes_on,
        )
        collection.open_period(session=session, period_in=period_in, actor=who.actor)
    except ChisoError as exc:
        return await _failed(request, session, who, exc)
    return _done("opened")


# --- accounts ---------------------------------------------------------------------------------------


@router.post("/admin/users")
async def create_user(request: Request, session: DB, who: FormWho) -> Response:
    try:
        posted = parse(UserForm, await request.form())
        user_in = UserCreate(
            user=posted.user,
            roles=frozenset(posted.roles),
            unit_code=posted.unit_code,
            name=posted.name,
            email=posted.email,
            password=posted.password,
        )
        accounts.create_user(session=session, user_in=user_in, actor=who.actor)
    except ChisoError as exc:
        return await _failed(request, session, who, exc)
    return _done("user-created")


@router.post("/admin/users/disable")
async def disable_user(request: Request, session: DB, who: FormWho) -> Response:
    try:
        posted = parse(DisableForm, await request.form())
        accounts.set_disabled(session=session, user=posted.user, disabled=posted.enable is None, actor=who.actor)
    except ChisoError as exc:
        return await _failed(request, session, who, exc)
    return _done("user-changed")


@router.post("/admin/users/reset")
async def reset_password(request: Request, session: DB, who: FormWho) -> Response:
    """A temporary password, shown on this response only (never stored in clear, never in a URL)."""
    try:
        posted = parse(AccountForm, await request.form())
        temporary = accounts.reset_password(session=session, user=posted.user, actor=who.actor)
    except ChisoError as exc:
        return await _failed(request, session, who, exc)
    return render(request, who, build(session, who, "password-reset", reset=(posted.user, temporary)))


@router.post("/admin/users/import")
async def import_users(request: Request, session: DB, who: FormWho) -> Response:
    """Accounts from a file, all or nothing; their temporary passwords are shown on this response only."""
    form = await request.form()
    upload = form.get("file")
    try:
        check(who.actor, "account.manage")  # before the file is looked at
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise FormInvalid([("file", N_("Chọn tệp .xlsx hoặc .csv để nhập."), {})], {"file": N_("Tệp")})
        with temporary_folder() as tmp:
            path = await saved_upload(upload, Path(tmp), request.app.state.settings.upload_max_bytes)
            done = imports.import_accounts(
                session=session,
                path=path,
                actor=who.actor,
                source_name=upload.filename,
                province=request.app.state.settings.province,
            )
    except ChisoError as exc:
        return await _failed(request, session, who, exc)
    finally:
        await form.close()
    return render(request, who, build(session, who, "users-imported", imported=done))


@router.get("/admin/users/template.xlsx")
def import_template(request: Request, who: WhoDep) -> Response:
    """The file to fill in for the import: columns, an example row, the roles, the province's units."""
    check(who.actor, "account.manage")
    buffer = io.BytesIO()
    imports.template(request.app.state.settings.province).save(buffer)
    headers = {"Content-Disposition": 'attachment; filename="mau-tai-khoan.xlsx"'}
    return Response(buffer.getvalue(), media_type=XLSX, headers=headers)


# --- tokens -----------------------------------------------------------------------------------------


@router.post("/admin/tokens")
async def create_token(request: Request, session: DB, who: FormWho) -> Response:
    try:
        posted = parse(TokenForm, await request.form())
        issued = accounts.create_token(
            session=session, user=posted.user, scope=posted.scope, days=posted.days, name=posted.name, actor=who.actor
        )
    except ChisoError as exc:
        return await _failed(request, session, who, exc)
    # The secret is shown on this response only (never stored, never in a URL).
    return render(request, who, build(session, who, message="token-created", secret=issued.secret))


@router.post("/admin/tokens/revoke")
async def revoke_token(request: Request, session: DB, who: FormWho) -> Response:
    try:
        posted = parse(RevokeForm, await request.form())
        accounts.revoke_token(session=session, token_id=posted.token, actor=who.actor)
    except ChisoError as exc:
        return await _failed(request, session, who, exc)
    return _done("token-revoked")
