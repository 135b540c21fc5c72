from __future__ import annotations

import datetime as dt
import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from chiso.clock import SYSTEM, VIETNAM, StartedClock, bind

ROOT = Path(__file__).resolve().parent.parent


def _shared() -> Path:
    """The team's ../shared folder (fixtures, boundaries): $CHISO_SHARED, else beside this checkout, else
    beside the repository this one was cloned from (`git clone . /tmp/x` leaves ../shared behind)."""
    if os.environ.get("CHISO_SHARED"):
        return Path(os.environ["CHISO_SHARED"])
    beside = ROOT.parent / "shared"
    if beside.exists():
        return beside
    origin = subprocess.run(
        ["git", "-C", str(ROOT), "remote", "get-url", "origin"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if origin and Path(origin).exists() and (Path(origin).resolve().parent / "shared").exists():
        return Path(origin).resolve().parent / "shared"
    raise RuntimeError(f"no shared folder beside {ROOT} or its origin: set CHISO_SHARED to the team's shared folder")


SHARED = _shared()

# --- time -------------------------------------------------------------------------------------------
# Every test runs on one clock, started at 09:00 (Vietnam) of the day the run starts, shifted by
# CHISO_TEST_SHIFT_DAYS (`tools/dev.py test` runs the date-sensitive folders again a year later); it
# ticks from there, so a run that crosses midnight still has one "today". Tests write dates relative
# to it; a test that passes today and fails next year is a defect.
SHIFT_DAYS = int(os.environ.get("CHISO_TEST_SHIFT_DAYS", "0"))
TODAY = SYSTEM.today() + dt.timedelta(days=SHIFT_DAYS)
TEST_CLOCK = StartedClock(dt.datetime.combine(TODAY, dt.time(9), VIETNAM))
FIXTURES = SHARED / "fixtures"
EXAMPLES = ROOT / "examples"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner: CliRunner):
    """Run `chiso …` in-process; returns the click Result (exit_code, stdout, stderr)."""
    from chiso.cli.main import app

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return invoke


# CI runs the property tests with a fixed seed, so that a run is reproducible; locally they explore.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


# --- databases ------------------------------------------------------------------------------------
# Every database test runs on SQLite and on PostgreSQL: the server at 127.0.0.1:5432 (user postgres,
# database test), or CHISO_TEST_DATABASE_URL. A PostgreSQL test database gets its own schema, so that
# runs sharing the server do not collide.

PG_URL = os.environ.get("CHISO_TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", "postgresql"]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop at once, saying what to do, when the PostgreSQL server is not there (not 600 connection errors)."""
    engine = create_engine(PG_URL)
    try:
        with engine.connect():
            pass
    except Exception as exc:
        pytest.exit(
            f"PostgreSQL is needed for the tests and is not reachable at {make_url(PG_URL).render_as_string()}: "
            f"{type(exc).__name__}. Start it (e.g. pg_ctlcluster 15 main start) or set CHISO_TEST_DATABASE_URL.",
            returncode=3,
        )
    finally:
        engine.dispose()


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'chiso.sqlite3'}"
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path: Path) -> Iterator[str]:
    """An empty database per test (migration and CLI tests)."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_engine(request, tmp_path_factory) -> Iterator[Engine]:
    """One migrated database per backend for the whole run; tests roll their changes back."""
    from chiso import migrations
    from chiso.db import make_engine

    with fresh_database(request.param, tmp_path_factory.mktemp(request.param)) as url:
        engine = make_engine(url)
        try:
            migrations.upgrade(engine)
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def db_session(migrated_engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back at the end of the test."""
    connection = migrated_engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    bind(session, TEST_CLOCK)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch) -> Iterator[str]:
    """Settings for CLI commands: a fresh database and data folder, through the environment."""
    monkeypatch.setenv("CHISO_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CHISO_DATABASE_URL", database_url)
    monkeypatch.setenv("CHISO_CLOCK", TEST_CLOCK.now().isoformat())
    yield database_url
