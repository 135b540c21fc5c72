#!/usr/bin/env python3
"""Saving one declaration item: the server's own time (Server-Timing), against the health endpoint.

    python benchmarks/bench_declare.py [--saves 200] [--clients 8] [--database-url URL ...]

For each database (default both: an SQLite file in a temporary folder, and
postgresql+psycopg://postgres@127.0.0.1:5432/test in a schema of its own, dropped afterwards), builds
an open period of --clients communes with one officer each (as bench_writes does), starts `chiso serve`
in its own process and drives it over loopback. Every officer logs in and reads its page once; then,
first one client alone and then --clients at once (each its own unit), each sends --saves saves of
item 1.1 with a new figure: as the page's script does (`Accept: application/json`) and, for as many
saves, as the form without JavaScript does (answered by a redirect). The health endpoint is asked as
many times in the same run: its p50 is the baseline of the ratios.

Prints per database and client count the p50 and p90 of the Server-Timing `app` duration (ms) of
each kind of request, and the save's p50 as a multiple of the health endpoint's. The goal for a save
is a p50 under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_writes import PG_URL, build, drop_schema, login, percentile, postgres_schema, serve

INDICATOR, NUMERATOR, DENOMINATOR = "c1_1", "fixed_broadband_users_gigabit", "fixed_broadband_users"


def server_ms(response: httpx.Response) -> float:
    found = re.search(r"app;dur=([0-9.]+)", response.headers.get("server-timing", ""))
    assert found, f"no Server-Timing on {response.request.url}"
    return float(found.group(1))


class Officer:
    def __init__(self, client: httpx.AsyncClient, unit: str, period: str) -> None:
        self.client, self.unit, self.period = client, unit, period
        self.csrf, self.version, self.figure = "", 0, 0

    async def read_page(self) -> None:
        page = await self.client.get(f"/declare?period={self.period}&unit={self.unit}")
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        found = re.search(
            rf'name="indicator" value="{INDICATOR}"><input type="hidden" name="version" value="(\d+)"', page.text
        )
        self.version = int(found.group(1)) if found else 0

    async def save(self, script: bool) -> float:
        self.figure += 1
        data = {
            "csrf_token": self.csrf,
            "period": self.period,
            "unit": self.unit,
            "indicator": INDICATOR,
            "version": str(self.version),
            f"v:{NUMERATOR}": str(self.figure),
            f"v:{DENOMINATOR}": "1000000",
            "self_score": "",
        }
        headers = {"Accept": "application/json"} if script else {}
        response = await self.client.post("/declare/save", data=data, headers=headers)
        assert response.status_code in (200, 303), f"save: {response.status_code} {response.text[:300]}"
        self.version += 1
        return server_ms(response)

    async def health(self) -> float:
        return server_ms(await self.client.get("/api/v1/health"))


async def measure(officers: list[Officer], saves: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"health": [], "save (script)": [], "save (form)": []}

    async def one(me: Officer) -> None:
        for n in range(saves):
            out["health"].append(await me.health())
            out["save (script)" if n % 2 == 0 else "save (form)"].append(await me.save(script=n % 2 == 0))

    await asyncio.gather(*(one(me) for me in officers))
    return out


def report(backend: str, clients: int, times: dict[str, list[float]]) -> None:
    base = statistics.median(times["health"])
    for kind, values in times.items():
        p50, p90 = statistics.median(values), percentile(values, 90)
        ratio = f"{p50 / base:8.1f}×" if kind != "health" else "       1×"
        print(f"{backend:<11}{clients:>8}  {kind:<15}{len(values):>7}{p50:>9.1f}{p90:>9.1f}{ratio}")


def run(url: str, args: argparse.Namespace) -> None:
    from bench_writes import PERIOD

    folder = Path(tempfile.mkdtemp(prefix="chiso-bench-declare-"))
    codes = build(url, args.clients)
    backend = make_url(url).get_backend_name()
    server, base = serve(url, folder, 1)
    try:

        async def drive() -> None:
            clients = [httpx.AsyncClient(base_url=base, timeout=120) for _ in codes]
            try:
                officers = [Officer(c, code, PERIOD) for c, code in zip(clients, codes, strict=True)]
                for me in officers:
                    await login(me.client, me.unit)
                    await me.read_page()
                await measure(officers[:1], 10)  # warm up: imports, caches, connections
                report(backend, 1, await measure(officers[:1], args.saves))
                report(backend, len(officers), await measure(officers, args.saves))
            finally:
                for c in clients:
                    await c.aclose()

        asyncio.run(drive())
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--saves", type=int, default=200, help="requests of each kind per client")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--database-url", action="append", help="default: an SQLite file and " + PG_URL)
    args = parser.parse_args()
    print(f"{'database':<11}{'clients':>8}  {'request':<15}{'n':>7}{'p50 ms':>9}{'p90 ms':>9}{'/health':>9}")
    began = time.perf_counter()
    for url in args.database_url or ["sqlite", PG_URL]:
        schema = ""
        if url == "sqlite":
            url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='chiso-bench-declare-')) / 'chiso.sqlite3'}"
        elif make_url(url).get_backend_name() == "postgresql":
            base_url = url
            url, schema = postgres_schema(base_url)
        try:
            run(url, args)
        finally:
            if schema:
                drop_schema(base_url, schema)
    print(f"({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
