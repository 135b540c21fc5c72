"""Errors as RFC 9457 problem details (`application/problem+json`) for the API, pages for browsers."""

from __future__ import annotations

import contextlib
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from chiso.audit import service as audit
from chiso.clock import bind
from chiso.collection.service import ValidationFailed
from chiso.db import transient
from chiso.errors import ChisoError, ConflictError, PermissionDenied, outcome_of
from chiso.web.deps import language
from chiso.web.i18n import gettext
from chiso.web.security import CsrfRefused

PROBLEM = "application/problem+json"
TYPES = "https://chiso.vn/problems/"  # documentation of each problem type, by name


def problem(status: int, title: str, detail: str = "", kind: str = "", **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": TYPES + kind if kind else "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers = {"WWW-Authenticate": 'Bearer realm="chiso"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def status_of(exc: ChisoError, anonymous: bool) -> tuple[int, str, str]:
    """(HTTP status, title, problem type) of a service error, from the one table (chiso.errors.OUTCOMES)."""
    outcome = outcome_of(exc, anonymous=anonymous)
    return outcome.status, _title(outcome.status), outcome.kind


def message_of(request: Request, exc: ChisoError) -> str:
    """The error's message in the request's language (never a CLI flag: those are the CLI's hints)."""
    lang = language(request)
    return exc.message(gettext(lang), lang)


def record_refusal(
    request: Request, action: str, user: str, refused: str | None, unit_code: str | None, reason: str
) -> None:
    """Audit a refusal in a transaction of its own: the request's is rolled back by the time we get here.

    Called in a worker thread (run_in_threadpool): it waits for the audit chain's lock, and waiting on
    the event loop would stop the request that holds the lock from reaching its commit."""
    audit.record_apart(
        sessions=request.app.state.sessions,
        clock=request.app.state.clock,
        actor=user,
        action=action,
        entity="request",
        entity_key=refused or request.url.path,
        unit_code=unit_code,
        after={
            "method": request.method,
            "path": request.url.path,
            "address": request.client.host if request.client else "?",
        },
        reason=reason,
    )


def for_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def chiso_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ChisoError)
    anonymous = getattr(request.state, "anonymous", True)
    if isinstance(exc, PermissionDenied):
        refused = exc.actor.user if exc.actor is not None else "public"
        await run_in_threadpool(
            record_refusal, request, "permission.refused", refused, exc.action, exc.unit_code, str(exc)
        )
    status, title, kind = status_of(exc, anonymous)
    extra: dict[str, Any] = {"code": exc.code}
    if exc.field:
        extra["field"] = exc.field
    if exc.coded:
        extra["params"] = {k: v if isinstance(v, int | float | str) else str(v) for k, v in exc.params.items()}
    if isinstance(exc, ValidationFailed):
        extra["errors"] = [
            {"indicator": p.indicator, "column": p.column, "message": p.message, "severity": p.severity}
            for p in exc.problems
        ]
    if isinstance(exc, ConflictError):
        extra["current"] = exc.current
    if for_api(request):
        return problem(status, title, message_of(request, exc), kind, **extra)
    from chiso.web.render import error_page

    await _find_who(request)
    return error_page(request, status, title, message_of(request, exc))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, CsrfRefused):
        await run_in_threadpool(record_refusal, request, "csrf.refused", exc.user, None, None, str(exc.detail))
    phrase = str(exc.detail or "")
    generic = {_title(exc.status_code).lower(), HTTPStatus(exc.status_code).phrase.lower()}
    detail = "" if phrase.lower() in generic else phrase
    if for_api(request):
        response: Response = problem(exc.status_code, _title(exc.status_code), detail)
    else:
        from chiso.web.render import error_page

        await _find_who(request)
        response = error_page(request, exc.status_code, _title(exc.status_code), detail)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


BUSY = (
    "Cơ sở dữ liệu đang bận, chưa lưu được; vui lòng thử lại sau ít giây — "
    "the database is busy and nothing was saved; try again in a few seconds"
)


async def database_busy(request: Request, exc: Exception) -> Response:
    """A lock or serialization error that outlasted the bounded waits (db.begin_write): 503 with
    Retry-After, nothing saved, never a 500. Any other database error is a bug and stays one."""
    if not transient(exc):
        raise exc
    if for_api(request):
        response: Response = problem(503, "Service unavailable", BUSY, "busy")
    else:
        from chiso.web.render import error_page

        response = error_page(request, 503, "Service unavailable", BUSY)
    response.headers["Retry-After"] = "5"
    return response


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()
    ]
    detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors[:10])
    if for_api(request):
        return problem(422, "Invalid request", detail, "invalid-request", errors=errors)
    from chiso.web.render import error_page

    await _find_who(request)
    return error_page(request, 422, "Invalid request", detail)


async def _find_who(request: Request) -> None:
    """Who is logged in, for an error met before the route's dependencies ran (no such route, a method
    not allowed): the page is drawn in their layout, with their menu, rather than looking logged out."""
    if hasattr(request.state, "who") or request.app.state.cookies.read(request) is None:
        return
    await run_in_threadpool(_resolve_who, request)


def _resolve_who(request: Request) -> None:
    from chiso.web.deps import _who

    session = bind(request.app.state.sessions(), request.app.state.clock)
    with session, contextlib.suppress(StarletteHTTPException):  # a token not valid, a password to change
        request.state.who = _who(request, session)


def _title(status: int) -> str:
    return {
        400: "Bad request",
        401: "Authentication required",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        409: "Conflict",
        413: "Content too large",
        422: "Invalid request",
        429: "Too many requests",
        503: "Service unavailable",
    }.get(status, "Error")
