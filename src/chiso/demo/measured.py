"""The demo's measurable commune indicators, computed from records as a province would compute them.

The simulator writes the province's public-service dossiers, documents and staff accounts for the
demo's years (scaled down so that the build stays quick: the ratios, not the volumes, give the
points); they are ingested into the lake of the data directory and measured with the shipped
`commune-2025` measure set, by year, on 2025 units; the values are recorded with source `measured`
and their lineage (set, version, records, files, and `simulated: true` from the records). So
`chiso sources measure --lineage UNIT VARIABLE YEAR` explains them, and the unit profile shows them.

A new commune that took part of an old commune split in 2025 cannot be measured before 1/7/2025 (the
old commune's records cannot be divided); for those units and years the figures stay declared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from chiso.permissions import Actor
from chiso.settings import Settings
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain, load_measures
from chiso.sources.service import measure, values_in
from chiso.sources.simulate import Plan, simulate
from chiso.values import service as values

MEASURE_SET = "commune-2025"
SCALE = 0.05  # of the province's simulated real volumes, for a quick build: ≈ 100,000 dossiers, 500,000 documents


@dataclass
class Measured:
    """Measured figures by year and unit (only units and years whose records could be placed)."""

    figures: dict[int, dict[str, dict[str, float]]] = field(default_factory=dict)

    def for_unit(self, year: int, unit: str) -> dict[str, float]:
        return self.figures.get(year, {}).get(unit, {})


def measure_communes(
    session: Session,
    settings: Settings,
    *,
    province: str,
    years: Sequence[int],
    communes: Sequence[str],
    seed: int,
    actor: Actor,
) -> Measured:
    """Simulate, ingest and measure the records of `years`; record the communes' values; what was measured."""
    lake = Lake.at(settings.data_dir, settings.make_clock())
    definitions = load_measures(MEASURE_SET)
    plan = Plan(province, tuple(years), seed=seed % 2**31, scale=SCALE, sources=tuple(definitions.sources))
    written = simulate(plan, lake.root / "incoming" / "demo")
    for file in written:  # idempotent: records already in the lake (same source ids) are not added again
        ingest_file(file.path, file.source, lake=lake)
    result = measure(lake=lake, measures=definitions, grains=[Grain.YEAR], era="2025", province=province)
    wanted = set(communes)
    labels = {str(y) for y in years}
    chosen = result.values[result.values["unit"].isin(wanted) & result.values["period"].isin(labels)]
    values.record_many(session=session, values_in=values_in(chosen), actor=actor)
    figures: dict[int, dict[str, dict[str, float]]] = defaultdict(dict)
    for unit, period, variable, value in chosen[["unit", "period", "variable", "value"]].itertuples(index=False):
        figures[int(period)].setdefault(str(unit), {})[str(variable)] = float(value)
    return Measured(dict(figures))


PROVINCE_SET = "service-2025"


def measure_province(
    session: Session,
    settings: Settings,
    *,
    province: str,
    years: Sequence[int],
    variables: Iterable[str],
    actor: Actor,
) -> int:
    """Record the province's own yearly figures that the programme's targets read as measured
    (`tracks.measured`), counted by the `service-2025` set over the records already in the lake."""
    wanted = set(variables)
    if not wanted:
        return 0
    lake = Lake.at(settings.data_dir, settings.make_clock())
    result = measure(
        lake=lake, measures=load_measures(PROVINCE_SET), grains=[Grain.YEAR], era="2025", province=province
    )
    frame = result.values
    labels = {str(y) for y in years}
    chosen = frame[(frame["unit"] == province) & frame["variable"].isin(wanted) & frame["period"].isin(labels)]
    return len(values.record_many(session=session, values_in=values_in(chosen), actor=actor))
