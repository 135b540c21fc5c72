"""The demo's accounts (one per role) as data, and the officers the simulated units declare as."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import yaml
from sqlalchemy.orm import Session

from chiso.units.text import fold


@dataclass(frozen=True)
class DemoAccount:
    user: str
    name: str
    role: str
    password: str  # for the demo only: the web app stores an argon2 hash of it
    unit: str | None = None


def demo_accounts() -> list[DemoAccount]:
    """The accounts listed in the README, from `demo/data/accounts.yaml`."""
    text = (resources.files("chiso.demo") / "data" / "accounts.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    return [DemoAccount(**entry) for entry in document["accounts"]]


def officer_user(code: str, name: str, taken: set[str]) -> str:
    """A unit officer's user name: canbo.ducxuan for Phường Đức Xuân, canbo.skhcn for 19-SKHCN."""
    if "-" in code:
        slug = code.split("-", 1)[1].lower()
    else:
        slug = re.sub(r"^(xa|phuong|dac khu|thi tran) ", "", fold(name)).replace(" ", "")
    user = f"canbo.{slug}"
    if user in taken:
        user = f"{user}.{code}"
    taken.add(user)
    return user


def ensure_demo_logins(session: Session) -> int:
    """Give every demo account a login (argon2-hashed password) unless it has one; returns how many."""
    from chiso.accounts.schemas import UserCreate
    from chiso.accounts.service import create_user, has_account

    created = 0
    for account in demo_accounts():
        if has_account(session=session, user=account.user):
            continue
        user_in = UserCreate(
            user=account.user,
            roles=frozenset({account.role}),
            unit_code=account.unit,
            name=account.name,
            password=account.password,
        )
        create_user(session=session, user_in=user_in, actor=None)  # the setup creates them, as for the first admin
        created += 1
    return created
