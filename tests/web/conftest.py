"""The web app on a rolled-back connection: data made through the services, requests through httpx."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests import factories as f
from tests.conftest import BACKENDS, TEST_CLOCK, fresh_database

from chiso.accounts import service as accounts
from chiso.accounts.schemas import UserCreate
from chiso.clock import bind
from chiso.permissions import Actor
from chiso.settings import Settings
from chiso.web.app import create_app

PASSWORD = "mat-khau-thu"


CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    monkeypatch.setattr(accounts, "HASHER", CHEAP)


class ASGI(httpx.BaseTransport):
    """httpx's ASGI transport, driven synchronously: each request runs the app in its own event loop."""

    def __init__(self, app: FastAPI) -> None:
        self.transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            response = await self.transport.handle_async_request(request)
            content = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        return asyncio.run(send())


TestClient = httpx.Client


@dataclass
class Site:
    app: FastAPI
    sessions: object
    people: dict[str, Actor]

    def session(self) -> Session:
        return self.sessions()  # type: ignore[operator]

    def client(self, user: str | None = None) -> TestClient:
        client = httpx.Client(transport=ASGI(self.app), base_url="http://testserver", follow_redirects=False)
        if user:
            login(client, user)
        return client


def csrf_of(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {path}: {page.status_code}"
    return found.group(1)


def login(client: TestClient, user: str, password: str = PASSWORD):
    token = csrf_of(client)
    response = client.post("/login", data={"user": user, "password": password, "csrf_token": token, "next": "/"})
    assert response.status_code == 303, response.text[:500]
    return response


def post_form(client: TestClient, path: str, data: dict, page: str, files=None):
    data = {**data, "csrf_token": csrf_of(client, page)}
    return client.post(path, data=data, files=files)


def _seed_people(s: Session) -> None:
    people = f.people(s)
    for key, actor in people.items():
        accounts.create_user(
            session=s,
            user_in=UserCreate(user=actor.user, roles=actor.roles, unit_code=actor.unit_code, password=PASSWORD),
            actor=None if key == "admin" else people["admin"],
        )
    for user, role in (("chuongtrinh", "programme_officer"), ("lanhdao", "viewer"), ("measure", "system")):
        accounts.create_user(
            session=s, user_in=UserCreate(user=user, roles=frozenset({role}), password=PASSWORD), actor=people["admin"]
        )


def _seed_published(s: Session) -> None:
    _seed_people(s)
    people = _people(s)
    f.open_period(s, people["admin"])
    f.results_for(s, people)
    f.task_plan(s, people["admin"])


def _seed_collecting(s: Session) -> None:
    """An open period: the officer of COMMUNE declared three items and submitted; OTHER has a draft."""
    from chiso.collection import service as collection

    _seed_people(s)
    people = _people(s)
    f.open_period(s, people["admin"])
    f.declare_all(s, people["officer"])
    collection.submit(session=s, period_code=f.PERIOD, unit_code=f.COMMUNE, actor=people["officer"])
    f.declare_all(s, people["other"], f.DECLARATIONS[:1], unit=f.OTHER)


def _people(s: Session) -> dict[str, Actor]:
    from chiso.actors import service as actors

    names = {
        "admin": "admin",
        "officer": "canbo.ducxuan",
        "other": "canbo.backan",
        "appraiser": "thamdinh",
        "programme_officer": "chuongtrinh",
        "viewer": "lanhdao",
    }
    return {key: actors.get_by_user(session=s, user=user) for key, user in names.items()}


SCENARIOS = {"empty": _seed_people, "published": _seed_published, "collecting": _seed_collecting}


@pytest.fixture(scope="session", params=BACKENDS)
def seeded(request, tmp_path_factory) -> Iterator[dict[str, Engine]]:
    """One database per scenario and backend, seeded once through the services (cheap password hashes)."""
    from chiso import migrations
    from chiso.db import make_engine, transaction

    engines: dict[str, Engine] = {}
    with ExitStack() as stack:
        original = accounts.HASHER
        accounts.HASHER = CHEAP
        try:
            for name, seed in SCENARIOS.items():
                url = stack.enter_context(fresh_database(request.param, tmp_path_factory.mktemp(name)))
                engine = make_engine(url)
                stack.callback(engine.dispose)
                migrations.upgrade(engine)
                with transaction(engine, TEST_CLOCK) as s:
                    seed(s)
                engines[name] = engine
        finally:
            accounts.HASHER = original
        yield engines


def _site(engine: Engine, folder: Path) -> Iterator[Site]:
    connection = engine.connect()
    outer = connection.begin()

    def sessions() -> Session:
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        return bind(session, TEST_CLOCK)

    settings = Settings(_env_file=None, data_dir=folder, secret_key="test-key", upload_max_bytes=200_000)
    app = create_app(settings, sessions=sessions, clock=TEST_CLOCK)
    with sessions() as s:
        people = _people(s)
    try:
        yield Site(app, sessions, people)
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def site(seeded, tmp_path: Path) -> Iterator[Site]:
    """Accounts for every role, no period."""
    yield from _site(seeded["empty"], tmp_path)


@pytest.fixture
def published(seeded, tmp_path: Path) -> Iterator[Site]:
    """A period of two communes with published final results, and a plan of tasks (factories.task_plan)."""
    yield from _site(seeded["published"], tmp_path)


@pytest.fixture
def collecting(seeded, tmp_path: Path) -> Iterator[Site]:
    """An open period: COMMUNE submitted three declared items; OTHER has a draft."""
    yield from _site(seeded["collecting"], tmp_path)


def token_for(site: Site, user: str, scope: str = "read") -> str:
    with site.session() as s:
        issued = accounts.create_token(session=s, user=user, scope=scope, days=30, actor=site.people["admin"])  # type: ignore[arg-type]
        s.commit()
    return issued.secret
