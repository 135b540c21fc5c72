"""Limits checked before any work: the size of a request body, and ids a database column can hold."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Path
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Ids are INTEGER columns: 32 bits on PostgreSQL, and SQLite cannot even be asked about a number past
# 64 bits. A larger id cannot name a row, so it is "not found" rather than a database error.
MAX_ID = 2**31 - 1

Id = Annotated[int, Path(ge=1, le=MAX_ID, description="A record's id.")]


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        megabytes = f"{limit / 1_048_576:.1f}".replace(".", ",")
        super().__init__(
            413,
            f"Nội dung gửi lên quá lớn (tối đa {megabytes} MB) — the request body is too large "
            f"(at most {limit} bytes); send a smaller file",
            headers={"Connection": "close"},
        )


class BodyLimit:
    """At most `max_bytes` of request body: a larger Content-Length is refused before anything is read, and
    a body without one (chunked) is counted as it streams and cut off past the limit, with HTTP 413.

    Forms are otherwise read whole (multipart into temporary files) before a route can look at them.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > self.max_bytes):
            await _refuse(scope, receive, send, self.max_bytes)
            return
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:  # read outside a route (a route's own reads get the error page from its handler)
            if started:
                raise
            await _refuse(scope, receive, send, self.max_bytes)


class TokenBeforeBody:
    """Writing through the API needs a bearer token: a body sent without any is refused unread.

    FastAPI reads and parses a JSON body before the dependencies that check the token run; whether the
    token is good still needs the database, but an anonymous body is not worth reading at all.
    """

    WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in self.WRITES and scope["path"].startswith(self.prefix):
            headers = dict(scope.get("headers", []))
            has_body = (
                headers.get(b"content-length", b"0").strip() not in (b"", b"0") or b"transfer-encoding" in headers
            )
            if has_body and b"authorization" not in headers:
                from chiso.web.problems import http_error

                refused = StarletteHTTPException(
                    401,
                    "writing through the API needs a bearer token with the write scope",
                    {"WWW-Authenticate": "Bearer"},
                )
                response = await http_error(Request(scope), refused)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    from chiso.web.problems import http_error

    response = await http_error(Request(scope), BodyTooLarge(limit))
    await response(scope, receive, send)


def form_id(form: FormData, name: str, what: str) -> int:
    """The id in a form field: 422 when it is not a whole number, 404 when no row can have it."""
    raw = str(form.get(name) or "").strip()
    if not (raw.isascii() and raw.isdigit()):
        raise HTTPException(422, f"{what} phải là một số nguyên dương / {what} must be a positive whole number")
    if not 1 <= int(raw[:12]) <= MAX_ID:
        raise HTTPException(404, f"không có {what} {raw[:24]} / no {what} {raw[:24]}")
    return int(raw)


def refuse_nul(form: FormData) -> None:
    """Text with a NUL character cannot be stored (PostgreSQL refuses it): say so, as the API does."""
    for key, value in form.multi_items():
        text = value if isinstance(value, str) else (value.filename or "")
        if "\x00" in key or "\x00" in text:
            raise HTTPException(400, "biểu mẫu có ký tự NUL (\\u0000) / the form contains a NUL (\\u0000) character")
