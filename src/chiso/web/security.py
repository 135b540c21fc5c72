"""Login sessions in a signed cookie, CSRF tokens, and the login rate limit.

The cookie holds the account id, the secret of its server-side session (`web_session`: logging out
deletes it, so a copied cookie stops working), the account's session version (bumped when the account
is disabled or its password changes, which ends every session at once) and the CSRF token of the
session; it is signed and time-limited (itsdangerous), HttpOnly, SameSite=Lax, and Secure when the
request came over HTTPS (directly, or through a trusted proxy that says so).
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
KNOWN_COOKIE = "chiso_known"  # who logged in on this browser before (sent to /login only)
KNOWN_DAYS = 180


@dataclass(frozen=True)
class CookieData:
    csrf: str
    account_id: int | None = None
    version: int = 0
    session: str = ""  # the secret of the server-side session (accounts.start_session)


class Sessions:
    def __init__(self, key: str, max_age_seconds: int) -> None:
        self.serializer = URLSafeTimedSerializer(key, salt="chiso.session")
        self.known = URLSafeTimedSerializer(key, salt="chiso.known")
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
        account, secret = data.get("a"), data.get("s")
        return CookieData(
            csrf,
            account if isinstance(account, int) else None,
            int(data.get("v", 0)),
            secret if isinstance(secret, str) else "",
        )

    def write(self, request: Request, response: Response, data: CookieData) -> None:
        value = self.serializer.dumps({"c": data.csrf, "a": data.account_id, "v": data.version, "s": data.session})
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

    def known_users(self, request: Request) -> list[str]:
        """The accounts that logged in on this browser before (a signed cookie; none when it was forged)."""
        raw = request.cookies.get(KNOWN_COOKIE)
        if not raw:
            return []
        try:
            users = self.known.loads(raw, max_age=KNOWN_DAYS * 86400)
        except BadSignature:
            return []
        return [u for u in users if isinstance(u, str)] if isinstance(users, list) else []

    def remember(self, request: Request, response: Response, user: str) -> None:
        """Note on the browser that `user` logged in here (the five latest), for the login limit."""
        users = [user.lower(), *(u for u in self.known_users(request) if u != user.lower())][:5]
        response.set_cookie(
            KNOWN_COOKIE,
            self.known.dumps(users),
            max_age=KNOWN_DAYS * 86400,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/login",
        )

    @staticmethod
    def new_csrf() -> str:
        return secrets.token_urlsafe(24)


class CsrfRefused(HTTPException):
    """A form whose CSRF token is not the session's; `user` is who the session belongs to (audited)."""

    def __init__(self, user: str) -> None:
        super().__init__(403, "the form has expired or did not come from Chiso (CSRF); reload the page")
        self.user = user


# Offices behind one NAT share an address: their colleagues' typos must not lock an account out, so the
# ceiling per address (which still stops one address trying a password on many accounts) is far higher.
ADDRESS_CEILING = 20


class LoginLimiter:
    """At most `max_failures` failed logins per (address, account), and ADDRESS_CEILING times that per
    address, per window. A correct password for an account not over its own limit gets in below the
    ceiling, whatever other accounts did from the same address; past it too, from a browser where the
    account logged in before (`known`), so that someone spraying passwords from the office's shared
    address does not lock its staff out."""

    def __init__(self, max_failures: int, window_seconds: int) -> None:
        self.max_failures, self.window = max_failures, window_seconds
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        found = self._failures.setdefault(key, deque())
        while found and now - found[0] > self.window:
            found.popleft()
        return found

    def retry_after(self, address: str, user: str, known: bool = False) -> int:
        """Seconds to wait before another attempt (0: go ahead)."""
        now = time.monotonic()
        limits = [((address, user.lower()), self.max_failures)]
        if not known:
            limits.append(((address, "*"), ADDRESS_CEILING * self.max_failures))
        with self._lock:
            for key, limit in limits:
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
