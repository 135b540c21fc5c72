from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chiso.actors.models import ActorRecord
from chiso.db import Base, column_now


class Account(Base):
    """The login of an actor: its password hash; roles and unit scope stay on the actor."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actor.id"), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: API tokens only
    disabled: Mapped[bool] = mapped_column(default=False)
    session_version: Mapped[int] = mapped_column(default=1)  # bumped to end every open session
    # set by an administrator's reset or an import: the user chooses their own at the next login
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    last_login_at: Mapped[dt.datetime | None]

    actor: Mapped[ActorRecord] = relationship(lazy="joined")


class ApiToken(Base):
    """A machine's token: only its sha256 is kept; scope `read` or `write`; expires; can be revoked."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]

    account: Mapped[Account] = relationship(lazy="joined")


class WebSession(Base):
    """A web login. The cookie carries its random secret (only the sha256 is kept); logging out deletes
    the row, so a copied cookie stops working then, not only when its signature expires."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    expires_at: Mapped[dt.datetime]
