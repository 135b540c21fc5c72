#!/usr/bin/env python3
"""What rank intervals add to computing a final result run (issue 16, item 2).

    python benchmarks/bench_rank_intervals.py [--units 92] [--repeat 5]

The commune framework (62 indicators) on a panel of `--units` communes with seeded indicator scores,
given as `results.compute` gives them to the engine. Baseline: the run itself (`chiso.engine.run`), the
work computing a run always did. Measured: the intervals as `results.intervals.store` computes them (the
shipped specification: 200 draws of weights ±25 %, the nominal run riding along, rank statistics).
Prints the best time of --repeat and the ratio to the baseline. Pages never pay this: they read the rows.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from chiso.engine import Panel, run
from chiso.framework import load_shipped
from chiso.results.intervals import spec_for
from chiso.uncertainty import analyse, draw


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=92)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    framework = load_shipped("commune-2025")
    rng = np.random.default_rng(20261207)
    units = tuple(f"{i:05d}" for i in range(args.units))
    given = {i.code: np.floor(rng.random((1, args.units)) * 3) / 2 * (i.max_points or 1) for i in framework.indicators}
    nan = np.full((1, args.units), np.nan)
    panel = Panel.from_arrays(units, ["2025"], {v: nan for v in framework.variables}, given=given)
    spec = spec_for(framework)
    assert spec is not None

    def intervals() -> object:
        return analyse(framework, panel, spec, draw(framework, spec)).rank_stats

    intervals()  # warm up (imports, first allocations)
    base = best(lambda: run(framework, panel), args.repeat)
    measured = best(intervals, args.repeat)
    print(f"units {args.units}, draws {spec.n}, best of {args.repeat}")
    print(f"  the run (engine.run)          {base * 1000:8.1f} ms")
    print(f"  its rank intervals            {measured * 1000:8.1f} ms  ({measured / base:.1f}× the run)")


if __name__ == "__main__":
    main()
