"""The engine's input: a balanced panel of units × periods for each variable.

Every array has shape (periods, units); a unit missing in a period is NaN. Values for node codes
(e.g. published main-indicator values) are `given` and replace what the engine would compute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Labels = NDArray[np.object_]


@dataclass(frozen=True)
class Panel:
    units: tuple[str, ...]
    periods: tuple[str, ...]
    variables: Mapping[str, Array]
    given: Mapping[str, Array] = field(default_factory=dict)
    groups: Mapping[str, Labels] = field(default_factory=dict)
    ranked: NDArray[np.bool_] | None = None  # (units,) False = assessed but not ranked

    def __post_init__(self) -> None:
        shape = self.shape
        for kind, arrays in (("variable", self.variables), ("given node", self.given), ("group", self.groups)):
            for name, array in arrays.items():
                if array.shape != shape:
                    raise ValueError(f"{kind} {name!r} has shape {array.shape}, expected {shape}")
        if self.ranked is not None and self.ranked.shape != (len(self.units),):
            raise ValueError("`ranked` needs one flag per unit")
        if len(set(self.units)) != len(self.units):
            raise ValueError("unit codes must be unique")

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.periods), len(self.units))

    @classmethod
    def from_arrays(
        cls,
        units: Sequence[str],
        periods: Sequence[str],
        variables: Mapping[str, Array | Sequence[Sequence[float]]],
        *,
        given: Mapping[str, Array | Sequence[Sequence[float]]] | None = None,
        groups: Mapping[str, Sequence[Sequence[str]] | Labels] | None = None,
        ranked: Sequence[bool] | None = None,
    ) -> Panel:
        """Build a panel from nested sequences or arrays shaped (periods, units)."""
        return cls(
            units=tuple(str(u) for u in units),
            periods=tuple(str(p) for p in periods),
            variables={k: np.asarray(v, dtype=np.float64) for k, v in variables.items()},
            given={k: np.asarray(v, dtype=np.float64) for k, v in (given or {}).items()},
            groups={k: np.asarray(v, dtype=object) for k, v in (groups or {}).items()},
            ranked=None if ranked is None else np.asarray(ranked, dtype=bool),
        )
