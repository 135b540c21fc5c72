"""Log in and out; the login is rate limited per account and address; logging out ends the session."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chiso.accounts import service as accounts
from chiso.audit import service as audit
from chiso.web.deps import DB, FormWho, WhoDep
from chiso.web.render import Page, render
from chiso.web.security import COOKIE, CookieData, Sessions

router = APIRouter()


@dataclass(frozen=True)
class LoginPage(Page):
    next: str
    user: str = ""
    error: str = ""


def _safe_next(target: str) -> str:
    parts = urlsplit(target)
    return target if target.startswith("/") and not target.startswith("//") and not parts.netloc else "/"


@router.get("/login")
def login_form(request: Request, who: WhoDep, next: str = "/") -> Response:
    return render(request, who, LoginPage(_safe_next(next)))


class LoginForm(BaseModel):
    """The login form; anything missing or too long is simply a wrong login (no hint to a guesser)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    user: str = Field("", max_length=200)
    password: str = Field("", max_length=1000)
    next: str = Field("/", max_length=2000)


@router.post("/login")
async def login(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    try:
        posted = LoginForm.model_validate({k: v for k, v in form.items() if isinstance(v, str)})
    except ValidationError:
        posted = LoginForm()
    user = posted.user.strip()
    password = posted.password
    target = _safe_next(posted.next)
    address = request.client.host if request.client else "?"
    limiter = request.app.state.limiter
    cookies: Sessions = request.app.state.cookies
    wait = limiter.retry_after(address, user, known=user.lower() in cookies.known_users(request))
    if wait:
        page = LoginPage(target, user, f"too-many:{wait}")
        response = render(request, who, page, 429)
        response.headers["Retry-After"] = str(wait)
        return response
    found = accounts.authenticate(session=session, user=user, password=password)
    if found is None:
        limiter.failed(address, user)
        audit.record(
            session=session, actor="public", action="login.failed", entity="account", entity_key=user,
            after={"user": user[:200], "address": address},
        )  # fmt: skip
        return render(request, who, LoginPage(target, user, "wrong"), 401)
    limiter.succeeded(address, user)
    _actor, account_id, version = found
    audit.record(
        session=session, actor=_actor.user, action="login", entity="account", entity_key=_actor.user,
        after={"address": address},
    )  # fmt: skip
    earlier = cookies.read(request)
    if earlier is not None and earlier.session:  # a login on top of another: the other one ends
        accounts.end_session(session=session, secret=earlier.session)
    hours = request.app.state.settings.session_hours
    secret = accounts.start_session(session=session, account_id=account_id, hours=hours)
    if target == "/" and _actor.has("viewer"):  # a leader starts on the leader's home (pages/home.py)
        target = "/home"
    if accounts.must_change_password(session=session, account_id=account_id):  # a temporary password
        target = f"/account/password?{urlencode({'next': target})}"
    redirect = RedirectResponse(target, status_code=303)
    # A new CSRF token with the new session: a token seen before login is not reused after it.
    cookie = CookieData(Sessions.new_csrf(), account_id, version, secret)
    cookies.write(request, redirect, cookie)
    cookies.remember(request, redirect, user)
    return redirect


@router.post("/logout")
async def logout(request: Request, session: DB, who: FormWho) -> Response:
    """End the session on the server too: the cookie, or any copy of it, no longer logs anyone in."""
    if who.logged_in:
        address = request.client.host if request.client else "?"
        audit.record(
            session=session, actor=who.actor.user, action="logout", entity="account", entity_key=who.actor.user,
            after={"address": address},
        )  # fmt: skip
    data = request.app.state.cookies.read(request)
    if data is not None and data.session:
        accounts.end_session(session=session, secret=data.session)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
