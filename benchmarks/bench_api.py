#!/usr/bin/env python3
"""Web benchmark: the rankings endpoint (3,321 communes), the series endpoint and the pages under load.

    python benchmarks/bench_api.py [--clients 1,8] [--requests 300] [--seconds 30] [--serial 100] [--workers 1]
                                   [--database-url URL]

Builds a database (SQLite in a temporary folder unless --database-url) with two published periods: a
national one of the 3,321 communes of 2025 and Thái Nguyên's 92 communes over 2023–2025, scored by the
engine from synthetic values (fixed seed). Starts `chiso serve`'s app under uvicorn in a separate
process on a free port of 127.0.0.1 and drives it over loopback with 1, then 8 concurrent clients
(--clients), each endpoint for at most --requests requests or --seconds seconds: the trivial endpoint,
the rankings of 3,321 communes, the series of one commune (every node, four periods) and of the index
(the first 1,000 of 3,597 unit-periods), the rankings again as a conditional request (If-None-Match with
the ETag of the answer: 304), and the two pages. Prints throughput, p50 and p99
latency, and the ratio of each against a trivial endpoint of the same app (`/api/v1/health`) in
the same run; the server-side time of each request (its `Server-Timing: app;dur=…` header: from the
request to the response's headers, i.e. the render, without the network and the compression); and the
size of the pages over the wire (gzip). Then the overview and unit profile pages once more, one request
at a time (`--serial` requests each), for their render time without concurrent requests.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gzip
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import synthetic_values
from chiso import migrations, units
from chiso.actors import service as actors
from chiso.clock import SYSTEM
from chiso.collection.models import CollectionPeriod, Submission
from chiso.collection.service import publish_framework
from chiso.db import make_engine, transaction
from chiso.engine import Panel, run
from chiso.framework import load_framework
from chiso.results.models import ResultRow, ResultRun

NATIONAL = "2025/national-communes"


def add_period(session, admin, framework, code: str, year: int, unit_codes: list[str], seed: int) -> None:
    """A published period scored by the engine from synthetic values; rows inserted in bulk."""
    stored = publish_framework(session=session, framework=framework, actor=admin)
    period = CollectionPeriod(
        code=code,
        framework_version=stored,
        year=year,
        era="2025",
        value_period=str(year),
        opens_on=dt.date(year, 9, 1),
        closes_on=dt.date(year, 11, 30),
        state="published",
        created_by=admin.user,
    )
    session.add(period)
    session.flush()
    session.execute(
        insert(Submission),
        [{"period_id": period.id, "unit_code": u, "state": "published", "version": 1} for u in unit_codes],
    )
    values = synthetic_values(framework, len(unit_codes), 1, seed=seed)
    result = run(framework, Panel.from_arrays(unit_codes, [str(year)], values))
    result_run = ResultRun(
        period_id=period.id,
        framework_version_id=stored.id,
        variant="final",
        inputs_sha256=f"bench-{code}",
        computed_by=admin.user,
        published=True,
        published_at=SYSTEM.now(),
        published_by=admin.user,
        outputs={"contributions": [], "log": []},
    )
    session.add(result_run)
    session.flush()
    points, ranks = result.points, result.ranks[None]
    rows = []
    for code_, array in result.values.items():
        for i, unit in enumerate(unit_codes):

            def clean(x: float) -> float | None:
                return None if np.isnan(x) else float(x)

            rows.append(
                {
                    "run_id": result_run.id,
                    "era": period.era,
                    "unit_code": unit,
                    "node": code_,
                    "value": clean(array[0, i]),
                    "points": clean(points[code_][0, i]) if code_ in points else None,
                    "rank": clean(ranks[code_][0, i]) if code_ in ranks else None,
                }
            )
    session.execute(insert(ResultRow), rows)


def build(url: str) -> None:
    engine = make_engine(url)
    migrations.upgrade(engine)
    framework = load_framework("commune-2025")
    communes = [u.code for u in units.list_units(era="2025", kind="commune")]
    thai_nguyen = [u.code for u in units.list_units(era="2025", kind="commune", province="19")]
    with transaction(engine) as session:
        admin = actors.ensure(session=session, user="admin", roles={"admin"}, actor=None)
        add_period(session, admin, framework, NATIONAL, 2025, communes, seed=1)
        for year in (2023, 2024, 2025):
            add_period(session, admin, framework, f"{year}/commune-2025", year, thai_nguyen, seed=year)
    engine.dispose()
    print(f"data: {len(communes)} communes nationally, {len(thai_nguyen)} of Thái Nguyên × 3 years", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Driven:
    latencies: list[float]  # ms, at the client
    server: list[float]  # ms, Server-Timing
    size: int  # bytes of one response over the wire
    elapsed: float  # s


def server_ms(header: str | None) -> float | None:
    found = re.search(r"\bapp;dur=([0-9.]+)", header or "")
    return float(found.group(1)) if found else None


async def drive(base: str, path: str, clients: int, count: int, seconds: float, conditional: bool = False) -> Driven:
    """`count` requests of `path` by `clients` concurrent clients, for at most `seconds` (`conditional`:
    each with If-None-Match, the ETag of a first answer, and 304 expected)."""
    latencies: list[float] = []
    server: list[float] = []
    size = 0
    sent = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, headers={"Accept-Encoding": "gzip"}) as client:
        # Warm every worker process (caches, first render): as many requests at once as there are clients,
        # so that they spread over the server's processes, with room for a cold start.
        warm = await asyncio.gather(*(client.get(path, timeout=120) for _ in range(clients)))
        expected = 200
        if conditional:
            client.headers["If-None-Match"] = warm[0].headers["etag"]
            expected = 304
        deadline = time.perf_counter() + seconds  # after the warm-up, which a cold start can make long

        async def worker() -> None:
            nonlocal sent, size
            while sent < count and time.perf_counter() < deadline:
                sent += 1
                start = time.perf_counter()
                async with client.stream("GET", path) as response:
                    raw = b"".join([chunk async for chunk in response.aiter_raw()])
                    assert response.status_code == expected, (path, response.status_code)
                latencies.append((time.perf_counter() - start) * 1000)
                took = server_ms(response.headers.get("server-timing"))
                if took is not None:
                    server.append(took)
                size = len(raw)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return Driven(latencies, server, size, elapsed)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q):.1f}" if values else "–"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--clients", type=lambda text: [int(n) for n in text.split(",")], default=[1, 8], help="e.g. 1,8"
    )
    parser.add_argument("--requests", type=int, default=300, help="per endpoint")
    parser.add_argument("--seconds", type=float, default=30, help="per endpoint, at most")
    parser.add_argument("--serial", type=int, default=100, help="one-at-a-time requests per page (render time)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workers", type=int, default=1, help="server processes (chiso serve --workers)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="chiso-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'chiso.sqlite3'}"
    began = time.perf_counter()
    build(url)
    print(f"built in {time.perf_counter() - began:.1f} s ({url.split(':')[0]})", flush=True)
    port = free_port()
    env = {**os.environ, "CHISO_DATA_DIR": str(folder), "CHISO_DATABASE_URL": url, "CHISO_SECRET_KEY": "bench"}
    server = subprocess.Popen(
        [sys.executable, "-m", "chiso", "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded machine can take a while to import the app
        while True:
            try:
                httpx.get(base + "/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        if args.workers > 1:  # the first process answers while the others still start: let them finish
            time.sleep(3 * (args.workers - 1))
        endpoints = [
            ("trivial /api/v1/health", "/api/v1/health", False),
            ("rankings, 3,321 communes", f"/api/v1/rankings?period={NATIONAL}", False),
            ("series, one commune", "/api/v1/series?framework=commune-2025&unit=01840", False),
            ("series, index, 1,000 rows", "/api/v1/series?framework=commune-2025&node=commune_dx", False),
            ("rankings, If-None-Match", f"/api/v1/rankings?period={NATIONAL}", True),
            ("overview page, 92 communes", "/?period=2025/commune-2025", False),
            ("unit profile page", "/units/01840?period=2025/commune-2025", False),
        ]
        for clients in args.clients:
            print(f"\n{clients} concurrent client(s), {args.workers} server process(es), "
                  f"≤ {args.requests} requests or {args.seconds:g} s per endpoint\n")  # fmt: skip
            print(
                f"{'endpoint':<30}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'p50 ×':>8}{'req/s ×':>9}"
                f"{'srv p50':>9}{'srv p99':>9}{'gzip KB':>9}"
            )
            baseline: tuple[float, float] | None = None
            for label, path, conditional in endpoints:
                d = asyncio.run(drive(base, path, clients, args.requests, args.seconds, conditional))
                rate = len(d.latencies) / d.elapsed
                p50, p99 = statistics.median(d.latencies), percentile(d.latencies, 99)
                if baseline is None:
                    baseline = (p50, rate)
                print(
                    f"{label:<30}{rate:>9.1f}{p50:>9.1f}{p99:>9.1f}{p50 / baseline[0]:>8.1f}"
                    f"{rate / baseline[1]:>9.2f}{ms(d.server, 50):>9}{ms(d.server, 99):>9}{d.size / 1024:>9.1f}"
                )
        print(f"\nserver-side render time (Server-Timing), one request at a time, {args.serial} requests each\n")
        print(f"{'page':<30}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
        for label, path, _ in endpoints[-2:]:
            d = asyncio.run(drive(base, path, 1, args.serial, args.seconds))
            print(f"{label:<30}{ms(d.server, 50):>9}{ms(d.server, 99):>9}{ms(d.server, 100):>9}")
        geometry = httpx.get(base + "/map/2025/commune/19.svg", headers={"Accept-Encoding": "gzip"})
        print(f"\nmap geometry (cached by the browser): {len(gzip.compress(geometry.content)) / 1024:.1f} KB gzip")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
