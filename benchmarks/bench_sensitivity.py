#!/usr/bin/env python3
"""Uncertainty and sensitivity analysis on the scenario axis, against the same draws run one by one.

    python benchmarks/bench_sensitivity.py [--repeat 5]

UA: the ASEM index, noisy weights (factor 0.25) on levels 2–4, 200 draws.
SA: COINr's sensitivity vignette (winsorisation limit, normalisation, weights, aggregation), N = 50,
300 runs of Saltelli's design.
Vectorised: `chiso.uncertainty.draw` + `analyse` (nominal run, every scenario, rank statistics, Sobol
indices). Baseline: the same scenarios written out as frameworks and scored one by one with
`chiso.engine.run` in a loop, in this process. Both give the same scores (checked to 1e-9) before any
time is reported. Prints the best time of --repeat, the ratio to the loop and the peak memory
(tracemalloc, in a separate pass so that tracing does not slow the timed runs).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import chiso
from chiso.engine import Panel, run
from chiso.engine.frames import FrameSpec, panel_from_frame
from chiso.framework import Framework
from chiso.framework.sensitivity import SensitivitySpec, load_sensitivity
from chiso.uncertainty import Design, analyse, draw

ROOT = Path(__file__).resolve().parent.parent
ASEM = ROOT.parent / "shared" / "fixtures" / "asem"
GOALS = {"UA": (0.17, 10.0), "SA": (0.5, None)}


def vectorised(fw: Framework, panel: Panel, spec: SensitivitySpec) -> np.ndarray:
    analysis = analyse(fw, panel, spec, draw(fw, spec))
    _ = analysis.rank_stats, analysis.sensitivity_table
    values: np.ndarray = analysis.scenarios.values
    return values


def loop(fw: Framework, panel: Panel, spec: SensitivitySpec, design: Design) -> np.ndarray:
    """Each scenario as its own framework, scored by the plain engine."""
    scenarios = design.scenarios
    code = spec.target or fw.index
    out = []
    for s in range(scenarios.size):
        variant = scenarios.variants[int(scenarios.variant[s])]
        nodes = []
        for node in variant.nodes:
            update: dict[str, Any] = {}
            if node.code in scenarios.weights:
                w = scenarios.weights[node.code][:, s]
                update["children"] = tuple(
                    c.model_copy(update={"weight": float(x)}) for c, x in zip(node.children, w, strict=True)
                )
            if node.code in scenarios.methods:
                update["method"] = scenarios.methods[node.code][s]
            nodes.append(node.model_copy(update=update) if update else node)
        out.append(run(variant.model_copy(update={"nodes": tuple(nodes)}), panel).values[code])
    return np.stack(out)


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_mib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def bench(name: str, fw: Framework, panel: Panel, spec: SensitivitySpec, repeat: int) -> bool:
    design = draw(fw, spec)
    vec_time, vec_values = best_of(repeat, lambda: vectorised(fw, panel, spec))
    loop_time, loop_values = best_of(max(1, repeat // 2), lambda: loop(fw, panel, spec, design))
    np.testing.assert_allclose(vec_values, loop_values, rtol=0, atol=1e-9)
    ratio = loop_time / vec_time
    vec_mem = peak_mib(lambda: vectorised(fw, panel, spec))
    loop_mem = peak_mib(lambda: loop(fw, panel, spec, design))
    goal_time, goal_ratio = GOALS[name]
    met = vec_time < goal_time and (goal_ratio is None or ratio >= goal_ratio)
    print(f"{name}: {design.scenarios.size} scenarios, {len(design.scenarios.variants)} pipeline variant(s)")
    print(f"  vectorised {vec_time * 1000:8.1f} ms   peak {vec_mem:7.1f} MiB   (goal < {goal_time * 1000:.0f} ms)")
    print(f"  loop       {loop_time * 1000:8.1f} ms   peak {loop_mem:7.1f} MiB")
    wanted = f" (goal ≥ {goal_ratio:.0f}×)" if goal_ratio else ""
    print(f"  ratio      {ratio:8.1f}×{wanted}   {'met' if met else 'NOT MET'}")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    fw = chiso.load_framework(ROOT / "examples" / "frameworks" / "asem.yaml")
    data = pd.read_csv(ASEM / "ASEM_iData.csv")
    panel = panel_from_frame(fw, data, FrameSpec(unit_column="uCode", group_columns=("EurAsia_group",))).panel
    ua = load_sensitivity(ROOT / "examples" / "sensitivity" / "asem-ua.yaml").model_copy(update={"n": 200})
    sa = load_sensitivity(ROOT / "examples" / "sensitivity" / "asem-sa.yaml").model_copy(update={"n": 50})
    results = [bench("UA", fw, panel, ua, args.repeat), bench("SA", fw, panel, sa, args.repeat)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
