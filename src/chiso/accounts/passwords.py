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
    """Refuse a weak password, saying why (Vietnamese first, English second)."""
    if len(password) < MIN_LENGTH:
        raise ChisoError(f"Mật khẩu cần ít nhất {MIN_LENGTH} ký tự / a password needs at least {MIN_LENGTH} characters")
    if user and user.lower() in password.lower():
        raise ChisoError("Mật khẩu không được chứa tên đăng nhập / a password may not contain the user name")
    if password.lower() in common():
        raise ChisoError(
            "Mật khẩu này quá phổ biến, dễ bị đoán; hãy chọn mật khẩu khác, ví dụ vài từ ghép lại "
            "/ this password is too common and easily guessed; choose another, e.g. a few words together"
        )
