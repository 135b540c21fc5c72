"""Page weight on the demo's province: every main page under 300 KB over the wire (gzip), map geometry aside.

The data is the demo's for Thái Nguyên's 92 communes, made through the services: 2024 collected,
appraised and published, 2025 open with units at every stage (the appraisal queue). The map's
boundaries are not in the overview page: it refers to them as a separate SVG the browser caches.
"""

from __future__ import annotations

import asyncio
import gzip
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import Engine
from tests.conftest import TEST_CLOCK
from tests.web.conftest import ASGI, CHEAP

from chiso import migrations, units
from chiso.accounts import service as accounts
from chiso.db import make_engine, transaction
from chiso.demo import builder, collect
from chiso.demo.accounts import demo_accounts, ensure_demo_logins
from chiso.settings import Settings
from chiso.web.app import create_app

LIMIT = 300 * 1024  # bytes over the wire, gzip
PUBLISHED, OPEN = "2024/commune-2025", "2025/commune-2025"
PASSWORDS = {a.user: a.password for a in demo_accounts()}


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> Iterator[Engine]:
    """The demo's 92 communes: 2024 published, 2025 open (SQLite: the weight does not depend on the database)."""
    folder = tmp_path_factory.mktemp("weight")
    engine = make_engine(f"sqlite:///{folder / 'chiso.sqlite3'}")
    migrations.upgrade(engine)
    original, accounts.HASHER = accounts.HASHER, CHEAP
    try:
        with transaction(engine, TEST_CLOCK) as s:
            people, _ = builder._people(s)
            scope = units.list_units(era="2025", kind="commune", province=builder.PROVINCE)
            assert len(scope) == 92
            for year, publish in ((2024, True), (2025, False)):
                collect.run_year(
                    s, framework="commune-2025", year=year, scope=scope, people=people, seed=1, publish=publish
                )
            ensure_demo_logins(s)
    finally:
        accounts.HASHER = original
    yield engine
    engine.dispose()


class Wire(ASGI):
    """The app's transport, keeping the body of the last response as it came over the wire (compressed)."""

    raw = b""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            response = await self.transport.handle_async_request(request)
            self.raw = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
            return httpx.Response(response.status_code, headers=response.headers, content=self.raw)

        return asyncio.run(send())


@pytest.fixture
def client(province: Engine, tmp_path: Path) -> Iterator[httpx.Client]:
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="test-key")
    app = create_app(settings, engine=province, clock=TEST_CLOCK)
    headers = {"Accept-Encoding": "gzip"}
    with httpx.Client(transport=Wire(app), base_url="http://testserver", headers=headers) as c:
        yield c


def login(client: httpx.Client, user: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    data = {"user": user, "password": PASSWORDS[user], "csrf_token": token.group(1), "next": "/"}
    assert client.post("/login", data=data).status_code == 303


def over_the_wire(client: httpx.Client, path: str) -> tuple[int, int, str]:
    """(compressed bytes, uncompressed bytes, text) of a page, as the server sent it."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert response.headers.get("content-encoding") == "gzip", f"{path} is not compressed"
    raw = client._transport.raw  # type: ignore[attr-defined]
    assert gzip.decompress(raw) == response.content
    return len(raw), len(response.content), response.text


PAGES = [
    ("overview", None, f"/?period={quote(PUBLISHED)}"),
    ("unit profile, public", None, f"/units/01840?period={quote(PUBLISHED)}"),
    ("unit profile, administrator", "admin", f"/units/01840?period={quote(PUBLISHED)}"),
    ("framework", None, "/frameworks/commune-2025"),
    ("appraisal", "thamdinh", f"/appraise?period={quote(OPEN)}"),
    ("declaration", "canbo.ducxuan", f"/declare?period={quote(OPEN)}"),
]


@pytest.mark.parametrize(("label", "user", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_page_weight(client: httpx.Client, label: str, user: str | None, path: str):
    if user:
        login(client, user)
    wire, size, text = over_the_wire(client, path)
    print(f"{label}: {wire / 1024:.1f} KB gzip, {size / 1024:.1f} KB")
    assert wire < LIMIT, f"{label} weighs {wire / 1024:.0f} KB over the wire (gzip), more than {LIMIT // 1024} KB"
    assert size > 4 * 1024 and "</html>" in text  # a whole page, not an error or an empty state


def test_the_map_is_a_separate_cached_resource(client: httpx.Client):
    page = client.get(f"/?period={quote(PUBLISHED)}").text
    found = re.search(r'<use href="(/map/[^"#]+)#u(\d+)"', page)
    assert found, "the overview has no map"
    assert page.count("<use href=") == 92  # one shape per commune, each a reference into the cached geometry
    assert f'id="u{found.group(2)}"' not in page  # the boundaries themselves are not inlined
    geometry = client.get(found.group(1))
    assert geometry.status_code == 200 and geometry.headers["content-type"].startswith("image/svg+xml")
    assert "max-age" in geometry.headers["cache-control"] and f'id="u{found.group(2)}"' in geometry.text
    again = client.get(found.group(1), headers={"If-None-Match": geometry.headers["etag"]})
    assert again.status_code == 304 and not again.content


def test_the_render_time_is_reported(client: httpx.Client):
    """`Server-Timing: app;dur=…` on pages and API answers: what benchmarks/bench_api.py reads."""
    for path in (f"/units/01840?period={quote(PUBLISHED)}", "/api/v1/health"):
        timing = client.get(path).headers.get("server-timing", "")
        assert re.fullmatch(r"app;dur=\d+\.\d", timing), (path, timing)
