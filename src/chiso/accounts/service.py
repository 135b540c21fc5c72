"""Accounts and API tokens: create, list, disable; log in; issue, resolve and revoke tokens.

Passwords are kept as argon2 hashes; tokens as the sha256 of a random secret shown once (a token has
256 bits of entropy, so a fast hash is enough and lets every API call be checked cheaply).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from chiso import clock
from chiso.accounts import passwords
from chiso.accounts.models import Account, ApiToken, WebSession
from chiso.accounts.schemas import IssuedToken, Scope, TokenView, UserCreate, UserView
from chiso.actors import service as actors
from chiso.actors.models import ActorRecord
from chiso.audit import service as audit
from chiso.errors import ChisoError, NotFound
from chiso.permissions import ROLES, Actor, check

TOKEN_PREFIX = "chiso_"
HASHER = PasswordHasher()  # argon2id with the library's defaults (RFC 9106 low-memory profile)
_DUMMY_HASH = HASHER.hash("not a password")  # verified against for unknown users: same time either way


def _roles(record: ActorRecord) -> tuple[str, ...]:
    return tuple(r for r in record.roles.split(",") if r)


def _view(account: Account) -> UserView:
    record = account.actor
    return UserView(
        account.id,
        record.user,
        record.name,
        _roles(record),
        record.unit_code,
        account.disabled,
        account.password_hash is not None,
        account.last_login_at,
        account.email,
        account.must_change_password,
    )


def _get(session: Session, user: str) -> Account:
    found = session.scalar(select(Account).join(Account.actor).where(ActorRecord.user == user))
    if found is None:
        raise NotFound.of("account.unknown", field="user", user=user)
    return found


def create_user(*, session: Session, user_in: UserCreate, actor: Actor | None) -> UserView:
    """A new account (and its actor). `actor` None only for the first administrator, made by the setup."""
    if actor is not None:
        check(actor, "account.manage")
    bad = set(user_in.roles) - set(ROLES)
    if bad:
        raise ChisoError.of("account.role-unknown", field="roles", hint="--role", roles=sorted(bad), known=ROLES)
    if "officer" in user_in.roles and not user_in.unit_code:
        raise ChisoError.of("account.unit-needed", field="unit_code", hint="--unit")
    if "officer" not in user_in.roles and user_in.unit_code:
        raise ChisoError.of("account.unit-not-allowed", field="unit_code", hint="--unit")
    if user_in.password is not None:
        passwords.check(user_in.password, user_in.user)
    existing = session.scalar(select(ActorRecord).where(ActorRecord.user == user_in.user))
    if existing is not None:
        has_account = session.scalar(select(Account.id).where(Account.actor_id == existing.id))
        if has_account is not None:
            raise ChisoError.of("account.exists", field="user", user=user_in.user)
    actors.ensure(
        session=session,
        user=user_in.user,
        roles=set(user_in.roles),
        unit_code=user_in.unit_code,
        name=user_in.name,
        actor=actor,
    )
    record = session.scalar(select(ActorRecord).where(ActorRecord.user == user_in.user))
    assert record is not None
    account = Account(
        actor=record,
        password_hash=HASHER.hash(user_in.password) if user_in.password else None,
        disabled=False,
        email=user_in.email,
    )
    session.add(account)
    audit.record(
        session=session,
        actor=actor.user if actor else actors.SETUP_USER,
        action="account.create",
        entity="account",
        entity_key=user_in.user,
        after={"roles": record.roles, "unit_code": record.unit_code, "password": bool(user_in.password)},
    )
    session.flush()
    return _view(account)


def has_account(*, session: Session, user: str) -> bool:
    """Whether `user` can log in already (an actor may exist without an account)."""
    found = session.scalar(
        select(Account.id).join(ActorRecord, Account.actor_id == ActorRecord.id).where(ActorRecord.user == user)
    )
    return found is not None


def list_users(*, session: Session, actor: Actor) -> list[UserView]:
    check(actor, "account.manage")
    rows = session.scalars(select(Account).join(Account.actor).order_by(ActorRecord.user)).all()
    return [_view(a) for a in rows]


def set_disabled(*, session: Session, user: str, disabled: bool, actor: Actor) -> UserView:
    """Disable (or enable again) an account: its sessions end and its tokens stop working at once."""
    check(actor, "account.manage")
    account = _get(session, user)
    if disabled and user == actor.user:
        raise ChisoError.of("account.self-disable", field="user")
    if account.disabled != disabled:
        account.disabled = disabled
        account.session_version += 1
        audit.record(
            session=session,
            actor=actor.user,
            action="account.disable" if disabled else "account.enable",
            entity="account",
            entity_key=user,
            before={"disabled": not disabled},
            after={"disabled": disabled},
        )
    session.flush()
    return _view(account)


def set_password(*, session: Session, user: str, password: str, actor: Actor) -> None:
    """Set a password (an administrator for anyone, a user for themselves); other sessions end."""
    if user != actor.user:
        check(actor, "account.manage")
    passwords.check(password, user)
    account = _get(session, user)
    account.password_hash = HASHER.hash(password)
    account.must_change_password = False
    account.session_version += 1
    audit.record(session=session, actor=actor.user, action="account.password", entity="account", entity_key=user)


def reset_password(*, session: Session, user: str, actor: Actor) -> str:
    """An administrator's reset: a temporary password, returned once (never stored in clear, never
    logged), which its user must change at the next login. The account's sessions end."""
    check(actor, "account.manage")
    if _get(session, user).password_hash is None:
        raise ChisoError.of("account.no-password", field="user", user=user)
    temporary = issue_temporary_password(session=session, user=user, actor=actor)
    audit.record(
        session=session,
        actor=actor.user,
        action="account.password-reset",
        entity="account",
        entity_key=user,
        after={"must_change_password": True},
    )
    session.flush()
    return temporary


def issue_temporary_password(*, session: Session, user: str, actor: Actor) -> str:
    """A new temporary password for `user` (a reset, an imported account): it must be changed at login."""
    check(actor, "account.manage")
    account = _get(session, user)
    temporary = temporary_password()
    account.password_hash = HASHER.hash(temporary)
    account.must_change_password = True
    account.session_version += 1
    return temporary


def temporary_password() -> str:
    """Four groups of letters and digits without look-alikes (0/O, 1/l/I): easy to read out and type."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def change_password(*, session: Session, user: str, current: str, new: str, actor: Actor) -> int:
    """A user changes their own password, giving the current (or temporary) one: the new session
    version, so that the caller keeps this login while every other one ends."""
    check(actor, "account.password" if user == actor.user else "account.manage")
    account = _get(session, user)
    try:
        HASHER.verify(account.password_hash or _DUMMY_HASH, current)
    except (VerificationError, InvalidHashError):
        raise ChisoError.of("password.wrong", field="current") from None
    if new == current:
        raise ChisoError.of("password.same", field="new")
    passwords.check(new, user)
    account.password_hash = HASHER.hash(new)
    account.must_change_password = False
    account.session_version += 1
    audit.record(session=session, actor=actor.user, action="account.password", entity="account", entity_key=user)
    session.flush()
    return account.session_version


def must_change_password(*, session: Session, account_id: int) -> bool:
    account = session.get(Account, account_id)  # already loaded for the request: no query
    return bool(account is not None and account.must_change_password)


def authenticate(*, session: Session, user: str, password: str) -> tuple[Actor, int, int] | None:
    """(actor, account id, session version) when the password is right and the account enabled."""
    account = session.scalar(select(Account).join(Account.actor).where(ActorRecord.user == user))
    stored = account.password_hash if account is not None and account.password_hash else _DUMMY_HASH
    try:
        HASHER.verify(stored, password)
        good = account is not None and account.password_hash is not None and not account.disabled
    except (VerificationError, InvalidHashError):
        good = False
    if not good or account is None:
        return None
    if HASHER.check_needs_rehash(stored):
        account.password_hash = HASHER.hash(password)
    account.last_login_at = clock.of(session).now()
    return actors.to_actor(account.actor), account.id, account.session_version


def start_session(*, session: Session, account_id: int, hours: int) -> str:
    """A new web session of the account, for `hours`: its secret, for the cookie (only its hash is kept)."""
    now = clock.of(session).now()
    # Sessions that expired are of no use to anyone: drop the account's old ones as a new one starts.
    session.execute(delete(WebSession).where(WebSession.account_id == account_id, WebSession.expires_at <= now))
    secret = secrets.token_urlsafe(32)
    session.add(
        WebSession(account_id=account_id, secret_sha256=_digest(secret), expires_at=now + dt.timedelta(hours=hours))
    )
    session.flush()
    return secret


def end_session(*, session: Session, secret: str) -> int | None:
    """Log out: the session is gone, whoever holds a copy of its cookie. Its account id, if it existed."""
    found = session.scalar(select(WebSession).where(WebSession.secret_sha256 == _digest(secret)))
    if found is None:
        return None
    session.delete(found)
    session.flush()
    return found.account_id


def actor_for_session(*, session: Session, account_id: int, session_version: int, secret: str) -> Actor | None:
    """The actor of a logged-in session, or None when it was logged out, the account was disabled, or
    all its sessions were ended (a new password: the session version moved on)."""
    account = session.get(Account, account_id)
    if account is None or account.disabled or account.session_version != session_version:
        return None
    # How long a login lasts is the signed cookie's age (checked before this); the row is what logging
    # out removes. Its expires_at only lets rows of long-gone sessions be dropped.
    found = session.scalar(select(WebSession).where(WebSession.secret_sha256 == _digest(secret)))
    if found is None or found.account_id != account_id:
        return None
    return actors.to_actor(account.actor)


# --- API tokens ------------------------------------------------------------------------------------


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _token_view(token: ApiToken) -> TokenView:
    return TokenView(
        token.id,
        token.account.actor.user,
        token.name,
        token.prefix,
        token.scope,
        token.created_at,
        token.expires_at,
        token.revoked_at,
        token.last_used_at,
    )


def create_token(*, session: Session, user: str, scope: Scope, days: int, actor: Actor, name: str = "") -> IssuedToken:
    """A token for `user`, valid `days` days; its secret is returned once and never stored."""
    check(actor, "account.manage")
    if scope not in ("read", "write"):
        raise ChisoError.of("token.scope", field="scope", hint="--scope", scope=scope)
    if not 1 <= days <= 3660:
        raise ChisoError.of("token.days", field="days", hint="--days")
    account = _get(session, user)
    if account.disabled:
        raise ChisoError.of("account.disabled", field="user", user=user)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        account=account,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_sha256=_digest(secret),
        scope=scope,
        created_by=actor.user,
        expires_at=clock.of(session).now() + dt.timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session=session,
        actor=actor.user,
        action="token.create",
        entity="api_token",
        entity_key=str(token.id),
        after={"user": user, "scope": scope, "expires_at": token.expires_at.isoformat(), "name": name},
    )
    return IssuedToken(_token_view(token), secret)


def list_tokens(*, session: Session, actor: Actor, user: str | None = None) -> list[TokenView]:
    check(actor, "account.manage")
    query = select(ApiToken).order_by(ApiToken.id)
    if user is not None:
        query = query.where(ApiToken.account_id == _get(session, user).id)
    return [_token_view(t) for t in session.scalars(query).all()]


def revoke_token(*, session: Session, token_id: int, actor: Actor) -> TokenView:
    check(actor, "account.manage")
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound.of("token.unknown", field="token", id=token_id)
    if token.revoked_at is None:
        token.revoked_at = clock.of(session).now()
        audit.record(
            session=session, actor=actor.user, action="token.revoke", entity="api_token", entity_key=str(token_id)
        )
    session.flush()
    return _token_view(token)


def resolve_token(*, session: Session, secret: str) -> tuple[Actor, Scope] | None:
    """The actor and scope of a valid token (not expired, not revoked, account enabled), else None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _digest(secret)))
    now = clock.of(session).now()
    if token is None or token.revoked_at is not None or token.expires_at <= now or token.account.disabled:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        token.last_used_at = now  # at most one write every few minutes per token
    scope: Scope = "write" if token.scope == "write" else "read"
    return actors.to_actor(token.account.actor), scope
