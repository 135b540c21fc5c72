"""Every page of the demo, for every role, speaks Vietnamese and shows names, not codes (issue 12).

The small demo (6 communes, every department) is served by the web app; each HTML page (every GET
route that renders a page, with the demo's own keys in its path) is fetched by every demo account and
by a visitor, in the Vietnamese UI. The visible text — not attributes, scripts, or `<code>` elements,
which show commands and identifiers on purpose — must not contain:

- a framework variable's code where the framework gives it a label (`population_5g_covered`);
- a period's code (`2024/commune-2025`) or a role's (`programme_officer`);
- an English sentence: a run of text with two or more English function words ("the", "of", "is" …),
  which Vietnamese does not use.

Built on SQLite only: what a page says does not depend on the database, and the demo takes minutes.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest
from sqlalchemy import Engine
from tests.conftest import TEST_CLOCK, fresh_database
from tests.web.test_routes import all_routes

from chiso import migrations
from chiso.db import make_engine, transaction
from chiso.demo import builder
from chiso.demo.accounts import demo_accounts, ensure_demo_logins
from chiso.framework import load_framework
from chiso.permissions import ROLES
from chiso.settings import Settings
from chiso.web.app import create_app

COMMUNES = 6
PERIOD = "2025%2Fcommune-2025"
# The demo's own keys for each page route with parameters; a new page route must be added here.
PATHS: dict[str, list[str]] = {
    "/": ["/", f"/?period={PERIOD}", f"/?period={PERIOD}&node=c4_22"],
    "/account/password": ["/account/password"],
    "/home": ["/home"],
    "/national": ["/national"],
    "/national/{year}": ["/national/2022?era=2024", "/national/2024"],
    "/national/provinces/{code}": ["/national/provinces/19"],
    "/ministry": ["/ministry"],
    "/ministry/{year}": ["/ministry/2025"],
    "/service-766": ["/service-766"],
    "/service-766/{era}/{code}": ["/service-766/2025/01840", "/service-766/2025/19-SKHCN"],
    "/appraise/unit": [f"/appraise/unit?period={PERIOD}&unit=01882", f"/appraise/unit?period={PERIOD}&unit=01843"],
    "/admin": ["/admin"],
    "/admin/audit": ["/admin/audit"],
    "/admin/hooks": ["/admin/hooks"],
    "/appraise": ["/appraise"],
    "/declare": ["/declare"],
    "/dossiers/due": ["/dossiers/due"],
    "/frameworks": ["/frameworks"],
    "/frameworks/{code}": ["/frameworks/commune-2025", "/frameworks/department-2025"],
    "/login": ["/login"],
    "/opendata": ["/opendata"],
    "/programmes": ["/programmes"],
    "/programmes/{code}": ["/programmes/01-nq-tu"],
    "/tasks": ["/tasks"],
    "/tasks/{code}": ["/tasks/1"],
    "/units/{code}": ["/units/01840", "/units/19-SKHCN"],
}
NOT_PAGES = {  # files, fragments and redirects, not pages to read
    "/admin/users/template.xlsx",
    "/appraise/evidence/{evidence_id}",
    "/appraise/export.xlsx",
    "/declare/check",
    "/declare/item",
    "/declare/template",
    "/ranking.{fmt}",
    "/service-766/template.xlsx",
    "/service-766/{era}/{code}/template.xlsx",
    "/units/{code}/profile.{fmt}",
    "/evidence/{evidence_id}",
    "/tasks/evidence/{evidence_id}",
    "/map/{era}/{kind}/{province}.svg",
    "/opendata/{year}.zip",
    "/reports/annual",
}
ENGLISH = {
    "the", "of", "and", "is", "are", "was", "not", "with", "for", "to", "has", "have", "this", "that",
    "from", "by", "be", "no", "yet", "rank", "forecast", "in", "on", "at", "or", "an", "a",
}  # fmt: skip
ENGLISH_STRONG = {"the", "of", "is", "are", "was", "with", "has", "have", "this", "that", "yet", "forecast"}
SKIPPED = {"script", "style", "code", "pre", "svg", "title"}


class VisibleText(HTMLParser):
    """The text a reader sees, one string per text run (outside scripts, code and SVG)."""

    def __init__(self) -> None:
        super().__init__()
        self.skipping = 0
        self.runs: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:  # type: ignore[no-untyped-def]
        if tag in SKIPPED:
            self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.runs.append(" ".join(data.split()))


def visible(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.runs


def labelled_variables() -> set[str]:
    codes = set()
    for name in ("commune-2025", "department-2025"):
        framework = load_framework(name)
        codes |= {v.name for v in framework.variable_specs if v.label}
    return codes


def problems(html: str, variables: set[str]) -> list[str]:
    found = []
    for run in visible(html):
        for token in re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", run):
            if token in variables:
                found.append(f"variable code {token!r} in {run!r}")
            elif token in ROLES:
                found.append(f"role code {token!r} in {run!r}")
        for period in re.findall(r"\b\d{4}/[a-z]+-\d{4}\b", run):
            found.append(f"period code {period!r} in {run!r}")
        words = set(re.findall(r"\b[a-z]+\b", run.lower()))
        english = words & ENGLISH
        if len(english) >= 3 or len(words & ENGLISH_STRONG) >= 2:
            found.append(f"English in {run!r}")
    return found


class ASGI(httpx.BaseTransport):
    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            response = await self.transport.handle_async_request(request)
            content = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        return asyncio.run(send())


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory) -> Iterator[object]:
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("pages-demo"), secret_key="test-key")
    with fresh_database("sqlite", tmp_path_factory.mktemp("pages-db")) as url:
        engine: Engine = make_engine(url)
        try:
            migrations.upgrade(engine)
            with transaction(engine, TEST_CLOCK) as session:
                builder.build(session, settings, communes=COMMUNES)
                ensure_demo_logins(session)
            yield create_app(settings, engine=engine, clock=TEST_CLOCK)
        finally:
            engine.dispose()


def _client(app, account) -> httpx.Client:  # type: ignore[no-untyped-def]
    client = httpx.Client(transport=ASGI(app), base_url="http://testserver", follow_redirects=False)
    client.cookies.set("chiso_lang", "vi")
    if account is not None:
        form = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf, "no CSRF token on /login"
        data = {"user": account.user, "password": account.password, "next": "/", "csrf_token": csrf.group(1)}
        answer = client.post("/login", data=data)
        assert answer.status_code == 303, (account.user, answer.text[:300])
    return client


def test_every_page_route_is_visited(demo_app):
    routes = {path for method, path in all_routes(demo_app.routes) if method == "GET"}  # type: ignore[attr-defined]
    pages = {p for p in routes if not p.startswith(("/api/", "/docs", "/static"))} - NOT_PAGES
    assert pages == set(PATHS), "add the new page route to PATHS (or NOT_PAGES for a file)"


@pytest.mark.parametrize("user", [None, *(a.user for a in demo_accounts())])
def test_pages_show_names_and_vietnamese(demo_app, user):
    account = next((a for a in demo_accounts() if a.user == user), None)
    client = _client(demo_app, account)
    variables = labelled_variables()
    seen = {}
    for urls in PATHS.values():
        for url in urls:
            answer = client.get(url)
            if answer.status_code != 200 or "text/html" not in answer.headers.get("content-type", ""):
                continue  # a page this account may not see answers 303/403 (tested in tests/web)
            seen[url] = problems(answer.text, variables)
    assert seen, "no page was readable"
    bad = {url: found[:5] for url, found in seen.items() if found}
    assert not bad, f"{user or 'visitor'}: {bad}"


def test_an_officer_reads_the_results_of_units_outside_their_periods(demo_app):
    """Scoping an officer's periods to their unit is for declaring: a department's officer still reads a
    commune's published profile and the communes' overview, as the public does (they 404ed once)."""
    account = next(a for a in demo_accounts() if a.user == "canbo.skhcn")
    officer = _client(demo_app, account)
    assert officer.get("/units/01840").status_code == 200
    assert "Phường Đức Xuân" in officer.get("/?period=2024%2Fcommune-2025").text
