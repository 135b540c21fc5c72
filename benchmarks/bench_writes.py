#!/usr/bin/env python3
"""Write benchmark: officers of distinct units saving declaration items at the same moment.

    python benchmarks/bench_writes.py [--officers 8] [--seconds 30] [--requests 400] [--workers 1]
                                      [--upload-every 4] [--database-url URL ...]

For each database (default both: an SQLite file in a temporary folder and
postgresql+psycopg://postgres@127.0.0.1:5432/test in a schema of its own, dropped afterwards; a
PostgreSQL --database-url also gets its own schema), builds an open period of --officers communes of
Thái Nguyên with one officer account each, starts `chiso serve` under uvicorn in a separate process
on a free port of 127.0.0.1 and drives it over loopback: every officer logs in, then, like the
browser, reads the declaration page (CSRF token, the item's version) and saves an item through
POST /declare/save with a new figure (every --upload-every-th save with a PDF as evidence), items in
turn, until --seconds have passed or --requests saves were sent by that officer.

Prints the saves sent, by status, the 5xx count, the lost updates and the save's p50/p99 latency.
A lost update is an accepted save (303) whose figure is not in the value store's history or not in
the audit log, compared after the run. Exits 1 unless both counts are 0.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from chiso import migrations, units
from chiso.accounts import service as accounts
from chiso.accounts.schemas import UserCreate
from chiso.actors import service as actors
from chiso.audit.models import AuditEntry
from chiso.clock import SYSTEM
from chiso.collection import service as collection
from chiso.collection.schemas import PeriodOpen
from chiso.db import make_engine, transaction
from chiso.values.models import Value

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PERIOD = f"{SYSTEM.today().year}/commune-2025"
ITEMS = {"c4_13": ("public_wifi_points",), "c1_4": ("ai_applications",), "c1_1": ("fixed_broadband_users_gigabit",)}
PASSWORD = "bench-mat-khau"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def build(url: str, officers: int) -> list[str]:
    """An open period of `officers` communes, one officer account each; returns the unit codes."""
    engine = make_engine(url)
    migrations.upgrade(engine)
    codes = [u.code for u in units.list_units(era="2025", kind="commune", province="19")][:officers]
    today = SYSTEM.today()
    with transaction(engine) as session:
        admin = actors.ensure(session=session, user="admin", roles={"admin"}, actor=None)
        for code in codes:
            user_in = UserCreate(user=f"canbo.{code}", roles=frozenset({"officer"}), unit_code=code, password=PASSWORD)
            accounts.create_user(session=session, user_in=user_in, actor=admin)
        collection.open_period(
            session=session,
            period_in=PeriodOpen(
                framework="commune-2025",
                year=today.year,
                units=tuple(codes),
                opens_on=today - dt.timedelta(days=30),
                closes_on=today + dt.timedelta(days=30),
            ),
            actor=admin,
        )
    engine.dispose()
    return codes


@dataclass
class Officer:
    unit: str
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # ms, the save at the client
    accepted: list[tuple[str, float]] = field(default_factory=list)  # (variable, figure)
    failures: list[str] = field(default_factory=list)  # requests that got no answer


def version_of(page: str, indicator: str) -> str:
    found = re.search(rf'name="indicator" value="{indicator}"><input type="hidden" name="version" value="(\d+)"', page)
    return found.group(1) if found else ""


async def login(client: httpx.AsyncClient, unit: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on /login"
    form = {"user": f"canbo.{unit}", "password": PASSWORD, "csrf_token": token.group(1), "next": "/"}
    answer = await client.post("/login", data=form)
    assert answer.status_code == 303, f"login of canbo.{unit}: {answer.status_code}"


async def officer(
    client: httpx.AsyncClient, me: Officer, number: int, count: int, deadline: float, upload_every: int
) -> None:
    """Save items in turn, each after reading the page as the browser does, until `count` or `deadline`."""
    sent = 0
    while sent < count and time.perf_counter() < deadline:
        indicator = list(ITEMS)[sent % len(ITEMS)]
        variable = ITEMS[indicator][0]
        figure = float(number * 1_000_000 + sent + 1)
        sent += 1
        try:
            page = await client.get(f"/declare?period={PERIOD}&unit={me.unit}")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            data = {
                "csrf_token": token.group(1) if token else "",
                "period": PERIOD,
                "unit": me.unit,
                "indicator": indicator,
                "version": version_of(page.text, indicator),
                f"v:{variable}": str(int(figure)),
                "explanation": f"lần lưu {sent}",
            }
            files = None
            if upload_every and sent % upload_every == 0:
                data.update(doc_number=f"{sent}/BC-UBND", summary="Báo cáo số liệu")
                files = {"file": (f"bao-cao-{sent}.pdf", PDF, "application/pdf")}
            start = time.perf_counter()
            response = await client.post("/declare/save", data=data, files=files)
            me.latencies.append((time.perf_counter() - start) * 1000)
        except httpx.HTTPError as exc:
            me.failures.append(f"{type(exc).__name__}: {exc}")
            continue
        me.statuses[response.status_code] += 1
        if response.status_code in (200, 201, 303):
            me.accepted.append((variable, figure))


def lost_updates(url: str, officers: list[Officer], period: str) -> int:
    """Accepted saves missing from the value history or from the audit log."""
    engine = make_engine(url)
    lost = 0
    try:
        with transaction(engine) as session:
            for me in officers:
                for variable in {v for v, _ in me.accepted}:
                    key = f"2025:{me.unit}/{variable}/{period}"  # values' audit key: (era:code)/variable/period
                    stored = set(
                        session.scalars(
                            select(Value.value).where(
                                Value.unit_code == me.unit, Value.variable == variable, Value.period == period
                            )
                        )
                    )
                    audited = {
                        (e.after or {}).get("value")
                        for e in session.scalars(
                            select(AuditEntry).where(AuditEntry.entity == "value", AuditEntry.entity_key == key)
                        )
                    }
                    lost += sum(
                        1 for v, figure in me.accepted if v == variable and not (figure in stored and figure in audited)
                    )
    finally:
        engine.dispose()
    return lost


def serve(url: str, folder: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "CHISO_DATA_DIR": str(folder), "CHISO_DATABASE_URL": url, "CHISO_SECRET_KEY": "bench"}
    server = subprocess.Popen(
        [sys.executable, "-m", "chiso", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "server.log", "wb"),  # noqa: SIM115 - the server's own for its lifetime
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(base + "/api/v1/health", timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit(f"the server did not start; see {folder / 'server.log'}") from None
            time.sleep(0.1)
    if workers > 1:  # the first process answers while the others still start
        time.sleep(3 * (workers - 1))
    return server, base


def run(url: str, args: argparse.Namespace) -> tuple[int, int]:
    folder = Path(tempfile.mkdtemp(prefix="chiso-bench-writes-"))
    began = time.perf_counter()
    codes = build(url, args.officers)
    backend = make_url(url).get_backend_name()
    print(
        f"\n{backend}: {len(codes)} officers of distinct units, built in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    server, base = serve(url, folder, args.workers)
    officers = [Officer(code) for code in codes]
    try:

        async def drive() -> float:
            clients = [httpx.AsyncClient(base_url=base, timeout=120) for _ in officers]
            try:
                for c, me in zip(clients, officers, strict=True):  # one after another: the saves are measured
                    await login(c, me.unit)
                start = time.perf_counter()
                deadline = start + args.seconds
                await asyncio.gather(
                    *(
                        officer(c, me, i + 1, args.requests, deadline, args.upload_every)
                        for i, (c, me) in enumerate(zip(clients, officers, strict=True))
                    )
                )
                return time.perf_counter() - start
            finally:
                for c in clients:
                    await c.aclose()

        elapsed = asyncio.run(drive())
    finally:
        server.terminate()
        server.wait(timeout=30)
    statuses = sum((me.statuses for me in officers), Counter())
    latencies = [ms for me in officers for ms in me.latencies]
    failures = [f for me in officers for f in me.failures]
    errors = sum(n for status, n in statuses.items() if status >= 500) + len(failures)
    lost = lost_updates(url, officers, PERIOD.split("/")[0])
    sent = sum(statuses.values()) + len(failures)
    print(f"{args.workers} server process(es), {elapsed:.1f} s, {sent / elapsed:.1f} saves/s")
    print(f"{'saves':>8}{'303':>8}{'409':>8}{'other':>8}{'5xx':>8}{'lost':>8}{'p50 ms':>9}{'p99 ms':>9}")
    other = sent - statuses[303] - statuses[409] - errors
    p50 = statistics.median(latencies) if latencies else float("nan")
    p99 = percentile(latencies, 99) if latencies else float("nan")
    print(f"{sent:>8}{statuses[303]:>8}{statuses[409]:>8}{other:>8}{errors:>8}{lost:>8}{p50:>9.1f}{p99:>9.1f}")
    if errors:
        print(f"  statuses {dict(statuses)}; without answer {failures[:3]}; server log {folder / 'server.log'}")
    return errors, lost


def postgres_schema(url: str) -> tuple[str, str]:
    """A schema of its own in the database of `url`: (the URL that uses it, the schema)."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), schema


def drop_schema(url: str, schema: str) -> None:
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--officers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30, help="per database, at most")
    parser.add_argument("--requests", type=int, default=400, help="saves per officer, at most")
    parser.add_argument("--workers", type=int, default=1, help="server processes (chiso serve --workers)")
    parser.add_argument("--upload-every", type=int, default=4, help="every n-th save attaches a PDF (0: never)")
    parser.add_argument("--database-url", action="append", help="default: an SQLite file and " + PG_URL)
    args = parser.parse_args()
    urls = args.database_url or ["sqlite", PG_URL]
    bad = False
    for url in urls:
        schema = ""
        if url == "sqlite":
            url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='chiso-bench-writes-')) / 'chiso.sqlite3'}"
        elif make_url(url).get_backend_name() == "postgresql":
            base_url = url
            url, schema = postgres_schema(base_url)
        try:
            errors, lost = run(url, args)
            bad = bad or errors > 0 or lost > 0
        finally:
            if schema:
                drop_schema(base_url, schema)
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
