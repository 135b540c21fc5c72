"""One uncertainty or sensitivity analysis: the nominal run, every scenario, and their summaries."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chiso.engine import Panel
from chiso.engine.panel import Array
from chiso.engine.scenarios import ScenarioScores, evaluate, with_nominal
from chiso.engine.sobol import Sobol, mean_rank_shift, rank_stats, sobol
from chiso.framework.sensitivity import SensitivitySpec
from chiso.framework.spec import Framework
from chiso.uncertainty.design import Design


@dataclass(frozen=True)
class Analysis:
    framework: Framework
    spec: SensitivitySpec
    design: Design
    units: tuple[str, ...]
    periods: tuple[str, ...]
    nominal: Array  # (periods, units): the node's value as the framework declares it
    nominal_ranks: Array
    scenarios: ScenarioScores  # (scenarios, periods, units)
    sampled: np.ndarray  # (scenarios,): the runs the rank statistics read (an SA's blocks A and B)
    sensitivity: list[Sobol]  # one per period; empty for a UA

    @property
    def node(self) -> str:
        return self.scenarios.node

    @property
    def rank_stats(self) -> pd.DataFrame:
        """Per unit and period: nominal score and rank, and the rank's mean, median, 5 % and 95 % quantiles."""
        stats = rank_stats(self.scenarios.ranks[self.sampled])
        frame = pd.DataFrame(
            {
                "unit": np.tile(self.units, len(self.periods)),
                "period": np.repeat(self.periods, len(self.units)),
                "nominal_score": self.nominal.ravel(),
                "nominal_rank": self.nominal_ranks.ravel(),
                "mean": stats.mean.ravel(),
                "median": stats.median.ravel(),
                "q5": stats.q05.ravel(),
                "q95": stats.q95.ravel(),
            }
        )
        return frame.sort_values(["period", "nominal_rank", "unit"], na_position="last", kind="stable").reset_index(
            drop=True
        )

    def per_scenario(self, what: str = "values") -> pd.DataFrame:
        """The node's value (or rank) per unit and period: `nominal`, then one column per scenario (s1 …)."""
        data = self.scenarios.values if what == "values" else self.scenarios.ranks
        nominal = self.nominal if what == "values" else self.nominal_ranks
        size = data.shape[0]
        columns = {f"s{k + 1}": data[k].ravel() for k in range(size)}
        head = {
            "unit": np.tile(self.units, len(self.periods)),
            "period": np.repeat(self.periods, len(self.units)),
            "nominal": nominal.ravel(),
        }
        return pd.DataFrame({**head, **columns})

    @property
    def sensitivity_table(self) -> pd.DataFrame:
        """Per period and input: first-order (Si) and total (STi) indices with bootstrap 5–95 % intervals."""
        rows = []
        for period, result in zip(self.periods, self.sensitivity, strict=False):
            for k, item in enumerate(self.spec.inputs):
                rows.append(
                    {
                        "period": period,
                        "input": item.name,
                        "si": result.first[k],
                        "sti": result.total[k],
                        "si_q5": result.first_interval[k, 0],
                        "si_q95": result.first_interval[k, 1],
                        "sti_q5": result.total_interval[k, 0],
                        "sti_q95": result.total_interval[k, 1],
                    }
                )
        return pd.DataFrame(rows, columns=["period", "input", "si", "sti", "si_q5", "si_q95", "sti_q5", "sti_q95"])


def analyse(framework: Framework, panel: Panel, spec: SensitivitySpec, design: Design) -> Analysis:
    code = spec.target or framework.index
    # The nominal run rides along as scenario 0: it shares the variants' work, and the engine's
    # order-free sums make it equal, bit for bit, to `run` (a golden test checks).
    both = evaluate(framework, panel, with_nominal(framework, design.scenarios), code)
    nominal, nominal_ranks = both.values[0], both.ranks[0]
    scores = ScenarioScores(code, both.values[1:], both.ranks[1:])
    blocks = design.table["block"].to_numpy(dtype=object)
    d = len(spec.inputs)
    if spec.type == "SA":
        sampled = (
            np.isin(blocks, ["A", "B"]) if np.isin(blocks, ["A", "B"]).any() else np.arange(len(blocks)) < 2 * design.n
        )
        shift = mean_rank_shift(scores.ranks, nominal_ranks)  # (S, P)
        rng = np.random.default_rng([spec.seed, 1])  # the bootstrap's own stream
        sensitivity = [sobol(shift[:, p], design.n, d, spec.nboot, rng) for p in range(len(panel.periods))]
    else:
        sampled = np.ones(len(blocks), dtype=bool)
        sensitivity = []
    return Analysis(
        framework,
        spec,
        design,
        panel.units,
        panel.periods,
        nominal,
        nominal_ranks,
        scores,
        sampled,
        sensitivity,
    )
