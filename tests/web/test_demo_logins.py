"""Every demo account the README lists logs in through the login page with the README's password."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import TEST_CLOCK
from tests.web.conftest import ASGI, csrf_of

from chiso.clock import bind
from chiso.demo.accounts import demo_accounts, ensure_demo_logins
from chiso.permissions import ROLE_LABELS
from chiso.settings import Settings
from chiso.web.app import create_app

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| `(?P<user>[^`]+)` \| (?P<role>[^|]+) \| (?P<unit>[^|]+) \| `(?P<password>[^`]+)` \|$", re.M)


def readme_accounts() -> dict[str, tuple[str, str | None]]:
    """user → (password, unit code or None), from the README's table of demo accounts."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("Demo accounts, one per role") :]
    table = table[: table.index("\n\n", table.index("| user |"))]
    found = {}
    for row in ROW.finditer(table):
        unit = row["unit"].strip()
        found[row["user"]] = (row["password"], None if unit == "—" else unit.split()[0])
    return found


@pytest.fixture
def app(migrated_engine: Engine, tmp_path: Path) -> Iterator[object]:
    """The app on an empty migrated database (rolled back at the end) where the demo logins were created."""
    connection = migrated_engine.connect()
    outer = connection.begin()

    def sessions() -> Session:
        return bind(
            Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False), TEST_CLOCK
        )

    with sessions() as s:
        assert ensure_demo_logins(s) == len(demo_accounts())
        assert ensure_demo_logins(s) == 0  # a second call finds them
        s.commit()
    try:
        yield create_app(
            Settings(_env_file=None, data_dir=tmp_path, secret_key="test-key"), sessions=sessions, clock=TEST_CLOCK
        )
    finally:
        outer.rollback()
        connection.close()


def test_the_readme_lists_the_demo_accounts():
    listed = readme_accounts()
    assert len(listed) >= 6
    assert listed == {a.user: (a.password, a.unit) for a in demo_accounts()}


def test_every_demo_account_logs_in(app):
    roles = {a.user: a.role for a in demo_accounts()}
    for user, (password, _unit) in readme_accounts().items():
        client = httpx.Client(transport=ASGI(app), base_url="http://testserver")  # type: ignore[arg-type]
        data = {"user": user, "password": password + "x", "csrf_token": csrf_of(client), "next": "/"}
        assert client.post("/login", data=data).status_code == 401, f"{user} logged in with a wrong password"
        data = {**data, "password": password, "csrf_token": csrf_of(client)}
        response = client.post("/login", data=data)
        assert response.status_code == 303, f"{user}: {response.status_code} {response.text[:300]}"
        home = client.get("/?lang=en")
        shown = re.search(rf'<span class="user" title="([^"]*)">{re.escape(user)}</span>', home.text)
        assert shown, f"{user} is not logged in"
        assert shown.group(1) == ROLE_LABELS[roles[user]][1], f"{user} logged in as {shown.group(1)}"
