"""Request dependencies: one database session per request (it owns the transaction), who is asking."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

import anyio
from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from chiso.accounts import service as accounts
from chiso.audit import chain as audit_chain
from chiso.clock import bind
from chiso.db import begin_write
from chiso.permissions import PUBLIC, Actor
from chiso.web.i18n import DEFAULT_LANGUAGE, LANGUAGES
from chiso.web.limits import refuse_nul
from chiso.web.security import LANG_COOKIE, CookieData, CsrfRefused, Sessions

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


class WriteTurns:
    """How many write requests of this process hold a database transaction at once (None: no limit).

    On SQLite one: the others wait their turn on the event loop, in order, holding no worker thread,
    rather than in SQLite's busy handler, which polls (an unlucky writer could wait seconds) and holds a
    worker thread each (enough waiting writers would leave none for the commit they wait for).
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        # asyncio primitives belong to one event loop (the tests' client runs each request in its own)
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def turn(self) -> asyncio.Semaphore | contextlib.AbstractAsyncContextManager[None]:
        if self.limit is None:
            return contextlib.nullcontext()
        loop = asyncio.get_running_loop()
        if loop not in self._by_loop:
            self._by_loop[loop] = asyncio.Semaphore(self.limit)
        return self._by_loop[loop]


async def write_turn(request: Request) -> AsyncIterator[None]:
    """A write request reads its form, then waits its turn (WriteTurns) before its transaction begins:
    an upload arrives at the client's pace, and the write lock must not be held while it does (an API's
    JSON body is read before any dependency already). Reads go straight through."""
    if request.method not in WRITES:
        yield
        return
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/"):
        # Files come only from people logged in: without a login cookie the body is refused unread
        # (checked_form checks the session itself once the form is in).
        data = request.app.state.cookies.read(request)
        if data is None or data.account_id is None:
            raise HTTPException(403, "đăng nhập trước khi gửi tệp / log in before sending files")
    if content_type.startswith(FORMS):
        await request.form()
    turns: WriteTurns | None = getattr(request.app.state, "write_turns", None)
    if turns is None:
        yield
        return
    async with turns.turn():
        yield


async def db(request: Request, _turn: Annotated[None, Depends(write_turn, scope="function")]) -> AsyncIterator[Session]:
    """The request's session: committed when the route returns, rolled back when it raises.

    A request that writes (POST, PUT, PATCH, DELETE) begins its transaction as a writer (db.begin_write):
    concurrent saves queue for the write lock instead of failing; reads stay concurrent.

    An async dependency, so that a read that never touches the database (an API answer kept in memory)
    costs no hop to a worker thread: making a session does no I/O, and whatever does (the writer's
    begin, the commit, the rollback) runs in a worker thread, never on the event loop.
    """
    session: Session = bind(request.app.state.sessions(), request.app.state.clock)
    try:
        if request.method in WRITES:
            # Take the audit chain's lock here, in a worker thread, and not later inside an async route on
            # the event loop: there, waiting for it would block the loop, and the request that holds it
            # needs the loop to reach its commit (a deadlock, seen under concurrent logins on PostgreSQL).
            # Write requests of a schema therefore take turns.
            await run_in_threadpool(_begin_writing, session)
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
    except BaseException:
        with anyio.CancelScope(shield=True):  # a cancelled request still ends its transaction
            await run_in_threadpool(session.rollback)
        raise
    finally:
        if session.in_transaction():  # only after a failed commit or rollback: close ends it, in a thread
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(session.close)
        else:
            session.close()  # nothing to end: no I/O


def _begin_writing(session: Session) -> None:
    begin_write(session)
    audit_chain.lock(session)


DB = Annotated[Session, Depends(db, scope="function")]


@dataclass(frozen=True)
class Who:
    actor: Actor
    csrf: str
    via: str  # "session" (logged in), "token" (API), "public"
    scope: str  # "write" or "read"
    lang: str

    @property
    def logged_in(self) -> bool:
        return self.via != "public"


def language(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or DEFAULT_LANGUAGE
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


async def who(request: Request, session: DB) -> Who:
    """The actor of the request: a bearer token, else the session cookie, else the public.

    Kept on the request too, so that an error page still shows who is logged in, with their menu. A token
    or a login is looked up in a worker thread; the public needs no query (a cookie read, or a new one)."""
    if request.headers.get("authorization") or _logged_in_cookie(request):
        found = await run_in_threadpool(_who, request, session)
    else:
        found = _who(request, session)
    request.state.who = found
    return found


def _logged_in_cookie(request: Request) -> bool:
    data = request.app.state.cookies.read(request)
    return data is not None and data.account_id is not None


def _who(request: Request, session: Session) -> Who:
    lang = language(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        resolved = (
            accounts.resolve_token(session=session, secret=secret.strip()) if scheme.lower() == "bearer" else None
        )
        if resolved is None:
            raise HTTPException(401, "invalid, expired or revoked API token", {"WWW-Authenticate": "Bearer"})
        request.state.anonymous = False
        return Who(resolved[0], "", "token", resolved[1], lang)
    sessions: Sessions = request.app.state.cookies
    data = sessions.read(request)
    actor = None
    if data is not None and data.account_id is not None:
        actor = accounts.actor_for_session(
            session=session, account_id=data.account_id, session_version=data.version, secret=data.session
        )
        if actor is None:  # logged out, expired, disabled, or its sessions ended: back to a public session
            data = CookieData(data.csrf)
            sessions.queue(request, data)
    if data is None:
        data = CookieData(Sessions.new_csrf())
        sessions.queue(request, data)
    request.state.anonymous = actor is None
    if actor is None:
        return Who(PUBLIC, data.csrf, "public", "read", lang)
    assert data.account_id is not None
    if accounts.must_change_password(session=session, account_id=data.account_id):
        _password_first(request)
    return Who(actor, data.csrf, "session", "write", lang)


PASSWORD_PAGE = "/account/password"
PASSWORD_FREE = (PASSWORD_PAGE, "/logout", "/login")


def _password_first(request: Request) -> None:
    """A temporary password (a reset, an import) opens only the page that changes it, and logging out."""
    path = request.url.path
    if path in PASSWORD_FREE or path.startswith("/static/"):
        return
    if request.method == "GET" and not path.startswith("/api/"):
        target = urlencode({"next": path + (f"?{request.url.query}" if request.url.query else "")})
        raise HTTPException(303, "", {"Location": f"{PASSWORD_PAGE}?{target}"})
    raise HTTPException(
        403,
        "Hãy đổi mật khẩu tạm thời trước (/account/password) — change your temporary password first",
    )


WhoDep = Annotated[Who, Depends(who)]


async def checked_form(request: Request, current: WhoDep) -> Who:
    """For every form post: the CSRF token of the form must be the session's.

    Who posts is known before the body is read: a multipart body (files) from someone not logged in is
    refused unread, since only logged-in people upload. (The session cookie is SameSite=Lax, so a
    cross-site post arrives without it and is refused here too.) Text with NUL is refused after.
    """
    if not current.logged_in and request.headers.get("content-type", "").lower().startswith("multipart/"):
        raise HTTPException(403, "đăng nhập trước khi gửi tệp / log in before sending files")
    form = await request.form()
    refuse_nul(form)
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not current.csrf or not hmac.compare_digest(sent, current.csrf):
        raise CsrfRefused(current.actor.user)
    return current


FormWho = Annotated[Who, Depends(checked_form)]


def writer(current: WhoDep) -> Who:
    """API writes: a token with the write scope."""
    if current.via != "token":
        raise HTTPException(401, "writing through the API needs a bearer token with the write scope")
    if current.scope != "write":
        raise HTTPException(403, "this token has the read scope; writing needs a token with the write scope")
    return current


Writer = Annotated[Who, Depends(writer)]
