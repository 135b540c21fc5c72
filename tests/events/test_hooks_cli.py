"""`chiso hooks …`, `chiso worker` and the worker of `chiso serve`, through the CLI."""

from __future__ import annotations

import re

from chiso.db import make_engine, transaction
from tests import factories as f
from tests.conftest import TEST_CLOCK


def test_hooks_add_list_test_log_remove_and_worker(cli, cli_env, receiver):
    assert cli("db", "upgrade", "--admin", "admin").exit_code == 0
    bad = cli("hooks", "add", "ioc.example.vn", "--as", "admin")
    assert bad.exit_code != 0 and "not an http(s) URL" in bad.stderr
    added = cli("hooks", "add", receiver.url, "--events", "vn.chiso.period.*", "--as", "admin")
    assert added.exit_code == 0, added.stderr
    hook = re.search(r"subscribed: (\d+)", added.stdout).group(1)
    assert "signing secret" in added.stdout
    listed = cli("hooks", "list", "--as", "admin")
    assert receiver.url in listed.stdout and "vn.chiso.period.*" in listed.stdout
    tested = cli("hooks", "test", hook, "--as", "admin")
    assert tested.exit_code == 0 and "delivered" in tested.stdout, tested.stdout + tested.stderr
    engine = make_engine(cli_env)
    try:
        with transaction(engine, TEST_CLOCK) as s:
            f.open_period(s, f.people(s)["admin"])
    finally:
        engine.dispose()
    worked = cli("worker", "--once")
    assert worked.exit_code == 0, worked.stderr
    assert [e["type"] for e in receiver.events()] == ["vn.chiso.ping", "vn.chiso.period.opened"]
    log = cli("hooks", "log", "--state", "delivered", "--as", "admin")
    assert "vn.chiso.period.opened" in log.stdout and receiver.events()[1]["id"] in log.stdout
    assert cli("hooks", "log", "--state", "lost", "--as", "admin").exit_code != 0
    assert cli("hooks", "remove", hook, "--as", "admin").exit_code == 0
    assert receiver.url not in cli("hooks", "list", "--as", "admin").stdout
    refused = cli("hooks", "list", "--as", "canbo.ducxuan")
    assert refused.exit_code != 0 and "hooks.manage" in refused.stderr


def test_serve_starts_the_worker_unless_told_not_to(cli, cli_env, monkeypatch):
    started: list[str] = []
    monkeypatch.setattr("chiso.web.serve", lambda settings, host, port, workers: None)
    monkeypatch.setattr("chiso.events.runner.start", lambda settings: lambda: started.append("stopped"))
    assert cli("serve").exit_code == 0 and started == ["stopped"]
    assert cli("serve", "--no-worker").exit_code == 0 and started == ["stopped"]
