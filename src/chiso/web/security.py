"""Login sessions in a signed cookie, CSRF tokens, and the login rate limit.

The cookie holds the account id, its session version (bumped when the account is disabled or its
password changes, which ends every session at once) and the CSRF token of the session; it is signed
and time-limited (itsdangerous), HttpOnly, SameSite=Lax, and Secure when the request came over HTTPS.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "chiso_session"
LANG_COOKIE = "chiso_lang"


@dataclass(frozen=True)
class CookieData:
    csrf: str
    account_id: int | None = None
    version: int = 0


class Sessions:
    def __init__(self, key: str, max_age_seconds: int) -> None:
        self.serializer = URLSafeTimedSerializer(key, salt="chiso.session")
        self.max_age = max_age_seconds

    def read(self, request: Request) -> CookieData | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data: dict[str, Any] = self.serializer.loads(raw, max_age=self.max_age)
        except BadSignature:
            return None
        csrf = data.get("c")
        if not isinstance(csrf, str):
            return None
        account = data.get("a")
        return CookieData(csrf, account if isinstance(account, int) else None, int(data.get("v", 0)))

    def write(self, request: Request, response: Response, data: CookieData) -> None:
        value = self.serializer.dumps({"c": data.csrf, "a": data.account_id, "v": data.version})
        response.set_cookie(
            COOKIE,
            value,
            max_age=self.max_age,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )

    def queue(self, request: Request, data: CookieData) -> None:
        """Set the cookie on whatever response the request ends with (see `CookieMiddleware`)."""
        carrier = Response()
        self.write(request, carrier, data)
        request.state.chiso_cookie = carrier.headers["set-cookie"].encode("latin-1")

    @staticmethod
    def new_csrf() -> str:
        return secrets.token_urlsafe(24)


class CsrfRefused(HTTPException):
    """A form whose CSRF token is not the session's; `user` is who the session belongs to (audited)."""

    def __init__(self, user: str) -> None:
        super().__init__(403, "the form has expired or did not come from Chiso (CSRF); reload the page")
        self.user = user


class LoginLimiter:
    """At most `max_failures` failed logins per (address, account) and 4× that per address, per window."""

    def __init__(self, max_failures: int, window_seconds: int) -> None:
        self.max_failures, self.window = max_failures, window_seconds
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        found = self._failures.setdefault(key, deque())
        while found and now - found[0] > self.window:
            found.popleft()
        return found

    def retry_after(self, address: str, user: str) -> int:
        """Seconds to wait before another attempt (0: go ahead)."""
        now = time.monotonic()
        with self._lock:
            for key, limit in (((address, user.lower()), self.max_failures), ((address, "*"), 4 * self.max_failures)):
                recent = self._recent(key, now)
                if len(recent) >= limit:
                    return max(1, int(self.window - (now - recent[0])) + 1)
        return 0

    def failed(self, address: str, user: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent((address, user.lower()), now).append(now)
            self._recent((address, "*"), now).append(now)
            if len(self._failures) > 10_000:  # forget idle keys so the table cannot grow without bound
                for key in [k for k, v in self._failures.items() if not v]:
                    del self._failures[key]

    def succeeded(self, address: str, user: str) -> None:
        with self._lock:
            self._failures.pop((address, user.lower()), None)


class CookieMiddleware:
    """Adds the session cookie queued by a dependency, unless the response sets its own.

    Answers under `cookieless` (the JSON API) carry no cookie at all: machines authenticate with a
    bearer token, and a cookie there would only start sessions nobody uses (and defeat caches).
    """

    def __init__(self, app: ASGIApp, cookieless: str = "/api/") -> None:
        self.app, self.cookieless = app, cookieless

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path", "").startswith(self.cookieless):
            await self.app(scope, receive, _without_cookies(send))
            return

        async def with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                queued = scope.get("state", {}).get("chiso_cookie")
                headers = list(message.get("headers", []))
                own = any(k.lower() == b"set-cookie" and v.startswith(COOKIE.encode()) for k, v in headers)
                if queued and not own:
                    message["headers"] = [*headers, (b"set-cookie", queued)]
            await send(message)

        await self.app(scope, receive, with_cookie)


def _without_cookies(send: Send) -> Send:
    async def strip(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"set-cookie"]
        await send(message)

    return strip
