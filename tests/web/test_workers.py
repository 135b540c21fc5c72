"""`chiso serve --workers N`: several processes on one port, one signing key, one shared login limit."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from chiso import migrations
from chiso.db import make_engine
from chiso.settings import Settings
from chiso.web.app import create_app


def test_each_worker_gets_its_share_of_the_login_limit(tmp_path: Path):
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="k", login_max_failures=5, web_workers=2)
    assert create_app(settings).state.limiter.max_failures == 3  # 2 × 3 ≥ 5: about 5 in all, not 10
    assert create_app(settings.model_copy(update={"web_workers": 1})).state.limiter.max_failures == 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_workers(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'chiso.sqlite3'}")
    migrations.upgrade(engine)
    engine.dispose()
    port = free_port()
    keep = {k: v for k, v in os.environ.items() if not k.startswith("CHISO_")}
    env = {**keep, "CHISO_DATA_DIR": str(tmp_path), "CHISO_LOGIN_MAX_FAILURES": "4"}
    command = [sys.executable, "-m", "chiso", "serve", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "the workers did not start"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        if server.stderr:
            server.stderr.close()
    assert (tmp_path / "secret_key").exists()  # made once, by the parent, before the workers started


def test_two_workers_serve_with_one_key_and_one_limit(two_workers: str):
    outcomes = []
    for _ in range(6):
        with httpx.Client(base_url=two_workers, timeout=10) as client:  # a new connection: any worker
            page = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token, page.text[:300]
            answer = client.post("/login", data={"user": "x", "password": "wrong", "csrf_token": token.group(1)})
            outcomes.append(answer.status_code)
    # a CSRF token from one worker is good on the other (one signing key): a wrong password, not a 403
    assert 403 not in outcomes and outcomes[0] in (200, 401, 422), outcomes
    # 4 failures allowed in all, 2 per worker: whatever worker takes it, the 5th attempt is refused
    assert 429 in outcomes[:5], outcomes
    periods = httpx.get(two_workers + "/api/v1/periods", timeout=10)
    assert periods.status_code == 200  # the workers read the database named by the parent's settings
