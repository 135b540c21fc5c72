"""Write and read the audit log. Entries are only inserted: an update or delete is refused at flush."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chiso.audit.models import AuditEntry
from chiso.permissions import Actor, check


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
) -> AuditEntry:
    entry = AuditEntry(
        actor=actor, action=action, entity=entity, entity_key=entity_key, before=before, after=after, reason=reason
    )
    session.add(entry)
    return entry


def list_entries(
    *, session: Session, actor: Actor, entity: str | None = None, entity_key: str | None = None, limit: int = 1000
) -> Sequence[AuditEntry]:
    check(actor, "audit.view")
    query = select(AuditEntry).order_by(AuditEntry.id)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_key is not None:
        query = query.where(AuditEntry.entity_key == entity_key)
    return session.scalars(query.limit(limit)).all()
