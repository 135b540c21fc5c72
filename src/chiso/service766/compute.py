"""The 766 index from the lake: the `service-766` measures → the `service-766` framework → ranks by kind.

Placing records on units (docs/sources.md, "The Decision 766 index"):

- departments and communes: the measures as written (a dossier by its receiving unit, a procedure by
  the department that carries it out);
- provinces: the same measures with `unit: province` (every record of the province);
- communes' catalogue components: the province publishes the commune-level procedures for all its
  communes, so each commune takes its province's catalogue measures over procedures of level `commune`.

The three are measured together (`measure_variants`): one query per source and time column places the
records by each unit column at once, so the lake is read, and record versions resolved, once for all.

Declared components (`measurable: false`) take the values given in `declared` (long: unit, period,
variable, value, and the declaration's version when known); without them they have no value and earn
no points. Nothing here reads a database: the service stores what this returns. `score` is the scoring
itself, from the inputs of each unit and period: the re-scoring of stored results when a declaration
changes (`rescore.py`) runs it too, so both give the same figures.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chiso import units
from chiso.engine import run
from chiso.engine.panel import Panel
from chiso.framework import Framework, load_framework
from chiso.sources.compiler import NEW_ERA
from chiso.sources.conditions import Condition
from chiso.sources.engines import Engine
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain, Measure, MeasureSet, load_measures
from chiso.sources.service import measure_variants
from chiso.sources.unitmap import province_units

CODE = "service-766"
KINDS = ("province", "department", "commune")
CATALOGUE = "procedures"


@dataclass(frozen=True)
class Index766:
    """One row per unit and period: kind, total, rank within the kind, points of every node, inputs."""

    framework: Framework
    rows: pd.DataFrame  # era, unit, kind, grain, period, total, rank, ranked, points (dict), inputs (dict), records
    lineage: dict[str, Any]
    # (unit, period) → {variable: version} of the declarations read; None when their versions are unknown
    declared: dict[tuple[str, str], dict[str, int]] | None = None


@functools.cache
def framework() -> Framework:
    """The shipped `service-766` framework (parsed once: it is data that does not change at run time)."""
    return load_framework(CODE)


def variants(measures: MeasureSet) -> dict[str, MeasureSet]:
    """The measure set as written (units), for provinces, and over commune-level procedures (communes)."""
    by_province = tuple(m.model_copy(update={"unit": "province"}) for m in measures.measures)
    commune_level: list[Measure] = []
    level = Condition.model_validate({"column": "level", "op": "eq", "value": "commune"})
    for m in measures.measures:
        if m.source == CATALOGUE:
            where = level if m.where is None else Condition.model_validate({"all": [level, m.where]})
            commune_level.append(m.model_copy(update={"unit": "province", "where": where}))
    return {
        "unit": measures,
        "province": measures.model_copy(update={"measures": by_province}),
        "commune": measures.model_copy(update={"measures": tuple(commune_level)}),
    }


def compute(
    *,
    lake: Lake,
    province: str,
    grains: Sequence[Grain] = (Grain.MONTH, Grain.YEAR),
    engine: str | Engine = "duckdb",
    since: str | None = None,
    until: str | None = None,
    as_of: str | None = None,
    declared: pd.DataFrame | None = None,
    spark_conf: Mapping[str, str] | None = None,
) -> Index766:
    """The index of every province, department and commune of `province` (2025 units) for each period."""
    fw = framework()
    columns = ["unit", "period", "variable", "value", "records"]  # the index keeps its own lineage
    measured = {
        name: values.values
        for name, values in measure_variants(
            lake=lake,
            variants=variants(load_measures(CODE)),
            grains=grains,
            era=NEW_ERA,
            engine=engine,
            province=province,
            since=since,
            until=until,
            as_of=as_of,
            spark_conf=spark_conf,
            columns=columns,
        ).items()
    }
    kinds = kinds_of(province)
    of_kind = {kind: [code for code, k in kinds.items() if k == kind] for kind in KINDS}
    unit_rows = measured["unit"][measured["unit"]["unit"].isin(of_kind["department"] + of_kind["commune"])]
    province_rows = measured["province"][measured["province"]["unit"].isin(of_kind["province"])]
    communes = of_kind["commune"]
    # A commune takes its province's commune-level catalogue in the periods its own records place it in.
    placed = unit_rows.loc[unit_rows["unit"].isin(communes), ["unit", "period"]].drop_duplicates()
    broadcast = placed.merge(measured["commune"].drop(columns=["unit"]), on="period")
    frames = [unit_rows, province_rows, broadcast[columns]]
    values = pd.concat(frames, ignore_index=True)
    # A unit is assessed in a period when it holds procedures or dossiers then; publications dated in
    # another period (a procedure published in 2023 still in the catalogue) do not open one by themselves,
    # nor does a declaration (a unit without records in a month is not ranked on its declared feedback).
    published = _published_variables()
    opens = ~values["variable"].isin(published).to_numpy()
    if declared is not None and len(declared):
        values = pd.concat([values, declared.assign(records=0)[columns]], ignore_index=True)
        opens = np.concatenate([opens, np.zeros(len(declared), dtype=bool)])
    units, _ = pd.factorize(values["unit"])
    periods, labels = pd.factorize(values["period"])
    unit_period = units * len(labels) + periods  # each (unit, period) as one integer
    values = values[np.isin(unit_period, unit_period[opens])]
    rows = score(fw, values, kinds, grains)
    lineage = {
        "framework": CODE,
        "edition": fw.edition,
        "measures": CODE,
        "measures_version": load_measures(CODE).version,
        "engine": engine if isinstance(engine, str) else engine.name,
        "lake_snapshot": lake.snapshot(load_measures(CODE).sources),
        "as_of": as_of or "period end",
        "since": since,
        "until": until,
    }
    return Index766(fw, rows, lineage, _versions(declared))


def _versions(declared: pd.DataFrame | None) -> dict[tuple[str, str], dict[str, int]] | None:
    if declared is None or "version" not in declared.columns:
        return None
    found: dict[tuple[str, str], dict[str, int]] = {}
    for unit, period, variable, version in declared[["unit", "period", "variable", "version"]].itertuples(
        index=False, name=None
    ):
        found.setdefault((str(unit), str(period)), {})[str(variable)] = int(version)
    return found


def declared_variables() -> set[str]:
    """The framework's inputs that no measure gives: what declarations (and only they) provide."""
    return set(framework().variables) - _measured_variables()


def _measured_variables() -> set[str]:
    return {o for m in load_measures(CODE).measures for o in m.outputs}


def _published_variables() -> set[str]:
    return {o for m in load_measures(CODE).measures if m.time == "published_at" for o in m.outputs}


def kinds_of(province: str) -> dict[str, str]:
    """2025 units of the province by code: the province, its departments, its communes."""
    found = {}
    for era, code in province_units(province):
        if era != NEW_ERA:
            continue
        kind = str(units.get(code, era=NEW_ERA).kind.value)
        if kind in KINDS:
            found[code] = kind
    return found


def _period_grain(period: str) -> str:
    return Grain.YEAR.value if len(period) == 4 else Grain.QUARTER.value if "-Q" in period else Grain.MONTH.value


def score(
    framework: Framework, values: pd.DataFrame, kinds: Mapping[str, str], grains: Sequence[Grain]
) -> pd.DataFrame:
    """The index of every (unit, period) that `values` (unit, period, variable, value, records) holds a
    row for, ranked within each kind in each period: the rows of `Index766.rows`, of these grains."""
    columns = ["era", "unit", "kind", "grain", "period", "total", "rank", "ranked", "points", "inputs", "records"]
    if values.empty:
        return pd.DataFrame(columns=columns)
    unit_codes = tuple(sorted(values["unit"].unique()))
    periods = tuple(sorted(values["period"].unique()))
    u_index = pd.Index(unit_codes).get_indexer(values["unit"])
    p_index = pd.Index(periods).get_indexer(values["period"])
    variable_index, variable_names = pd.factorize(values["variable"])
    position = {name: i for i, name in enumerate(variable_names)}
    given = values["value"].to_numpy(dtype=float)
    grids: dict[str, np.ndarray] = {}
    for name in framework.variables:
        grid = np.full((len(periods), len(unit_codes)), np.nan)
        if name in position:
            chosen = variable_index == position[name]
            grid[p_index[chosen], u_index[chosen]] = given[chosen]
        grids[name] = grid
    # A count the records did not produce in a period the unit is assessed in is zero records, not unknown:
    # so a month without publications takes the rule for an empty denominator. Declared inputs stay unknown.
    assessed = np.zeros((len(periods), len(unit_codes)), dtype=bool)
    assessed[p_index, u_index] = True
    for name in _measured_variables() & set(grids):
        grids[name] = np.where(assessed & np.isnan(grids[name]), 0.0, grids[name])
    records = np.zeros((len(periods), len(unit_codes)))
    np.maximum.at(records, (p_index, u_index), values["records"].to_numpy(dtype=float))
    labels = np.tile(np.array([kinds[u] for u in unit_codes], dtype=object), (len(periods), 1))
    panel = Panel(unit_codes, periods, grids, groups={"kind": labels})
    result = run(framework, panel)
    points = result.points
    index = framework.index
    ranks = result.rank(index, "kind")
    nodes = [n.code for n in framework.nodes]
    variables = list(grids)
    at_index = nodes.index(index)
    p_of, u_of = np.nonzero(assessed)  # period by period, units in order; a unit without records is left out
    # Each assessed cell's points and inputs to Python lists at once, not one numpy scalar at a time; a point
    # without a value (NaN) is None.
    node_points = np.stack([np.round(points[c], 10) for c in nodes], axis=-1)[p_of, u_of]
    node_cells = node_points.astype(object)
    node_cells[np.isnan(node_points)] = None
    node_rows = node_cells.tolist()
    input_rows = np.stack([grids[v] for v in variables], axis=-1)[p_of, u_of].tolist()
    ranked = {
        (p, kind): int(np.sum(~np.isnan(ranks[p][labels[p] == kind]))) for p in range(len(periods)) for kind in KINDS
    }
    period_grains = [_period_grain(period) for period in periods]
    out = []
    rank_of, records_of = ranks[p_of, u_of].tolist(), records[p_of, u_of].tolist()
    cells = zip(p_of.tolist(), u_of.tolist(), node_rows, input_rows, rank_of, records_of, strict=True)
    for p, u, cell_points, inputs, rank, held in cells:
        unit = unit_codes[u]
        out.append(
            {
                "era": NEW_ERA,
                "unit": unit,
                "kind": kinds[unit],
                "grain": period_grains[p],
                "period": periods[p],
                "total": cell_points[at_index],
                "rank": None if rank != rank else int(rank),
                "ranked": ranked[p, kinds[unit]],
                "points": dict(zip(nodes, cell_points, strict=True)),
                "inputs": {v: x for v, x in zip(variables, inputs, strict=True) if x == x},
                "records": int(held),
            }
        )
    wanted = {g.value for g in grains}
    frame = pd.DataFrame(out, columns=columns)
    return frame[frame["grain"].isin(wanted)].reset_index(drop=True)
