"""Write and read the audit log. Entries are only inserted, each chained to the one before it.

`record` writes in the caller's transaction (a change and its entry commit or roll back together);
`record_apart` writes in a short transaction of its own, for what must stay recorded although the
request's transaction rolls back: a refused permission, a refused form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, event, func, select
from sqlalchemy.orm import Session

from chiso import clock
from chiso.audit import chain
from chiso.audit.models import AuditEntry
from chiso.clock import VIETNAM, Clock, bind
from chiso.permissions import Actor, check

HEAD = "chiso.audit.head"  # session.info: the last entry this transaction appended
# Entities whose key names a unit, and where (callers need not pass unit_code for these).
UNIT_IN_KEY = {"declaration": 1, "value": 0}


def record(
    *,
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_key: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    unit_code: str | None = None,
) -> AuditEntry:
    if unit_code is None and entity in UNIT_IN_KEY:
        parts = entity_key.split("/")
        unit_code = parts[UNIT_IN_KEY[entity]] if len(parts) > UNIT_IN_KEY[entity] else None
    entry = AuditEntry(
        at=clock.of(session).now().astimezone(dt.UTC),
        actor=actor[:64],
        action=action[:64],
        entity=entity[:64],
        entity_key=entity_key[:200],
        unit_code=unit_code[:32] if unit_code else None,
        before=chain.plain(before),
        after=chain.plain(after),
        reason=reason,
    )
    entry.prev_hash = _head(session)
    entry.hash = chain.link(entry.prev_hash, chain.fields_of(entry))
    session.add(entry)
    session.info[HEAD] = entry
    return entry


def record_apart(*, sessions: Callable[[], Session], clock: Clock, **entry: Any) -> None:
    """Record in a transaction of its own, committed at once (the caller's may be rolling back)."""
    with bind(sessions(), clock) as session, session.begin():
        record(session=session, **entry)


def _head(session: Session) -> str:
    """The hash the next entry follows: the last one this transaction appended, else the stored head."""
    last = session.info.get(HEAD)
    if last is not None and last in session:  # not rolled back with a savepoint
        return str(last.hash)
    # No autoflush: recording must not flush the caller's half-built rows. Entries of this transaction
    # are flushed already (a savepoint flushes before it begins) or are the cached head above.
    with session.no_autoflush:
        chain.lock(session)
        stored = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    return stored or chain.GENESIS


def last_id(session: Session) -> int:
    """The id of the newest entry (0 for none): a version of everything stored.

    Every change of data writes an entry in its transaction, and entries are appended under the chain's
    lock, which their transaction keeps until it ends: ids grow in the order the changes commit. A reader
    that sees entry N sees every change committed before it; one committed later has an id above N.
    """
    return session.scalar(select(func.max(AuditEntry.id))) or 0


@event.listens_for(Session, "after_transaction_end")
def _forget_head(session: Session, transaction: Any) -> None:
    # Once the transaction ends, its lock is gone: the next one reads the head again, under the lock.
    if transaction.parent is None:
        session.info.pop(HEAD, None)


# --- reading -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    user: str | None = None
    action: str | None = None  # exact, or a prefix ending with "." ("login." …) or "*"
    unit_code: str | None = None
    since: dt.date | None = None  # days in Vietnam, both ends included
    until: dt.date | None = None


@dataclass(frozen=True)
class EntryPage:
    entries: list[AuditEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filtered(query: Select[Any], filters: Filters) -> Select[Any]:
    if filters.user:
        query = query.where(AuditEntry.actor == filters.user)
    if filters.action:
        if filters.action.endswith(("*", ".")):
            query = query.where(AuditEntry.action.startswith(filters.action.rstrip("*"), autoescape=True))
        else:
            query = query.where(AuditEntry.action == filters.action)
    if filters.unit_code:
        query = query.where(AuditEntry.unit_code == filters.unit_code)
    if filters.since:
        query = query.where(AuditEntry.at >= _start_of(filters.since))
    if filters.until:
        query = query.where(AuditEntry.at < _start_of(filters.until + dt.timedelta(days=1)))
    return query


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), VIETNAM).astimezone(dt.UTC)


def list_entries(
    *, session: Session, actor: Actor, filters: Filters = Filters(), page: int = 1, per_page: int = 50
) -> EntryPage:
    """One page of the entries that match, the newest first."""
    check(actor, "audit.view")
    total = session.scalar(_filtered(select(func.count()).select_from(AuditEntry), filters)) or 0
    query = _filtered(select(AuditEntry), filters).order_by(AuditEntry.id.desc())
    rows = session.scalars(query.offset((page - 1) * per_page).limit(per_page)).all()
    return EntryPage(list(rows), total, page, per_page)


def iter_entries(*, session: Session, actor: Actor, filters: Filters = Filters()) -> Iterator[AuditEntry]:
    """Every entry that matches, oldest first, read in batches (exports)."""
    check(actor, "audit.view")
    query = _filtered(select(AuditEntry), filters).order_by(AuditEntry.id).execution_options(yield_per=1000)
    result = session.scalars(query)
    try:
        yield from result
    finally:
        result.close()  # a server-side cursor on PostgreSQL, even when the reader stops early


def as_row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "entity": entry.entity,
        "entity_key": entry.entity_key,
        "unit_code": entry.unit_code or "",
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
        "hash": entry.hash,
    }


# --- the chain ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainReport:
    count: int  # entries checked (up to the first broken one)
    head: str  # hash of the last intact entry: note it elsewhere to detect a truncated log later
    broken_at: int | None = None  # id of the first entry whose link or content does not match
    problem: str = ""


def verify(*, session: Session, actor: Actor) -> ChainReport:
    """Walk the chain in order of id; the first entry that does not follow from the one before."""
    check(actor, "audit.view")
    previous, count = chain.GENESIS, 0
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000))
    with entries:  # closes the server-side cursor on PostgreSQL when we stop at a broken link
        for entry in entries:
            if entry.prev_hash != previous:
                problem = "does not follow the entry before it (removed or inserted)"
                return ChainReport(count, previous, entry.id, problem)
            if chain.link(previous, chain.fields_of(entry)) != entry.hash:
                return ChainReport(count, previous, entry.id, "its content was changed after it was written")
            previous, count = entry.hash, count + 1
    return ChainReport(count, previous)
