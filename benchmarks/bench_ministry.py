#!/usr/bin/env python3
"""What the demo's example DTI component list adds to the demo build, against a step the build already has.

    PYTHONPATH=src python benchmarks/bench_ministry.py [--runs 5]

On SQLite in a temporary folder, with the units and the DTI frameworks read once first (as they are when
the demo build reaches this step): the time of `chiso.demo.ministry.load` (the 47 components checked,
their framework composed and published, the list stored), each run rolled back, against the time of
opening the department set's collection period for the province's 12 departments (which the build does
once a year, three times), in the same run. Prints both medians and their ratio; the first run of the
new step, with its own caches cold, apart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from chiso import clock, migrations, units
from chiso.actors import service as actors
from chiso.collection import service as collection
from chiso.collection.schemas import PeriodOpen
from chiso.db import make_engine, transaction
from chiso.demo import ministry as example
from chiso.national import service as national


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    at = clock.StartedClock(dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=7))))
    departments = tuple(u.code for u in units.list_units(era="2025", kind="department", province="19"))
    national.framework(2025)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        migrations.upgrade(engine)
        new, baseline = [], []
        for _ in range(args.runs + 1):
            with transaction(engine, at) as s:
                admin = actors.ensure(session=s, user="admin", roles={"admin"}, actor=None)
                started = time.perf_counter()
                collection.open_period(
                    session=s,
                    period_in=PeriodOpen(
                        framework="department-2025", year=2025, units=departments,
                        opens_on=dt.date(2026, 3, 1), closes_on=dt.date(2026, 4, 30),
                    ),
                    actor=admin,
                )  # fmt: skip
                baseline.append(time.perf_counter() - started)
                s.rollback()
            with transaction(engine, at) as s:
                admin = actors.ensure(session=s, user="admin", roles={"admin"}, actor=None)
                started = time.perf_counter()
                example.load(session=s, admin=admin)
                new.append(time.perf_counter() - started)
                s.rollback()
        engine.dispose()
    first, new, baseline = new[0], new[1:], baseline[1:]
    print(f"example DTI component list (demo step): median {statistics.median(new):.3f} s over {args.runs} runs"
          f" (first, caches cold: {first:.3f} s)")  # fmt: skip
    print(f"baseline, opening the department period for 12 units: median {statistics.median(baseline):.3f} s")
    print(f"ratio new step / baseline: {statistics.median(new) / statistics.median(baseline):.2f}")


if __name__ == "__main__":
    main()
