"""The web application: pages for people, the JSON API for machines, one transaction per request."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from chiso.clock import Clock
from chiso.collection.evidence import FileStore
from chiso.db import make_engine, session_factory
from chiso.errors import ChisoError
from chiso.settings import Settings
from chiso.web import apidocs, problems
from chiso.web.api import cache
from chiso.web.deps import WriteTurns
from chiso.web.limits import BodyLimit, TokenBeforeBody
from chiso.web.security import CookieMiddleware, LoginLimiter, Sessions

STATIC = Path(__file__).resolve().parent / "static"
API_DESCRIPTION = """Chiso's JSON API: units, frameworks, periods, values and results.

Read without a token: published results, frameworks, units, periods. With a bearer token
(`Authorization: Bearer chiso_…`, issued by `chiso users token`): unpublished results and values
(read scope), and recording values (write scope). Lists are paginated (`page`, `per_page`) and
most have `format=csv`. Errors are problem details (RFC 9457, `application/problem+json`).
"""
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'self'",
    ),
]


class RefuseNul:
    """Refuse a NUL character in the path or query (databases cannot store it) with a problem, up front."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", "")):
            response = problems.problem(400, "Bad request", "NUL characters are not allowed in the URL", "bad-request")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class ServerTiming:
    """`Server-Timing: app;dur=…`: milliseconds from the request to the response's headers (the render)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()

        async def with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - began) * 1000
                message["headers"] = [*message.get("headers", []), (b"server-timing", f"app;dur={took:.1f}".encode())]
            await send(message)

        await self.app(scope, receive, with_timing)


# Over HTTPS, browsers are told to come back over HTTPS only (a year); not over plain HTTP, where the
# header means nothing and a test or intranet server must stay reachable.
HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        extra = [*SECURITY_HEADERS, HSTS] if scope.get("scheme") == "https" else SECURITY_HEADERS

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [(k, v) for k, v in extra if k not in names]
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    sessions: Callable[[], Session] | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """The app for `settings` (read from the environment when None) on their database.

    `sessions` replaces the session factory (tests hand in sessions bound to a rolled-back connection);
    `clock` the clock of the setting `clock` (tests freeze it).
    """
    settings = settings or Settings()
    if sessions is None:
        engine = engine or make_engine(settings.url)
        sessions = session_factory(engine)
    from chiso import __version__

    app = FastAPI(
        title="Chiso API",
        version=__version__,
        description=API_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served by chiso.web.apidocs from the app's own files
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.sessions = sessions
    if engine is not None and engine.dialect.name != "sqlite":  # tests' own sessions keep the session's read
        app.state.data_version = cache.VersionReader(engine.url)
    sqlite = engine is not None and engine.dialect.name == "sqlite"
    app.state.write_turns = WriteTurns(1 if sqlite else None)  # SQLite has one writer at a time anyway
    app.state.clock = clock or settings.make_clock()
    app.state.opendata = {}  # the open-data zips of the published runs, built once (web/pages/opendata.py)
    app.state.files = FileStore(settings.evidence_dir, settings.upload_max_bytes)
    app.state.cookies = Sessions(settings.signing_key(), settings.session_hours * 3600)
    # With several worker processes each counts failures alone: give each its share, so that all of
    # them together allow at most about login_max_failures (ceil(max / workers) × workers).
    per_worker = math.ceil(settings.login_max_failures / settings.web_workers)
    app.state.limiter = LoginLimiter(per_worker, settings.login_window_seconds)
    app.add_exception_handler(ChisoError, problems.chiso_error)
    app.add_exception_handler(StarletteHTTPException, problems.http_error)
    app.add_exception_handler(RequestValidationError, problems.validation_error)
    app.add_exception_handler(OperationalError, problems.database_busy)
    app.add_middleware(ServerTiming)  # innermost: the time to render, without compression
    app.add_middleware(GZipMiddleware, minimum_size=800)
    app.add_middleware(CookieMiddleware)
    app.add_middleware(TokenBeforeBody)
    app.add_middleware(BodyLimit, max_bytes=settings.body_limit)
    app.add_middleware(RefuseNul)
    app.add_middleware(SecurityHeaders)  # on every answer, the refusals above included
    if settings.forwarded_allow_ips.strip():  # outermost: everything inside sees the client the proxy names
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    from chiso.web.api import router as api_router
    from chiso.web.pages import router as pages_router

    app.include_router(api_router, prefix="/api/v1")
    apidocs.mount(app)
    app.include_router(pages_router)
    return app
