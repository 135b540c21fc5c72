"""The demo's Decision 766 rankings: the province's procedure catalogue simulated beside its dossiers.

The dossiers are in the lake already (`measured`); the simulator adds the catalogue of procedures for
the demo's years, which is ingested like any source; then the index is computed for every province,
department and commune, by month and by year (2023–2025, on 2025 units), and stored, so that
`/service-766` shows the rankings. Every record behind it is simulated (`simulated: true`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from chiso.permissions import Actor
from chiso.service766 import service
from chiso.service766.compute import compute
from chiso.settings import Settings
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain
from chiso.sources.simulate import Plan, simulate


def rank_766(
    session: Session, settings: Settings, *, province: str, years: Sequence[int], seed: int, actor: Actor
) -> service.Recorded:
    """Simulate and ingest the catalogue, compute the index by month and year, and store it."""
    lake = Lake.at(settings.data_dir, settings.make_clock())
    plan = Plan(province, tuple(years), seed=seed % 2**31, sources=("procedures",))
    for file in simulate(plan, lake.root / "incoming" / "demo"):
        ingest_file(file.path, file.source, lake=lake)  # idempotent, as for the other sources
    index = compute(lake=lake, province=province, grains=(Grain.MONTH, Grain.YEAR))
    return service.record(session=session, index=index, province=province, actor=actor)
