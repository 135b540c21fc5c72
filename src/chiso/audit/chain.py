"""The hash chain of the audit log: canonical JSON of an entry, its link to the previous one, the lock.

hash = sha256(previous hash + canonical JSON of the entry's fields), the first entry following GENESIS.
Changing, removing or inserting a row breaks the chain at that row; `verify` walks it in order of id.

Appends are serialised so that the chain cannot fork: before reading the head, a transaction takes the
chain's lock and keeps it until it ends — on PostgreSQL a transaction-level advisory lock (one per
schema), on SQLite the database's write lock (a write that changes nothing). Entries appended under
the lock get ids in the order of the chain. Should two heads ever be read at once all the same, the
unique `prev_hash` refuses the second insert: its transaction fails, the chain stays whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

GENESIS = "0" * 64
FIELDS = ("at", "actor", "action", "entity", "entity_key", "unit_code", "before", "after", "reason")


def plain(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """The value as the JSON column gives it back (tuples become lists, keys strings): what is hashed."""
    return None if value is None else json.loads(json.dumps(value, ensure_ascii=False))


def canonical(fields: dict[str, Any]) -> str:
    at = fields["at"]
    values = {**fields, "at": at.astimezone(dt.UTC).isoformat() if isinstance(at, dt.datetime) else at}
    return json.dumps({k: values.get(k) for k in FIELDS}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def link(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(fields)).encode("utf-8")).hexdigest()


def fields_of(entry: Any) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in FIELDS}


def lock(session: Session) -> None:
    """Take the chain's lock until the transaction ends (re-taking it is free)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('chiso.audit_entry'), hashtext(current_schema()))"))
    else:  # SQLite: any write takes the database's write lock; this one touches no row (no trigger fires)
        session.execute(text("UPDATE audit_entry SET id = id WHERE 0 = 1"))
