#!/usr/bin/env python3
"""Engine benchmark: a national commune run and the ASEM build, each against a plain pandas/Python baseline.

    python benchmarks/bench_engine.py [--units 3321] [--years 5] [--repeat 5]

National run: 3,321 communes × the shipped commune set × 5 years, synthetic values from a fixed seed.
The baseline scores the same values the way a straightforward script would (row by row, rule by
rule, then pandas group sums and ranks); both results are compared before any time is reported.
Prints values per second, absolute times and the ratio engine/baseline.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import chiso
from chiso.engine import Panel, Result, run
from chiso.framework import Framework, Indicator
from chiso.framework.spec import BooleanRule, PointsRule, RatioRule, ThresholdsRule, TiersRule

ROOT = Path(__file__).resolve().parent.parent
ASEM = ROOT.parent / "shared" / "fixtures" / "asem"


def synthetic_values(fw: Framework, units: int, years: int, seed: int = 20251231) -> dict[str, np.ndarray]:
    """Values shaped like a province's declarations: ratios ≤ 1 mostly, levels, counts, yes/no, points."""
    rng = np.random.default_rng(seed)
    shape = (years, units)
    values: dict[str, np.ndarray] = {}
    for ind in fw.indicators:
        rule = ind.scoring
        if isinstance(rule, RatioRule):
            denominator = rng.integers(50, 5000, shape).astype(float)
            values[rule.denominator] = denominator
            values[rule.numerator] = np.floor(denominator * rng.beta(4, 2, shape) * 1.05)
        elif isinstance(rule, TiersRule):
            values[ind.rule_variables[0]] = rng.choice([t.value for t in rule.levels], shape)
        elif isinstance(rule, ThresholdsRule) and ind.denominator:
            top = max(s.at_least for s in rule.steps)
            values[ind.denominator] = rng.integers(1_000, 50_000, shape).astype(float)
            values[ind.rule_variables[0]] = values[ind.denominator] * rng.random(shape) * top * 1.5
        elif isinstance(rule, ThresholdsRule):
            top = max(s.at_least for s in rule.steps)
            values[ind.rule_variables[0]] = rng.integers(0, int(top) + 2, shape).astype(float)
        elif isinstance(rule, BooleanRule):
            values[ind.rule_variables[0]] = (rng.random(shape) < 0.7).astype(float)
        elif isinstance(rule, PointsRule):
            values[ind.rule_variables[0]] = np.round(rng.random(shape) * (ind.max_points or 1), 2)
        else:
            values[ind.rule_variables[0]] = rng.random(shape) * 100
    return values


# --- the baseline: what a straightforward script does ---------------------------------------------


def baseline_points(ind: Indicator, row: dict[str, float], denominate: bool) -> float:
    rule, max_points = ind.scoring, ind.max_points or 0.0
    if isinstance(rule, RatioRule):
        a, b = row[rule.numerator], row[rule.denominator]
        if b == 0:
            return math.nan
        return max(0.0, min(a / b, 1.0)) * max_points
    x = row[ind.rule_variables[0]]
    if denominate and ind.denominator:
        x = x / row[ind.denominator] if row[ind.denominator] else math.nan
    if isinstance(rule, TiersRule):
        return next((t.share * max_points for t in rule.levels if t.value == x), math.nan)
    if isinstance(rule, ThresholdsRule):
        reached = [s.points for s in rule.steps if x >= s.at_least]
        return max(reached) if reached else rule.below
    if isinstance(rule, BooleanRule):
        return max_points if x != 0 else 0.0
    if isinstance(rule, PointsRule):
        return max(0.0, min(x, max_points))
    raise ValueError(f"baseline does not score {rule}")


def baseline_commune(fw: Framework, frame: pd.DataFrame) -> pd.DataFrame:
    records = []
    for row in frame.to_dict("records"):
        out = {"unit": row["unit"], "period": row["period"]}
        for ind in fw.indicators:
            out[ind.code] = baseline_points(ind, row, fw.pipeline.denominate)
        records.append(out)
    scored = pd.DataFrame(records)
    for node in reversed([n for n in fw.nodes if n.kind == "aggregate"]):  # children before parents
        scored[node.code] = sum(scored[c.code].fillna(0) * c.weight for c in node.children)
    scored["rank"] = scored.groupby("period")[fw.index].rank(method="min", ascending=False)
    return scored


def scored_and_ranked(fw: Framework, panel: Panel) -> Result:
    """What the baseline computes: every node's value and the index's ranks."""
    result = run(fw, panel)
    result.rank(fw.index)
    return result


# --- timing -----------------------------------------------------------------------------------------


def best_of(repeat: int, work: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def national(units: int, years: int, repeat: int) -> float:
    fw = chiso.load_framework("commune-2025")
    variables = synthetic_values(fw, units, years)
    unit_codes = [f"{i:05d}" for i in range(units)]
    periods = [str(2021 + y) for y in range(years)]
    panel = Panel.from_arrays(unit_codes, periods, variables)
    frame = pd.DataFrame({"unit": np.tile(unit_codes, years), "period": np.repeat(periods, units)})
    frame = pd.concat([frame, pd.DataFrame({k: v.reshape(-1) for k, v in variables.items()})], axis=1)

    engine_time, result = best_of(repeat, lambda: scored_and_ranked(fw, panel))
    baseline_time, expected = best_of(max(1, repeat // 5), lambda: baseline_commune(fw, frame))
    scores = result.scores  # type: ignore[attr-defined]
    np.testing.assert_allclose(scores[fw.index], expected[fw.index], rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(result.rank_table()[fw.index], expected["rank"])  # type: ignore[attr-defined]
    cells = units * years * len(variables)
    ratio = baseline_time / engine_time
    print(
        f"national commune run: {units} units × {years} years × {len(fw.indicators)} indicators "
        f"({len(variables)} variables, {cells:,} values)"
    )
    print(f"  engine   {engine_time * 1000:9.1f} ms  {cells / engine_time:14,.0f} values/s")
    print(f"  baseline {baseline_time * 1000:9.1f} ms  {cells / baseline_time:14,.0f} values/s")
    print(f"  ratio    {ratio:9.1f}× (required ≥ 50×)")
    return ratio


def baseline_asem(fw: Framework, data: pd.DataFrame) -> pd.Series:
    """COINr's default build written plainly with pandas, one indicator and one unit group at a time."""
    from chiso.engine.treat import treat

    frame = data.set_index("uCode")
    indicators = [i for i in fw.indicators]
    x = pd.DataFrame(
        {i.code: frame[i.code] / frame[i.denominator] if i.denominator else frame[i.code] for i in indicators}
    )
    for code in x.columns:
        x[code] = x[code].fillna(x.groupby(frame["EurAsia_group"])[code].transform("mean"))
    params = fw.pipeline.treat
    assert params is not None
    for code in x.columns:
        x[code] = treat(x[code].to_numpy(float), params).values
    for ind in indicators:
        col = x[ind.code] * ind.direction
        x[ind.code] = (col - col.min()) / (col.max() - col.min()) * 100
    for node in reversed([n for n in fw.nodes if n.kind == "aggregate"]):
        w = pd.Series({c.code: c.weight for c in node.children})
        values = x[list(w.index)]
        x[node.code] = (values * w).sum(axis=1) / values.notna().mul(w).sum(axis=1)
    return x[fw.index]


def asem(repeat: int) -> float:
    fw = chiso.load_framework(ROOT / "examples" / "frameworks" / "asem.yaml")
    data = pd.read_csv(ASEM / "ASEM_iData.csv")
    spec_frame = data.rename(columns={"uCode": "unit"})
    from chiso.engine.frames import FrameSpec, panel_from_frame

    panel = panel_from_frame(fw, spec_frame, FrameSpec(group_columns=("EurAsia_group",))).panel
    engine_time, result = best_of(repeat, lambda: run(fw, panel))
    baseline_time, expected = best_of(repeat, lambda: baseline_asem(fw, data))
    got = result.scores.set_index("unit")[fw.index]  # type: ignore[attr-defined]
    np.testing.assert_allclose(got.loc[expected.index], expected, rtol=0, atol=1e-9)  # type: ignore[union-attr]
    ratio = baseline_time / engine_time
    cells = len(panel.units) * len(panel.variables)
    print(f"ASEM build: {len(panel.units)} units × {len(fw.indicators)} indicators ({cells:,} values)")
    print(f"  engine   {engine_time * 1000:9.1f} ms  {cells / engine_time:14,.0f} values/s")
    print(f"  baseline {baseline_time * 1000:9.1f} ms  {cells / baseline_time:14,.0f} values/s")
    print(f"  ratio    {ratio:9.1f}×")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=3321)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    ratios = [national(args.units, args.years, args.repeat), asem(args.repeat)]
    print(f"summary: national {ratios[0]:.1f}× (required ≥ 50×), ASEM {ratios[1]:.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
