"""Collections answered from bytes kept per data version, with an ETag; If-None-Match gets a 304.

The version is the newest audit entry's id (`audit.last_id`): every change of data writes one, in the
order the changes commit. A request reads it first (one indexed query), then looks for the answer
computed at that version for the same path, query and actor; only a miss runs the route's work. The
version is read before the data, so an answer is never older than its key (a change committed between
the two reads only makes the kept answer newer than its key, and the next request misses). Each
process keeps its own cache (several workers each key theirs on the same database version).

The ETag is a hash of the bytes: a change elsewhere (a login) moves the version and costs one
recomputation, but an unchanged answer keeps its ETag, and the client's copy stays valid.

On PostgreSQL the app reads the version on connections of its own (`VersionReader`), in autocommit and
without the pool's pre-ping: one round trip, and a hit never opens the request's session (no pre-ping,
BEGIN and COMMIT there). A change committed before that read is seen by it, as by the session's.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel
from pydantic_core import to_json
from sqlalchemy import URL, create_engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from chiso.audit import service as audit
from chiso.audit.models import AuditEntry
from chiso.permissions import Actor

GZIP_FROM = 800  # bytes: smaller answers go as they are (the app's GZipMiddleware threshold)
HEADERS = {"Cache-Control": "no-cache", "Vary": "Accept, Accept-Encoding, Authorization, Cookie"}
Body = Response | BaseModel | Sequence[BaseModel] | dict[str, Any] | list[Any]


@dataclass(frozen=True)
class Entry:
    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str
    headers: tuple[tuple[str, str], ...]

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


class ResponseCache:
    """Answers by (path, query, actor, data version), least recently used first out, up to `max_bytes`."""

    def __init__(self, max_bytes: int = 128 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[object, ...], Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._computing: dict[tuple[object, ...], threading.Lock] = {}

    def get(self, key: tuple[object, ...]) -> Entry | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], entry: Entry) -> None:
        if entry.size > self.max_bytes // 4:
            return  # one answer may not push out everything else
        with self._lock:
            old = self._entries.pop(key, None)
            self._bytes -= old.size if old else 0
            self._entries[key] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.size

    def get_or_compute(self, key: tuple[object, ...], compute: Callable[[], Entry]) -> Entry:
        """The entry of `key`, computed by one thread while the others asking for it wait (a cold start
        under load computes each answer once, not once per waiting client)."""
        found = self.get(key)
        if found is not None:
            return found
        with self._lock:
            turn = self._computing.setdefault(key, threading.Lock())
        with turn:
            found = self.get(key)
            if found is None:
                try:
                    found = compute()
                    self.put(key, found)
                finally:
                    with self._lock:
                        self._computing.pop(key, None)
            return found

    def __len__(self) -> int:
        return len(self._entries)


APPLICATION_NAME = "chiso-data-version"  # how its connections show in pg_stat_activity


class VersionReader:
    """The data version (`audit.last_id`) read on a small pool of autocommit connections of its own."""

    def __init__(self, url: URL) -> None:
        # No pre-ping: a connection the server dropped fails its query, the pool is invalidated, and the
        # read is tried once more on a new connection (what pre-ping buys, without its round trip on every read).
        self.engine = create_engine(
            url,
            pool_size=2,
            max_overflow=6,
            isolation_level="AUTOCOMMIT",
            connect_args={"application_name": APPLICATION_NAME},
        )
        self.query = select(func.max(AuditEntry.id))

    def __call__(self) -> int:
        try:
            return self._read()
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            return self._read()

    def _read(self) -> int:
        with self.engine.connect() as connection:
            return connection.scalar(self.query) or 0

    def dispose(self) -> None:
        self.engine.dispose()


def of(request: Request) -> ResponseCache:
    found: ResponseCache | None = getattr(request.app.state, "api_cache", None)
    if found is None:
        found = request.app.state.api_cache = ResponseCache()
    return found


def wants(request: Request, format: str | None) -> Literal["json", "csv"]:
    """`format` if given, else what the Accept header prefers (text/csv or JSON)."""
    if format in ("json", "csv"):
        return format  # type: ignore[return-value]
    accept = request.headers.get("accept", "").lower()
    csv_at, json_at = accept.find("text/csv"), accept.find("json")
    return "csv" if csv_at >= 0 and (json_at < 0 or csv_at < json_at) else "json"


def respond(request: Request, session: Session, actor: Actor, compute: Callable[[], Body], *, vary: str = "") -> Any:
    """The answer of `compute` at the current data version: from the cache when there, 304 when the
    client holds it already (If-None-Match), else computed, kept and sent (gzip when accepted)."""
    reader: VersionReader | None = getattr(request.app.state, "data_version", None)
    version = reader() if reader is not None else audit.last_id(session)
    query = tuple(sorted(request.query_params.multi_items()))
    key = (request.url.path, query, vary, actor.user, actor.roles, actor.unit_code, version)
    entry = of(request).get_or_compute(key, lambda: _entry(compute()))
    return send(request, entry)


def send(request: Request, entry: Entry) -> Response:
    headers = {**HEADERS, **dict(entry.headers), "ETag": entry.etag}
    if _matches(request.headers.get("if-none-match", ""), entry.etag):
        return Response(status_code=304, headers=headers)
    if entry.gzipped is not None and "gzip" in request.headers.get("accept-encoding", "").lower():
        return Response(entry.gzipped, media_type=entry.media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(entry.body, media_type=entry.media_type, headers=headers)


def entry_of(body: bytes, media_type: str, headers: dict[str, str] | None = None) -> Entry:
    etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    gzipped = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_FROM else None
    return Entry(body, gzipped, media_type, etag, tuple((headers or {}).items()))


def _entry(result: Body) -> Entry:
    if isinstance(result, Response):
        extra = {k: v for k, v in result.headers.items() if k.lower() == "content-disposition"}
        media_type = result.media_type or result.headers.get("content-type", "application/json")
        if media_type.startswith("text/") and "charset" not in media_type:
            media_type += "; charset=utf-8"
        return entry_of(bytes(result.body), media_type, extra)
    if isinstance(result, BaseModel):
        return entry_of(result.model_dump_json().encode(), "application/json")
    return entry_of(to_json(result), "application/json")


def _matches(header: str, etag: str) -> bool:
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags
