"""What an uncertainty or sensitivity analysis doubts, as data (`schema: chiso/sensitivity`).

Mirrors COINr's `SA_specs`: each uncertain *input* has a name, an *address* in the framework, and a
distribution, discrete (alternatives drawn with equal probability) or continuous (uniform between two
bounds). Addresses:

- `pipeline.<field>[.<field>…]`: any pipeline setting, e.g. `pipeline.treat.winsorise_max` (1–5),
  `pipeline.normalise` (scoring rules), `pipeline.impute.method`, `pipeline.treat` (`null` = none);
- `aggregates.method` (every aggregate) or `nodes.<code>.method`: mean, geometric or harmonic;
- `nodes.<code>.weight`: the weight of one node in its parent(s);
- `weights`: noisy weights, COINr's `get_noisy_weights`: each node at a listed level gets its weight
  times (1 + factor·U(−1, 1)); levels count from the indicators (1) up;
- `exclude`: an indicator left out of its parents (`null` = none), the others carrying its weight.

`type: UA` draws `n` scenarios at random; `type: SA` builds Saltelli's design as COINr does (N·(d + 2)
scenarios: A, B, then one block per input with that input taken from B) for first-order and total
Sobol indices of the mean absolute rank shift. A `seed` makes a run reproducible.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Literal

import yaml
from pydantic import ConfigDict, Field, ValidationError, model_validator

from chiso.errors import ChisoError
from chiso.framework.spec import Code, Frozen
from chiso.framework.validate import Problem

SCHEMA_ID: Final = "chiso/sensitivity"
SCHEMA_VERSION: Final = 1
METHODS = frozenset({"mean", "geometric", "harmonic"})


class NoiseLevel(Frozen):
    level: int = Field(ge=1, description="Level of the nodes whose weights get noise (indicators are 1).")
    factor: float = Field(ge=0, le=1, description="Weights become w·(1 + factor·U(−1, 1)).")


class Input(Frozen):
    name: str = Field(min_length=1)
    address: str = Field(min_length=1, description="Where in the framework (see the module's list).")
    type: Literal["discrete", "continuous"] = "discrete"
    distribution: tuple[Any, ...] = Field((), description="Discrete: the alternatives; continuous: [low, high].")
    labels: tuple[str, ...] = Field((), description="Names of the alternatives, as tables show them.")
    noise: tuple[NoiseLevel, ...] = Field((), description="For `weights`: the noise per level.")
    sets: int | None = Field(
        None,
        gt=0,
        description=(
            "For `weights`: draw this many noisy weight sets and pick one per scenario (COINr's Nrep);"
            " default: a fresh set per scenario in a UA, 100 sets in an SA."
        ),
    )

    @model_validator(mode="after")
    def _shape(self) -> Input:
        if self.address == "weights":
            if not self.noise:
                raise ValueError("`weights` needs `noise: [{level, factor}, …]`")
            return self
        if self.type == "continuous":
            bounds = self.distribution
            if len(bounds) != 2 or not all(isinstance(b, int | float) for b in bounds) or not bounds[0] < bounds[1]:
                raise ValueError("a continuous input needs `distribution: [low, high]` with low < high")
        elif not self.distribution:
            raise ValueError("a discrete input needs its alternatives in `distribution`")
        if self.labels and len(self.labels) != len(self.distribution):
            raise ValueError("`labels` needs one name per alternative")
        return self

    def label(self, k: int) -> str:
        """The name of alternative k (its label, or the value as text)."""
        if self.labels:
            return self.labels[k]
        value = self.distribution[k]
        return "none" if value is None else str(value)


class SensitivitySpec(Frozen):
    schema_: Literal["chiso/sensitivity"] = Field(SCHEMA_ID, alias="schema")
    version: Literal[1] = SCHEMA_VERSION
    type: Literal["UA", "SA"] = Field(description="UA: random draws, rank intervals; SA: Sobol indices too.")
    n: int = Field(gt=1, description="UA: the number of draws; SA: the base sample N (N·(d + 2) runs).")
    seed: int = Field(0, description="Seed of the random draws: the same seed gives the same run.")
    target: Code | None = Field(None, description="The node analysed; default the index.")
    nboot: int = Field(100, ge=0, description="SA: bootstrap resamples for the Sobol indices' 5–95 % intervals.")
    inputs: tuple[Input, ...] = Field(min_length=1)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _distinct_names(self) -> SensitivitySpec:
        names = [i.name for i in self.inputs]
        if len(set(names)) != len(names):
            raise ValueError("two inputs share a name")
        return self


class SensitivityError(ChisoError, ValueError):
    """A sensitivity specification that cannot be used, with every problem found."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = problems
        head = f"{source}: " if source else ""
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{head}{len(problems)} problem(s) in the sensitivity specification:\n{lines}")


def parse_sensitivity(document: Any, origin: str = "") -> SensitivitySpec:
    if not isinstance(document, dict):
        problem = Problem("", "the document must be a mapping with `schema`, `type`, `inputs` …")
        raise SensitivityError([problem], origin)
    try:
        return SensitivitySpec.model_validate(document)
    except ValidationError as exc:
        problems = [
            Problem(".".join(str(p) for p in e["loc"]), str(e["msg"]).removeprefix("Value error, "))
            for e in exc.errors()
        ]
        raise SensitivityError(problems, origin) from exc


def load_sensitivity(path: str | Path) -> SensitivitySpec:
    source = Path(path)
    if not source.exists():
        raise SensitivityError([Problem("", "file not found")], str(source))
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SensitivityError([Problem("", f"not valid YAML: {exc}")], str(source)) from exc
    return parse_sensitivity(document, str(source))


def dump_sensitivity(spec: SensitivitySpec) -> str:
    data = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return yaml.safe_dump({"schema": SCHEMA_ID, "version": SCHEMA_VERSION, **data}, sort_keys=False, allow_unicode=True)


__all__ = [
    "METHODS",
    "Input",
    "NoiseLevel",
    "SensitivityError",
    "SensitivitySpec",
    "dump_sensitivity",
    "load_sensitivity",
    "parse_sensitivity",
]
