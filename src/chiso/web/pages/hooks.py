"""Administration of webhooks (`/admin/hooks`): subscriptions, a test ping, and the delivery log."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from chiso.errors import ChisoError
from chiso.events import hooks
from chiso.events.models import WebhookSubscription
from chiso.events.service import TYPES
from chiso.web.deps import DB, FormWho, Who, WhoDep
from chiso.web.problems import status_of
from chiso.web.render import Page, render

router = APIRouter()


@dataclass(frozen=True)
class AdminHooksPage(Page):
    subscriptions: list[WebhookSubscription]
    log: list[hooks.LogRow]
    types: list[str]
    states: tuple[str, ...]
    state: str
    done: str = ""
    error: str = ""
    secret: str = ""


def build(session: DB, who: Who, state: str = "", done: str = "", error: str = "", secret: str = "") -> AdminHooksPage:
    chosen = state if state in hooks.STATES else ""
    return AdminHooksPage(
        list(hooks.list_subscriptions(session=session, actor=who.actor)),
        hooks.log(session=session, actor=who.actor, state=chosen or None),
        list(TYPES),
        hooks.STATES,
        chosen,
        done,
        error,
        secret,
    )


def _hook_id(value: object) -> int:
    text = str(value or "")
    if not text.isdigit():
        raise HTTPException(400, "hook must be a subscription id")
    return int(text)


@router.get("/admin/hooks")
def hooks_page(request: Request, session: DB, who: WhoDep, state: str = "", done: str = "") -> Response:
    if not who.logged_in:
        return RedirectResponse("/login?next=/admin/hooks", status_code=303)
    return render(request, who, build(session, who, state, done))


@router.post("/admin/hooks")
async def add(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    try:
        made = hooks.add(
            session=session,
            url=str(form.get("url", "")),
            event_types=[str(t) for t in form.getlist("events")],
            secret=str(form.get("secret") or "") or None,
            actor=who.actor,
        )
    except ChisoError as exc:
        session.rollback()
        status = status_of(exc, anonymous=False)[0]
        return render(request, who, build(session, who, error=str(exc)), status)
    # The secret is shown on this response only, never in a URL.
    return render(request, who, build(session, who, done="added", secret=made.secret))


@router.post("/admin/hooks/remove")
async def remove(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    hooks.remove(session=session, subscription_id=_hook_id(form.get("hook")), actor=who.actor)
    return RedirectResponse("/admin/hooks?done=removed", status_code=303)


@router.post("/admin/hooks/test")
async def ping(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    hooks.ping(session=session, subscription_id=_hook_id(form.get("hook")), actor=who.actor)
    return RedirectResponse("/admin/hooks?done=queued", status_code=303)
