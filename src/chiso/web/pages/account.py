"""One's own account: change the password (required after an administrator's reset or an import)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from chiso.accounts import service as accounts
from chiso.errors import ChisoError
from chiso.web.deps import DB, FormWho, WhoDep
from chiso.web.i18n import N_, gettext
from chiso.web.pages.auth import _safe_next
from chiso.web.pages.forms import Form, FormInvalid, parse
from chiso.web.render import Page, render
from chiso.web.security import CookieData, Sessions

router = APIRouter()
PATH = "/account/password"


@dataclass(frozen=True)
class AccountPasswordPage(Page):
    next: str
    required: bool  # a temporary password: nothing else opens until it is changed
    errors: dict[str, list[str]] = field(default_factory=dict)


class PasswordForm(Form):
    model_config = Form.model_config | {"str_strip_whitespace": False}

    current: str = Field(min_length=1, max_length=200, title=N_("Mật khẩu hiện tại"))
    new: str = Field(min_length=1, max_length=200, title=N_("Mật khẩu mới"))
    confirm: str = Field(min_length=1, max_length=200, title=N_("Nhập lại mật khẩu mới"))
    next: str = "/"


def _required(request: Request, session: DB) -> bool:
    data = request.app.state.cookies.read(request)
    return bool(data and data.account_id and accounts.must_change_password(session=session, account_id=data.account_id))


@router.get(PATH)
def password_page(request: Request, session: DB, who: WhoDep, next: str = "/") -> Response:
    if not who.logged_in:
        return RedirectResponse(f"/login?{urlencode({'next': PATH})}", status_code=303)
    return render(request, who, AccountPasswordPage(_safe_next(next), _required(request, session)))


@router.post(PATH)
async def change_password(request: Request, session: DB, who: FormWho) -> Response:
    target = "/"
    try:
        if not who.logged_in:
            raise ChisoError.of("account.unknown", user="")
        posted = parse(PasswordForm, await request.form())
        target = _safe_next(posted.next)
        if posted.new != posted.confirm:
            raise FormInvalid.at("confirm", ChisoError.of("password.mismatch"))
        version = accounts.change_password(
            session=session, user=who.actor.user, current=posted.current, new=posted.new, actor=who.actor
        )
    except ChisoError as exc:
        session.rollback()
        translate = gettext(who.lang)
        if isinstance(exc, FormInvalid):
            errors = exc.by_field(translate)
        else:
            errors = {exc.field or "new": [exc.message(translate, who.lang)]}
        page = AccountPasswordPage(target, _required(request, session), errors)
        return render(request, who, page, 422)
    # This login goes on under the new session version; every other one has ended.
    cookies: Sessions = request.app.state.cookies
    earlier = cookies.read(request)
    assert earlier is not None and earlier.account_id is not None
    response = RedirectResponse(target, status_code=303)
    cookies.write(request, response, CookieData(Sessions.new_csrf(), earlier.account_id, version, earlier.session))
    return response
