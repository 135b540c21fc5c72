from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Scope = Literal["read", "write"]
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"  # one @, a dot in the domain: what can be checked without mailing


class UserCreate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    user: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    roles: frozenset[str] = Field(min_length=1)
    unit_code: str | None = Field(None, max_length=32)
    name: str = Field("", max_length=200)
    password: str | None = Field(None, min_length=8, max_length=200)
    email: str | None = Field(None, max_length=254, pattern=EMAIL)


@dataclass(frozen=True)
class UserView:
    id: int
    user: str
    name: str
    roles: tuple[str, ...]
    unit_code: str | None
    disabled: bool
    has_password: bool
    last_login_at: dt.datetime | None
    email: str | None = None
    must_change_password: bool = False


@dataclass(frozen=True)
class TokenView:
    id: int
    user: str
    name: str
    prefix: str
    scope: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None

    def active(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


@dataclass(frozen=True)
class IssuedToken:
    """A new token: `secret` is shown once and never stored."""

    view: TokenView
    secret: str


@dataclass(frozen=True)
class Session:
    """Who a login or a token resolves to."""

    account_id: int
    user: str
    session_version: int
    scope: Scope = "write"
