"""Administration: periods (open, close, reopen), result runs (compute, publish), accounts and tokens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from chiso import clock, units
from chiso.accounts import service as accounts
from chiso.accounts.schemas import TokenView, UserCreate, UserView
from chiso.collection import service as collection
from chiso.collection.schemas import PeriodOpen
from chiso.dashboard import service as dashboard
from chiso.dashboard.schemas import PeriodInfo
from chiso.errors import ChisoError, PermissionDenied
from chiso.permissions import ROLES, allowed
from chiso.results import service as results
from chiso.results.models import ResultRun
from chiso.web.deps import DB, FormWho, Who, WhoDep
from chiso.web.limits import form_id
from chiso.web.problems import record_refusal, status_of
from chiso.web.render import Page, render

router = APIRouter()


@dataclass(frozen=True)
class PeriodRow:
    info: PeriodInfo
    runs: list[ResultRun]


@dataclass(frozen=True)
class AdminPage(Page):
    periods: list[PeriodRow]
    users: list[UserView]
    tokens: list[TokenView]
    frameworks: list[str]
    roles: tuple[str, ...]
    can_accounts: bool
    can_periods: bool
    now: dt.datetime
    message: str = ""
    error: str = ""
    secret: str = ""
    problems: list[str] = field(default_factory=list)
    can_audit: bool = False


def build(session: DB, who: Who, message: str = "", error: str = "", secret: str = "") -> AdminPage:
    actor = who.actor
    can_results = allowed(actor, "results.compute")
    can_accounts = allowed(actor, "account.manage")
    if not (can_results or can_accounts):
        raise PermissionDenied(f"{actor.user} may not use the administration page", actor=actor)
    rows = []
    if can_results:
        for info in dashboard.list_periods(session=session, actor=actor):
            runs = list(results.list_runs(session=session, period_code=info.code, actor=actor))
            latest: dict[str, ResultRun] = {r.variant: r for r in runs}
            rows.append(PeriodRow(info, list(latest.values())))
    users = accounts.list_users(session=session, actor=actor) if can_accounts else []
    tokens = accounts.list_tokens(session=session, actor=actor) if can_accounts else []
    return AdminPage(
        rows,
        users,
        tokens,
        collection.framework_codes(session=session),
        ROLES,
        can_accounts,
        allowed(actor, "period.open"),
        clock.of(session).now(),
        message,
        error,
        secret,
        can_audit=allowed(actor, "audit.view"),
    )


@router.get("/admin")
def admin_page(request: Request, session: DB, who: WhoDep, done: str = "") -> Response:
    if not who.logged_in:
        return RedirectResponse("/login?next=/admin", status_code=303)
    return render(request, who, build(session, who, done))


def _done(what: str) -> Response:
    return RedirectResponse(f"/admin?done={what}", status_code=303)


async def _failed(request: Request, session: DB, who: Who, exc: Exception) -> Response:
    session.rollback()
    if isinstance(exc, PermissionDenied):  # off the event loop: it waits for the audit chain's lock
        await run_in_threadpool(
            record_refusal, request, "permission.refused", who.actor.user, exc.action, exc.unit_code, str(exc)
        )
    status = status_of(exc, anonymous=False)[0] if isinstance(exc, ChisoError) else 422
    return render(request, who, build(session, who, error=str(exc)), status)


@router.post("/admin/compute")
async def compute(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    results.compute(session=session, period_code=str(form.get("period", "")), actor=who.actor)
    return _done("computed")


@router.post("/admin/publish")
async def publish(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    run_id = form_id(form, "run", "run")
    try:
        results.publish(session=session, run_id=run_id, actor=who.actor)
    except ChisoError as exc:
        return await _failed(request, session, who, exc)
    return _done("publish")


@router.post("/admin/period")
async def period_action(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    code, action = str(form.get("period", "")), str(form.get("action", ""))
    try:
        if action == "close":
            collection.close_period(session=session, code=code, actor=who.actor)
        elif action == "reopen":
            collection.reopen_period(session=session, code=code, reason=str(form.get("reason") or ""), actor=who.actor)
        else:
            raise HTTPException(400, "action is close or reopen")
    except ChisoError as exc:
        return await _failed(request, session, who, exc)
    return _done(action)


@router.post("/admin/periods/open")
async def open_period(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    try:
        province = str(form.get("province", ""))
        kind = "department" if str(form.get("framework", "")).startswith("department") else "commune"
        members = tuple(u.code for u in units.list_units(era="2025", kind=kind, province=province))
        period_in = PeriodOpen(
            framework=str(form.get("framework", "")),
            year=int(str(form.get("year", "0"))),
            units=members,
            opens_on=clock.of(session).today(),
            closes_on=dt.date.fromisoformat(str(form.get("closes_on", ""))),
        )
        collection.open_period(session=session, period_in=period_in, actor=who.actor)
    except (ChisoError, ValidationError, ValueError, units.UnitsError) as exc:
        return await _failed(request, session, who, exc)
    return _done("opened")


@router.post("/admin/users")
async def create_user(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    try:
        user_in = UserCreate(
            user=str(form.get("user", "")).strip(),
            roles=frozenset(str(r) for r in form.getlist("roles")),
            unit_code=str(form.get("unit_code") or "").strip() or None,
            name=str(form.get("name") or ""),
            password=str(form.get("password") or "") or None,
        )
        accounts.create_user(session=session, user_in=user_in, actor=who.actor)
    except (ChisoError, ValidationError) as exc:
        return await _failed(request, session, who, exc)
    return _done("user-created")


@router.post("/admin/users/disable")
async def disable_user(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    try:
        accounts.set_disabled(
            session=session, user=str(form.get("user", "")), disabled=form.get("enable") is None, actor=who.actor
        )
    except ChisoError as exc:
        return await _failed(request, session, who, exc)
    return _done("user-changed")


@router.post("/admin/tokens")
async def create_token(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    try:
        issued = accounts.create_token(
            session=session,
            user=str(form.get("user", "")),
            scope="write" if form.get("scope") == "write" else "read",
            days=int(str(form.get("days") or "90")),
            name=str(form.get("name") or ""),
            actor=who.actor,
        )
    except (ChisoError, ValueError) as exc:
        return await _failed(request, session, who, exc)
    # The secret is shown on this response only (never stored, never in a URL).
    return render(request, who, build(session, who, message="token-created", secret=issued.secret))


@router.post("/admin/tokens/revoke")
async def revoke_token(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    token_id = form_id(form, "token", "token")
    try:
        accounts.revoke_token(session=session, token_id=token_id, actor=who.actor)
    except ChisoError as exc:
        return await _failed(request, session, who, exc)
    return _done("token-revoked")
