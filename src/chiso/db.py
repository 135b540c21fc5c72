"""Database plumbing: the declarative Base with a naming convention, engines and sessions.

Nothing connects at import time: a CLI command (or, later, the web app) builds an engine from the
settings and owns the transaction; services receive a session and never commit.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.types import TypeDecorator

from chiso.clock import KEY, SYSTEM, Clock, bind, of
from chiso.errors import ImmutableError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets foreign keys on and its parent folder created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


BUSY_TIMEOUT_MS = 5000  # how long SQLite waits for a lock before answering "database is locked"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, begin transactions, so that SAVEPOINT works (the recipe
    # of SQLAlchemy's SQLite dialect documentation).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA temp_store=MEMORY")  # savepoint journals in memory: every write uses one
    # Write-ahead log: readers neither wait for a writer nor hold up its commit, so that a save holds the
    # write lock only for its own work (the setting stays with the file; ":memory:" keeps its own).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


WRITE = "chiso_write"  # execution option of a transaction that will write (see `begin_write`)
BEGIN_ATTEMPTS = 4  # each waits up to BUSY_TIMEOUT_MS for the write lock, with a short pause between


def _sqlite_begin(connection: Any) -> None:
    if not connection.get_execution_options().get(WRITE):
        connection.exec_driver_sql("BEGIN")
        return
    # BEGIN IMMEDIATE takes the write lock now. A plain BEGIN would take it at the first write, after the
    # request has read under a shared lock, and SQLite refuses that upgrade at once ("database is locked",
    # without waiting) when another writer is committing: the save failed with a 500.
    for attempt in range(BEGIN_ATTEMPTS):
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except DBAPIError as exc:
            if attempt == BEGIN_ATTEMPTS - 1 or not transient(exc):
                raise
        time.sleep(0.05 * 2**attempt * (1 + random.random()))


def begin_write(session: Session) -> None:
    """Begin the session's transaction as one that writes: on SQLite it waits for the write lock at once
    (BEGIN IMMEDIATE), so that concurrent writers queue instead of failing; reads keep a plain BEGIN and
    stay concurrent. On PostgreSQL nothing changes: writers wait on the rows they change."""
    session.connection(execution_options={WRITE: True})


# PostgreSQL: serialization failure, deadlock detected, lock not available.
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def transient(exc: BaseException) -> bool:
    """A lock or serialization error that a later attempt may not meet (SQLite busy or locked; PostgreSQL
    serialization failure or deadlock), as opposed to a bug or bad data."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return isinstance(orig, sqlite3.OperationalError) and ("locked" in str(orig) or "busy" in str(orig))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine, clock: Clock = SYSTEM) -> Iterator[Session]:
    """One session and one transaction, with its clock: committed when the block ends, rolled back on an
    exception."""
    with session_factory(engine)() as session:
        bind(session, clock)
        with session.begin():
            yield session


def import_models() -> None:
    """Register every table on Base.metadata (migrations and tests compare against it)."""
    import chiso.accounts.models
    import chiso.actors.models
    import chiso.audit.models
    import chiso.collection.models
    import chiso.events.models
    import chiso.ministry.models
    import chiso.programme.models
    import chiso.results.models
    import chiso.service766.models
    import chiso.values.models  # noqa: F401


# --- rows that never change ------------------------------------------------------------------------
# (model, message, attributes that may still change, and when) — checked before every flush.
_GUARDED: dict[type, tuple[str, frozenset[str], Callable[[Any], bool]]] = {}


def append_only(
    model: type, message: str, *, mutable: tuple[str, ...] = (), when: Callable[[Any], bool] = lambda _obj: True
) -> None:
    """Refuse, at flush, any delete of `model` rows and any update except of `mutable` attributes."""
    _GUARDED[model] = (message, frozenset(mutable), when)


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.deleted:
        if type(obj) in _GUARDED:
            raise ImmutableError(_GUARDED[type(obj)][0])
    for obj in session.dirty:
        guard = _GUARDED.get(type(obj))
        if guard is None or not session.is_modified(obj):
            continue
        message, mutable, when = guard
        changed = {a.key for a in obj.__mapper__.column_attrs if get_history(obj, a.key).has_changes()}
        if changed - mutable or (changed and not when(obj)):
            raise ImmutableError(message)


# --- the clock of timestamp defaults -----------------------------------------------------------------
@event.listens_for(Session, "after_begin")
def _hand_clock_to_connection(session: Session, transaction: Any, connection: Any) -> None:
    # Column defaults (`created_at` …) run with the connection, not the session: pass the clock along.
    connection.info[KEY] = of(session)


def column_now(context: Any) -> dt.datetime:
    """Default of a timestamp column: now, by the clock of the session that writes the row."""
    connection = getattr(context, "connection", None)
    clock: Clock = connection.info.get(KEY, SYSTEM) if connection is not None else SYSTEM
    return clock.now()
