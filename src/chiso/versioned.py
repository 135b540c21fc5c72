"""Check the version, write, audit: the one way a service changes a record that others may change too.

A caller read the record at some version (a form's hidden field, an API's `expected_version`).
`expect` refuses a stale version before anything is written. `write` runs the block's changes in a
savepoint and flushes them, so that a concurrent writer caught by the database (the row's version
moved: StaleDataError; PostgreSQL's deadlock or serialization failure) becomes a ConflictError
carrying the current value, with nothing of the block kept and the request's transaction still usable
to show it; then it records the audit entry. (A value's next version inserted twice is caught by
values.service.write, which keeps its own history.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from chiso.audit import service as audit
from chiso.db import transient
from chiso.errors import ConflictError


def expect(subject: str, *, version: int, expected: int | None, current: Callable[[], Any]) -> None:
    """ConflictError with `current()` when the caller read another version than the stored one."""
    if expected is not None and expected != version:
        raise ConflictError(subject, current())


@contextmanager
def write(
    *,
    session: Session,
    subject: str,
    current: Callable[[], Any],
    actor: str,
    action: str,
    entity: str,
    entity_key: str,
    before: dict[str, Any] | None,
    after: Callable[[], dict[str, Any]],
) -> Iterator[None]:
    """Make the block's changes, flushed in a savepoint, then audit them (`after()` once flushed).

    A concurrent writer met at the flush: ConflictError with `current()`, read after the rollback.
    """
    try:
        with session.begin_nested():
            yield
            session.flush()
    except (StaleDataError, OperationalError) as exc:
        if isinstance(exc, OperationalError) and not transient(exc):
            raise
        session.expire_all()  # what the other writer committed, not what this block had set
        raise ConflictError(subject, current()) from None
    audit.record(
        session=session,
        actor=actor,
        action=action,
        entity=entity,
        entity_key=entity_key,
        before=before,
        after=after(),
    )
