"""Actors: create them and resolve a user name to the `Actor` the services take."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from chiso.actors.models import ActorRecord
from chiso.audit import service as audit
from chiso.errors import ChisoError, NotFound
from chiso.permissions import ROLES, Actor, check

SETUP_USER = "setup"  # who creates the first administrator (`chiso db upgrade --admin USER`)


def to_actor(record: ActorRecord) -> Actor:
    return Actor(record.user, frozenset(r for r in record.roles.split(",") if r), record.unit_code)


def get_by_user(*, session: Session, user: str) -> Actor:
    record = session.scalar(select(ActorRecord).where(ActorRecord.user == user))
    if record is None:
        known = session.scalars(select(ActorRecord.user).order_by(ActorRecord.user).limit(20)).all()
        raise NotFound(f"no actor {user!r}; known: {', '.join(known) or 'none (run chiso db upgrade --admin USER)'}")
    return to_actor(record)


def ensure(
    *, session: Session, user: str, roles: set[str], unit_code: str | None = None, name: str = "", actor: Actor | None
) -> Actor:
    """The actor `user`, created with `roles` (and unit) if new; an existing one must agree on the unit.

    `actor` None is allowed only for the first administrator, created by the setup.
    """
    bad = roles - set(ROLES)
    if bad:
        raise ChisoError(f"unknown role(s) {sorted(bad)}; roles are {', '.join(ROLES)}")
    if actor is not None:
        check(actor, "actor.manage")
    record = session.scalar(select(ActorRecord).where(ActorRecord.user == user))
    if record is not None:
        if unit_code is not None and record.unit_code not in (None, unit_code):
            raise ChisoError(f"{user} is the officer of unit {record.unit_code}, not {unit_code}")
        merged = set(record.roles.split(",")) | roles
        if merged != set(record.roles.split(",")) or (unit_code and record.unit_code is None):
            before = {"roles": record.roles, "unit_code": record.unit_code}
            record.roles = ",".join(sorted(merged))
            record.unit_code = record.unit_code or unit_code
            audit.record(
                session=session,
                actor=actor.user if actor else SETUP_USER,
                action="actor.update",
                entity="actor",
                entity_key=user,
                before=before,
                after={"roles": record.roles, "unit_code": record.unit_code},
            )
        return to_actor(record)
    record = ActorRecord(user=user, name=name, roles=",".join(sorted(roles)), unit_code=unit_code)
    session.add(record)
    audit.record(
        session=session,
        actor=actor.user if actor else SETUP_USER,
        action="actor.create",
        entity="actor",
        entity_key=user,
        after={"roles": record.roles, "unit_code": unit_code},
    )
    session.flush()
    return to_actor(record)
