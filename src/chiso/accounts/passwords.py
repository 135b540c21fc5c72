"""What a password must be: long enough, not one of the common ones, not the user name.

The common ones are a list shipped in `data/common-passwords.txt` (see its header for where it comes
from): the passwords tried first by anyone guessing, whatever the rate limit.
"""

from __future__ import annotations

import functools
from importlib import resources

from chiso.errors import ChisoError

MIN_LENGTH = 8


@functools.cache
def common() -> frozenset[str]:
    text = (resources.files("chiso.accounts") / "data" / "common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check(password: str, user: str) -> None:
    """Refuse a weak password, saying why."""
    if len(password) < MIN_LENGTH:
        raise ChisoError.of("password.short", field="password", hint="--password", min=MIN_LENGTH)
    if user and user.lower() in password.lower():
        raise ChisoError.of("password.has-user", field="password", hint="--password")
    if password.lower() in common():
        raise ChisoError.of("password.common", field="password", hint="--password")
