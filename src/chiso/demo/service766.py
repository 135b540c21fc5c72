"""The demo's Decision 766 rankings: the province's procedure catalogue simulated beside its dossiers.

The dossiers are in the lake already (`measured`); the simulator adds the catalogue of procedures for
the demo's years, which is ingested like any source. The programme office declares, for 2025, the
feedback (PAKN) figures of every unit that Chiso cannot read (5.1 and 5.2: simulated, and noted so);
the other declared components are left undeclared, so the pages show both "Tự khai" and "Chưa khai".
Then the index is computed for every province, department and commune, by month and by year
(2023–2025, on 2025 units), reading the declarations, and stored, so that `/service-766` shows the
rankings. Every record and figure behind it is simulated (`simulated: true`, "số liệu mô phỏng").
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session

from chiso import clock, units
from chiso.permissions import Actor
from chiso.service766 import declarations, service
from chiso.service766.compute import compute
from chiso.service766.schemas import DeclarationIn
from chiso.settings import Settings
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain
from chiso.sources.simulate import Plan, simulate

DECLARED_YEAR = 2025  # the year the province started declaring what Chiso cannot read
FEEDBACK_PER_MONTH = {"province": 6.0, "department": 2.5, "commune": 0.6}  # PAKN received, on average
NOTE = "số liệu mô phỏng / simulated"


def rank_766(
    session: Session,
    settings: Settings,
    *,
    province: str,
    years: Sequence[int],
    seed: int,
    actor: Actor,
    declarer: Actor,
) -> service.Recorded:
    """Simulate and ingest the catalogue, declare the year's feedback, compute the index by month and
    year reading the declarations, and store it."""
    lake = Lake.at(settings.data_dir, settings.make_clock())
    plan = Plan(province, tuple(years), seed=seed % 2**31, sources=("procedures",))
    for file in simulate(plan, lake.root / "incoming" / "demo"):
        ingest_file(file.path, file.source, lake=lake)  # idempotent, as for the other sources
    if DECLARED_YEAR in years:
        today = clock.of(session).today()
        declarations.declare(session=session, items=feedback(province, seed, today), actor=declarer)
    grains = (Grain.MONTH, Grain.YEAR)
    declared = declarations.frame(session=session, province=province, actor=actor, grains=[g.value for g in grains])
    index = compute(lake=lake, province=province, grains=grains, declared=declared)
    return service.record(session=session, index=index, province=province, actor=actor)


def feedback(province: str, seed: int, today: dt.date) -> list[DeclarationIn]:
    """Simulated feedback (PAKN) of every unit for the months of DECLARED_YEAR begun by `today`, and the
    year (their sums): received, handled on time, neither late nor rated unsatisfied."""
    found = [units.get(province, era="2025"), *units.list_units(era="2025", province=province)]
    months = [m for m in range(1, 13) if dt.date(DECLARED_YEAR, m, 1) <= today]
    items = []
    for unit in found:
        kind = unit.kind.value
        if kind not in FEEDBACK_PER_MONTH:
            continue
        totals = np.zeros(3)
        for month in months:
            period = f"{DECLARED_YEAR}-{month:02d}"
            rng = np.random.default_rng(zlib.crc32(f"{seed}:{unit.code}:{period}".encode()))
            received = int(rng.poisson(FEEDBACK_PER_MONTH[kind]))
            on_time = int(rng.binomial(received, 0.9))
            satisfied = int(rng.binomial(on_time, 0.93))
            totals += (received, on_time, satisfied)
            items += _figures(unit.code, period, (received, on_time, satisfied))
        if months:
            items += _figures(unit.code, str(DECLARED_YEAR), tuple(int(x) for x in totals))
    return items


def _figures(unit: str, period: str, figures: tuple[int, ...]) -> list[DeclarationIn]:
    names = ("feedback", "feedback_on_time", "feedback_satisfied")
    return [
        DeclarationIn(unit_code=unit, period=period, variable=name, value=float(value), note=NOTE)
        for name, value in zip(names, figures, strict=True)
    ]
