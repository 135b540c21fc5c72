"""The web app on a rolled-back connection: data made through the services, requests through httpx."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy.orm import Session
from tests import factories as f

from chiso.accounts import service as accounts
from chiso.accounts.schemas import UserCreate
from chiso.permissions import Actor
from chiso.settings import Settings
from chiso.web.app import create_app

PASSWORD = "mat-khau-thu"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


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


@pytest.fixture
def site(migrated_engine, tmp_path: Path) -> Iterator[Site]:
    connection = migrated_engine.connect()
    outer = connection.begin()

    def sessions() -> Session:
        return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="test-key", upload_max_bytes=200_000)
    app = create_app(settings, sessions=sessions)
    with sessions() as s:
        people = f.people(s)
        for key, actor in people.items():
            roles = actor.roles
            s.flush()
            accounts.create_user(
                session=s,
                user_in=UserCreate(user=actor.user, roles=roles, unit_code=actor.unit_code, password=PASSWORD),
                actor=None if key == "admin" else people["admin"],
            )
        for user, role in (("chuongtrinh", "programme_officer"), ("lanhdao", "viewer")):
            made = accounts.create_user(
                session=s,
                user_in=UserCreate(user=user, roles=frozenset({role}), password=PASSWORD),
                actor=people["admin"],
            )
            people[role] = Actor(made.user, frozenset(made.roles))
        s.commit()
    try:
        yield Site(app, sessions, people)
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def published(site: Site) -> Site:
    """A period of two communes with published final results."""
    with site.session() as s:
        f.open_period(s, site.people["admin"])
        f.results_for(s, site.people)
        s.commit()
    return site
