#!/usr/bin/env python3
"""Appraisal benchmark on the full demo: the appraisal queue, one unit's page, one decision.

    python benchmarks/bench_collect.py [--clients 8] [--serial 40] [--requests 160] [--seconds 30]
                                       [--database-url URL ...] [--communes N]

For each database (default both: an SQLite file in a temporary folder and
postgresql+psycopg://postgres@127.0.0.1:5432/test in a schema of its own, dropped afterwards), builds
the demo with its builder (`chiso demo build`: 92 communes and 12 departments, 2025 open with units
being appraised; a SQLite file or a PostgreSQL schema named in the URL (`?options=-csearch_path%3DS`)
that holds the demo already is used as it is: copy it first, since the decisions change it), starts
`chiso serve` in a separate process on a free port of 127.0.0.1, logs in as the demo appraiser and
drives it over loopback:

- the appraisal page of the open commune period (`/appraise?period=…`), and one unit's page
  (`/appraise/unit?…`, when the app has it) — one request at a time (--serial) and with --clients
  concurrent clients (--requests, at most --seconds);
- decisions: accept one submitted item per request (POST /appraise/decide, as the page's script sends
  it), items taken in turn from those waiting, one at a time and then concurrently.

Prints, per endpoint, the client p50/p99 latency, the server-side p50/p99 (its `Server-Timing:
app;dur=…` header: from the request to the response's headers, without network and compression), the
size over the wire (gzip), and the ratio of each p50 to a trivial endpoint (`/api/v1/health`)
measured in the same run. Endpoints that the app does not have (404) are listed as such.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from chiso import migrations
from chiso.collection.models import CollectionPeriod, Declaration, Submission
from chiso.db import make_engine, transaction
from chiso.demo import builder
from chiso.demo.accounts import demo_accounts, ensure_demo_logins
from chiso.settings import Settings

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
USER = "thamdinh"
PASSWORD = {a.user: a.password for a in demo_accounts()}[USER]
WAITING = ("submitted", "resubmitted")


@contextmanager
def database(url: str | None, folder: Path) -> Iterator[str]:
    """An empty database: a SQLite file in `folder`, or a schema of its own on PostgreSQL, dropped after."""
    if url is None or url == "sqlite":
        yield f"sqlite:///{folder / 'chiso.sqlite3'}"
        return
    if url.startswith("sqlite") or "search_path" in url:  # a given file, or a schema named in the URL
        yield url
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@dataclass(frozen=True)
class Demo:
    period: str
    unit: str  # the unit with the most items waiting: its page is the heaviest
    waiting: list[tuple[str, str]]  # (unit, indicator) of every item waiting for a decision


def build(url: str, folder: Path, communes: int | None) -> Demo:
    engine = make_engine(url)
    migrations.upgrade(engine)
    settings = Settings(_env_file=None, data_dir=folder, database_url=url, secret_key="bench")
    with transaction(engine) as session:
        builder.build(session, settings, communes=communes)
        ensure_demo_logins(session)
    with transaction(engine) as session:
        period = session.scalars(
            select(CollectionPeriod.code)
            .where(CollectionPeriod.state != "published", CollectionPeriod.code.like("%/commune-%"))
            .order_by(CollectionPeriod.year.desc())
        ).first()
        assert period is not None, "the demo has no open commune period"
        rows = session.execute(
            select(Submission.unit_code, Declaration.indicator_code)
            .join(Declaration, Declaration.submission_id == Submission.id)
            .join(CollectionPeriod, Submission.period_id == CollectionPeriod.id)
            .where(CollectionPeriod.code == period, Declaration.state.in_(WAITING))
            .order_by(Submission.unit_code, Declaration.id)
        ).all()
    engine.dispose()
    waiting = [(u, i) for u, i in rows]
    counts: dict[str, int] = {}
    for unit, _ in waiting:
        counts[unit] = counts.get(unit, 0) + 1
    unit = max(counts, key=lambda u: (counts[u], u))
    # the unit whose page is measured keeps its items; the decisions take the others'
    return Demo(period, unit, [w for w in waiting if w[0] != unit])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_ms(header: str | None) -> float | None:
    found = re.search(r"\bapp;dur=([0-9.]+)", header or "")
    return float(found.group(1)) if found else None


@dataclass
class Driven:
    latencies: list[float] = field(default_factory=list)  # ms, at the client
    server: list[float] = field(default_factory=list)  # ms, Server-Timing
    size: int = 0  # bytes of one response over the wire
    statuses: dict[int, int] = field(default_factory=dict)


async def login(client: httpx.AsyncClient) -> str:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    data = {"user": USER, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"}
    answer = await client.post("/login", data=data)
    assert answer.status_code == 303, answer.text[:300]
    page = await client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    return token.group(1)


async def drive(base: str, clients: int, count: int, seconds: float, request) -> Driven:  # type: ignore[no-untyped-def]
    """`count` requests made by `request(client, i)` from `clients` concurrent clients, for at most `seconds`."""
    out = Driven()
    sent = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, headers={"Accept-Encoding": "gzip"}, timeout=120) as c:
        csrf = await login(c)

        async def worker() -> None:
            nonlocal sent
            while sent < count and time.perf_counter() < deadline:
                i = sent
                sent += 1
                start = time.perf_counter()
                async with request(c, csrf, i) as response:
                    raw = b"".join([chunk async for chunk in response.aiter_raw()])
                out.latencies.append((time.perf_counter() - start) * 1000)
                out.statuses[response.status_code] = out.statuses.get(response.status_code, 0) + 1
                took = server_ms(response.headers.get("server-timing"))
                if took is not None:
                    out.server.append(took)
                out.size = len(raw)

        await asyncio.gather(*(worker() for _ in range(clients)))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q):.1f}" if values else "–"


def bench(url: str, folder: Path, args: argparse.Namespace) -> None:
    began = time.perf_counter()
    demo = build(url, folder, args.communes)
    backend = url.split(":")[0].split("+")[0]
    print(
        f"\n== {backend}: demo built in {time.perf_counter() - began:.0f} s; period {demo.period}, "
        f"{len(demo.waiting)} items waiting besides unit {demo.unit}'s",
        flush=True,
    )
    port = free_port()
    env = {**os.environ, "CHISO_DATA_DIR": str(folder), "CHISO_DATABASE_URL": url, "CHISO_SECRET_KEY": "bench"}
    server = subprocess.Popen(
        [sys.executable, "-m", "chiso", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a loaded machine starts it slowly
        while True:
            try:
                httpx.get(base + "/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        period = quote(demo.period, safe="")
        pages = [
            ("trivial /api/v1/health", "/api/v1/health"),
            ("appraisal queue page", f"/appraise?period={period}"),
            ("one unit's page", f"/appraise/unit?period={period}&unit={demo.unit}"),
        ]
        decisions = iter(demo.waiting)

        def getter(path: str):  # type: ignore[no-untyped-def]
            return lambda c, csrf, i: c.stream("GET", path)

        def decide(c, csrf, i):  # type: ignore[no-untyped-def]
            unit, indicator = next(decisions)
            form = {"period": demo.period, "unit": unit, "indicator": indicator, "decision": "accept"}
            headers = {"X-Requested-With": "fetch", "Accept": "text/html"}
            return c.stream("POST", "/appraise/decide", data={**form, "csrf_token": csrf}, headers=headers)

        print(
            f"\n{'endpoint':<26}{'mode':>10}{'n':>5}{'p50 ms':>9}{'p99 ms':>9}{'p50 ×':>7}"
            f"{'srv p50':>9}{'srv p99':>9}{'gzip KB':>9}  statuses"
        )
        modes = (("serial", 1, args.serial), (f"{args.clients} clients", args.clients, args.requests))
        for mode, clients, count in modes:
            baseline: float | None = None
            runs = [(label, getter(path)) for label, path in pages] + [("one decision (accept)", decide)]
            for label, request in runs:
                # a first request warms the caches (framework, templates); a 404 says the app has no such page
                if request is not decide:
                    probe = httpx.get(base + pages[[p[0] for p in pages].index(label)][1])
                    if probe.status_code == 404:
                        print(f"{label:<26}{mode:>10}  — not in this version of the app (404)")
                        continue
                d = asyncio.run(drive(base, clients, count, args.seconds, request))
                p50 = statistics.median(d.latencies)
                baseline = baseline or p50
                print(
                    f"{label:<26}{mode:>10}{len(d.latencies):>5}{p50:>9.1f}{percentile(d.latencies, 99):>9.1f}"
                    f"{p50 / baseline:>7.1f}{ms(d.server, 50):>9}{ms(d.server, 99):>9}{d.size / 1024:>9.1f}"
                    f"  {dict(sorted(d.statuses.items()))}",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--serial", type=int, default=40, help="one-at-a-time requests per endpoint")
    parser.add_argument("--requests", type=int, default=160, help="concurrent requests per endpoint, at most")
    parser.add_argument("--seconds", type=float, default=60, help="per endpoint and mode, at most")
    parser.add_argument("--communes", type=int, default=None, help="a smaller demo (default: all 92)")
    parser.add_argument(
        "--database-url", action="append", default=None, help="`sqlite` for a temporary file; default: both"
    )
    args = parser.parse_args()
    for url in args.database_url or ["sqlite", PG_URL]:
        folder = Path(tempfile.mkdtemp(prefix="chiso-bench-collect-"))
        with database(url, folder) as target:
            bench(target, folder, args)


if __name__ == "__main__":
    main()
