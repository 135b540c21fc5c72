"""`chiso users …` and `chiso serve` through the CLI."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from chiso.accounts import service as accounts


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_users_create_list_disable_token(cli, cli_env):
    assert cli("db", "upgrade", "--admin", "admin").exit_code == 0
    made = cli("users", "create", "admin", "--role", "admin", "--password", "mat-khau-1", "--as", "admin")
    assert made.exit_code == 0, made.stderr
    officer = cli(
        "users",
        "create",
        "canbo.ducxuan",
        "--role",
        "officer",
        "--unit",
        "01840",
        "--password",
        "mat-khau-2",
        "--name",
        "Nguyễn Văn A",
        "--as",
        "admin",
    )
    assert officer.exit_code == 0 and "01840" in officer.stdout
    no_unit = cli("users", "create", "canbo.x", "--role", "officer", "--password", "mat-khau-3", "--as", "admin")
    assert no_unit.exit_code == 2 and "needs the unit" in no_unit.stderr
    refused = cli("users", "list", "--as", "canbo.ducxuan")
    assert refused.exit_code == 2 and "account.manage" in refused.stderr
    token = cli("users", "token", "canbo.ducxuan", "--scope", "write", "--days", "7", "--name", "test", "--as", "admin")
    assert token.exit_code == 0 and token.stdout.startswith("chiso_")
    listed = cli("users", "list", "--as", "admin")
    assert (
        "canbo.ducxuan" in listed.stdout
        and "Cán bộ đơn vị" in listed.stdout
        and "officer" not in listed.stdout
        and "write" in listed.stdout
    )
    assert cli("users", "disable", "canbo.ducxuan", "--as", "admin").exit_code == 0
    assert "khoá / disabled" in cli("users", "list", "--as", "admin").stdout
    assert cli("users", "disable", "canbo.ducxuan", "--enable", "--as", "admin").exit_code == 0
    revoked = cli("users", "token", "--revoke", "1", "--as", "admin")
    assert revoked.exit_code == 0 and "revoked token 1" in revoked.stdout
    bad_scope = cli("users", "token", "canbo.ducxuan", "--scope", "all", "--as", "admin")
    assert bad_scope.exit_code == 2


def test_serve_hands_the_settings_to_the_web_app(cli, cli_env, monkeypatch):
    seen = {}
    monkeypatch.setattr(
        "chiso.web.serve", lambda settings, host, port, workers: seen.update(host=host, port=port, workers=workers)
    )
    result = cli("serve", "--host", "127.0.0.1", "--port", "8123")
    assert result.exit_code == 0 and seen == {"host": "127.0.0.1", "port": 8123, "workers": None}
    result = cli("serve", "--workers", "2")
    assert result.exit_code == 0 and seen == {"host": "127.0.0.1", "port": 8000, "workers": 2}
    assert cli("serve", "--workers", "0").exit_code == 2  # at least one process
