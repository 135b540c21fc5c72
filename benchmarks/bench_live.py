#!/usr/bin/env python3
"""Live results: from an approval's commit to the new rank served by the API, through the events worker.

    python benchmarks/bench_live.py [--units 92] [--approvals 20] [--database-url URL] [--no-worker]

Builds a database (SQLite in a temporary folder unless --database-url) with an open period of
commune-2025 over the first --units communes of Thái Nguyên (all 92 by default), each of which has
declared three indicators (through the services, with validation), submitted, and had every item
accepted. Starts `chiso serve` (which starts the events worker in the background) in a separate
process on a free port, logs in as the appraiser, and approves --approvals units one after another
with `POST /appraise/approve` (CSRF as the page sends it). For each, it polls
`GET /api/v1/rankings` (a read token) every 10 ms until the final run has changed and the approved
unit has a rank, and records the time from the approval's response (its transaction is committed
before the response is sent) to that answer. Prints the median and p99 of those times, and, as the
baseline of the same run, the round trip of `GET /api/v1/rankings` itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

from chiso import migrations, units
from chiso.accounts import service as accounts
from chiso.accounts.schemas import UserCreate
from chiso.actors import service as actors
from chiso.clock import SYSTEM
from chiso.collection import review
from chiso.collection import service as collection
from chiso.collection.schemas import DeclarationIn, EvidenceIn, PeriodOpen
from chiso.db import make_engine, transaction

PERIOD = "2025/commune-2025"
PASSWORD = "bench-password-1"
DOC = EvidenceIn(doc_number="15/BC-UBND", doc_date=dt.date(2025, 10, 1), summary="Báo cáo số liệu")


def declarations(i: int) -> list[DeclarationIn]:
    """Three items whose figures differ from unit to unit, so that the ranks differ."""
    users = 400 + 7 * i
    return [
        DeclarationIn(
            indicator="c1_1",
            values={"fixed_broadband_users_gigabit": 40 + (i * 37) % 300, "fixed_broadband_users": users},
            evidence=(DOC,),
        ),
        DeclarationIn(indicator="c3_5", values={"cyber_drill": i % 2}, evidence=(DOC,)),
        DeclarationIn(indicator="c2_1", values={"dx_officer_level": i % 3}, evidence=(DOC,)),
    ]


def build(url: str, count: int) -> tuple[list[str], str]:
    """The period, its units submitted and accepted; returns the unit codes and a read token."""
    engine = make_engine(url)
    migrations.upgrade(engine)
    communes = [u.code for u in units.list_units(era="2025", kind="commune", province="19")][:count]
    today = SYSTEM.today()
    with transaction(engine) as s:
        admin = actors.ensure(session=s, user="admin", roles={"admin"}, actor=None)
        appraiser = actors.ensure(session=s, user="thamdinh", roles={"appraiser"}, actor=admin)
        accounts.create_user(
            session=s,
            user_in=UserCreate(user="thamdinh", roles=frozenset({"appraiser"}), password=PASSWORD),
            actor=admin,
        )
        accounts.create_user(
            session=s, user_in=UserCreate(user="ioc", roles=frozenset({"viewer"}), password=None), actor=admin
        )
        token = accounts.create_token(session=s, user="ioc", scope="read", days=5, actor=admin).secret
        collection.open_period(
            session=s,
            period_in=PeriodOpen(
                framework="commune-2025",
                year=2025,
                units=tuple(communes),
                opens_on=today - dt.timedelta(days=10),
                closes_on=today + dt.timedelta(days=30),
            ),
            actor=admin,
        )
        for i, code in enumerate(communes):
            officer = actors.ensure(session=s, user=f"canbo.{code}", roles={"officer"}, unit_code=code, actor=admin)
            for item in declarations(i):
                collection.declare(session=s, period_code=PERIOD, unit_code=code, item_in=item, actor=officer)
            collection.submit(session=s, period_code=PERIOD, unit_code=code, actor=officer)
            review.accept(session=s, period_code=PERIOD, unit_code=code, actor=appraiser)
    engine.dispose()
    return communes, token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def csrf(client: httpx.Client, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=92, help="communes of Thái Nguyên in the period (≤ 92)")
    parser.add_argument("--approvals", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="chiso-bench-live-"))
    url = args.database_url or f"sqlite:///{folder / 'chiso.sqlite3'}"
    began = time.perf_counter()
    communes, token = build(url, args.units)
    print(f"built in {time.perf_counter() - began:.1f} s: {len(communes)} communes ({url.split(':')[0]})", flush=True)
    port = free_port()
    env = {**os.environ, "CHISO_DATA_DIR": str(folder), "CHISO_DATABASE_URL": url, "CHISO_SECRET_KEY": "bench"}
    server = subprocess.Popen(
        [sys.executable, "-m", "chiso", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "server.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    rankings = f"/api/v1/rankings?period={quote(PERIOD, safe='')}&per_page=5000"
    auth = {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        client = httpx.Client(base_url=base, timeout=30)
        login = client.post(
            "/login",
            data={"user": "thamdinh", "password": PASSWORD, "csrf_token": csrf(client, "/login"), "next": "/"},
        )
        assert login.status_code == 303, login.text[:300]
        token_form = csrf(client, f"/appraise?period={quote(PERIOD, safe='')}")
        api = httpx.Client(base_url=base, timeout=30, headers=auth)
        # The token's first use records it (a write): done before timing, as an IOC's token in use would be.
        assert api.get("/api/v1/periods").status_code == 200  # (a failed request would not record it)
        round_trips: list[float] = []
        waits: list[float] = []
        previous_run = None
        for code in communes[: args.approvals]:
            approved = client.post("/appraise/approve", data={"period": PERIOD, "unit": code, "csrf_token": token_form})
            committed = time.perf_counter()
            assert approved.status_code == 303, approved.text[:500]
            while True:
                asked = time.perf_counter()
                answer = api.get(rankings)
                round_trips.append(time.perf_counter() - asked)
                if answer.status_code == 200:
                    body = answer.json()
                    rank = next((r["rank"] for r in body["items"] if r["unit_code"] == code), None)
                    if body["run_id"] != previous_run and rank is not None:
                        waits.append(time.perf_counter() - committed)
                        previous_run = body["run_id"]
                        break
                if time.perf_counter() - committed > 60:
                    raise SystemExit(f"no new rank for {code} after 60 s")
                time.sleep(0.01)
        print(f"\n{len(waits)} approvals, {len(communes)} communes in the period, events worker in `chiso serve`\n")
        print(f"{'':<44}{'median ms':>10}{'p99 ms':>10}{'max ms':>10}")
        for label, values in (
            ("approval committed → new rank served", waits),
            ("baseline: one GET /api/v1/rankings", round_trips),
        ):
            ms = [v * 1000 for v in values]
            print(f"{label:<44}{statistics.median(ms):>10.0f}{percentile(ms, 99):>10.0f}{max(ms):>10.0f}")
        print(f"\nratio of the medians: {statistics.median(waits) / statistics.median(round_trips):.1f} × one request")
    finally:
        server.terminate()
        server.wait(timeout=20)
        print(f"server log: {folder / 'server.log'}")


if __name__ == "__main__":
    main()
