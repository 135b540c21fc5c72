"""Administration of webhooks (`/admin/hooks`): subscriptions, a test ping, and the delivery log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from chiso.errors import ChisoError
from chiso.events import hooks
from chiso.events.models import WebhookSubscription
from chiso.events.service import TYPES
from chiso.web.deps import DB, FormWho, Who, WhoDep
from chiso.web.i18n import N_, gettext
from chiso.web.limits import MAX_ID
from chiso.web.pages.forms import Form, Optional, parse
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


class HookForm(Form):
    url: str = Field(min_length=1, max_length=500, title=N_("Địa chỉ nhận"))
    events: list[str] = Field(default_factory=list, title=N_("Sự kiện"))
    secret: Annotated[str | None, Optional] = Field(None, max_length=128, title=N_("Khóa ký"))


class HookIdForm(Form):
    hook: int = Field(ge=1, le=MAX_ID, title=N_("Webhook"))


@router.get("/admin/hooks")
def hooks_page(request: Request, session: DB, who: WhoDep, state: str = "", done: str = "") -> Response:
    if not who.logged_in:
        return RedirectResponse("/login?next=/admin/hooks", status_code=303)
    return render(request, who, build(session, who, state, done))


@router.post("/admin/hooks")
async def add(request: Request, session: DB, who: FormWho) -> Response:
    try:
        posted = parse(HookForm, await request.form())
        made = hooks.add(
            session=session, url=posted.url, event_types=posted.events, secret=posted.secret, actor=who.actor
        )
    except ChisoError as exc:
        session.rollback()
        status = status_of(exc, anonymous=False)[0]
        return render(request, who, build(session, who, error=exc.message(gettext(who.lang), who.lang)), status)
    # The secret is shown on this response only, never in a URL.
    return render(request, who, build(session, who, done="added", secret=made.secret))


@router.post("/admin/hooks/remove")
async def remove(request: Request, session: DB, who: FormWho) -> Response:
    posted = parse(HookIdForm, await request.form())
    hooks.remove(session=session, subscription_id=posted.hook, actor=who.actor)
    return RedirectResponse("/admin/hooks?done=removed", status_code=303)


@router.post("/admin/hooks/test")
async def ping(request: Request, session: DB, who: FormWho) -> Response:
    posted = parse(HookIdForm, await request.form())
    hooks.ping(session=session, subscription_id=posted.hook, actor=who.actor)
    return RedirectResponse("/admin/hooks?done=queued", status_code=303)
