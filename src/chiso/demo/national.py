"""The demo's national view: every province's DTI main indicators for 2020–2024, simulated except where
FACTS.md gives the published figures, and shaped so that the published ranks hold.

Published (FACTS.md §2): the five 2022 rows (Đà Nẵng, TP Hồ Chí Minh, Quảng Ninh, Thừa Thiên Huế, Cần
Thơ) and Bình Dương's DTI 2023 (0.7411); and as constraints on the simulation, the published ranks:
Thái Nguyên 12th (2020), 8th (2021), 8th (2022) of 63 and 8th of 34 in 2024 with full marks on
awareness and institutions; Bình Dương 19th (2022) and 7th (2023); Bắc Kạn 63rd (2022). Everything
else is drawn from a seeded random model (a level and a trend per province, an offset per main
indicator) and labelled `simulated` in its lineage. The 34 provinces' values are the mean of their
predecessors' main indicators (the Ministry's rule for DTI 2024), for every year.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chiso import units
from chiso.demo import example_path
from chiso.national import service as national
from chiso.national.service import PUBLISHED_DTI, PUBLISHED_RANK, Entry
from chiso.units.rollup import derive_new_units

THAI_NGUYEN, BAC_KAN, BINH_DUONG = "19", "06", "74"
FACTS = "FACTS.md §2 (Bộ TT&TT, DTI công bố)"
# (unit, year, era) → published rank
RANKS = {
    (THAI_NGUYEN, 2020, "2024"): 12,
    (THAI_NGUYEN, 2021, "2024"): 8,
    (THAI_NGUYEN, 2022, "2024"): 8,
    (BINH_DUONG, 2022, "2024"): 19,
    (BINH_DUONG, 2023, "2024"): 7,
    (BAC_KAN, 2022, "2024"): 63,
    (THAI_NGUYEN, 2024, "2025"): 8,
}
PUBLISHED_INDEX = {(BINH_DUONG, 2023): 0.7411}
# Not published: keeps the simulated Thái Nguyên on the path its published ranks draw (8th, 8th, …, 8th).
SIMULATED_RANKS = {(THAI_NGUYEN, 2023, "2024"): 9}
OFFSETS = {  # main indicator − index, roughly as in the published 2022 rows
    "awareness": 0.22,
    "institutions": 0.18,
    "infrastructure": 0.07,
    "human_resources": -0.01,
    "cybersecurity": -0.03,
    "gov_activity": 0.07,
    "econ_activity": -0.03,
    "society_activity": -0.22,
    "government": 0.03,
    "economy": -0.05,
    "society": 0.0,
}
YEARS = (2020, 2021, 2022, 2023, 2024)


def rng_for(seed: int, *key: object) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32("/".join(map(str, key)).encode())])


@functools.cache
def weights(year: int) -> dict[str, float]:
    fw = national.framework(year)
    index = fw.node(fw.index)
    return {c.code: c.weight for c in index.children if c.weight}  # type: ignore[union-attr]


def index_of(vector: dict[str, float], year: int) -> float:
    w = weights(year)
    return sum(w[k] * vector[k] for k in w) / sum(w.values())


@dataclass
class Year:
    """The figures of one year and era: unit → main indicator → value, and where each unit's came from."""

    year: int
    era: str
    vectors: dict[str, dict[str, float]] = field(default_factory=dict)
    lineage: dict[str, dict[str, Any]] = field(default_factory=dict)

    def index(self, unit: str) -> float:
        return index_of(self.vectors[unit], self.year)


def fit(vector: dict[str, float], year: int, target: float, fixed: frozenset[str] = frozenset()) -> dict[str, float]:
    """The vector scaled so that its index is `target` (to 4 decimals), keeping `fixed` indicators."""
    w = weights(year)
    free = [k for k in w if k not in fixed]
    out = dict(vector)
    for _ in range(30):
        gap = target - index_of(out, year)
        if abs(gap) < 1e-7:
            break
        room = sum(w[k] for k in free if 0.02 < out[k] < 1.0 or (gap < 0 and out[k] >= 1.0))
        if room == 0:
            raise ValueError(f"cannot reach index {target:.4f} in {year}")
        step = gap * sum(w.values()) / room
        for k in free:
            out[k] = float(np.clip(out[k] + step, 0.02, 1.0))
    out = {k: round(v, 4) for k, v in out.items()}
    heaviest = max(free, key=lambda k: (w[k], out[k] < 1.0))  # absorb the rounding in one indicator
    rest = sum(w[k] * out[k] for k in w if k != heaviest)
    out[heaviest] = round(float(np.clip((target * sum(w.values()) - rest) / w[heaviest], 0.02, 1.0)), 4)
    return out


def simulate(seed: int) -> dict[tuple[int, str], Year]:
    """Every (year, era) of the national view, with the published figures and ranks in place."""
    provinces = [u.code for u in units.list_units(era="2024", kind="province")]
    level = {p: rng_for(seed, "level", p).normal() for p in provinces}
    level.update({THAI_NGUYEN: 1.3, BAC_KAN: -2.2, BINH_DUONG: 0.6})
    trend = {p: float(np.clip(0.035 + 0.012 * rng_for(seed, "trend", p).normal(), 0.005, 0.07)) for p in provinces}
    out: dict[tuple[int, str], Year] = {}
    for year in YEARS:
        data = Year(year, "2024")
        for p in provinces:
            rng = rng_for(seed, "year", year, p)
            base = 0.50 + 0.07 * level[p] + trend[p] * (year - 2021) + rng.normal(0, 0.012)
            if year == 2020:
                base = 0.62 * (0.50 + 0.07 * level[p]) - 0.02
            data.vectors[p] = {
                k: round(float(np.clip(base + OFFSETS[k] + rng.normal(0, 0.05), 0.05, 1.0)), 4) for k in weights(year)
            }
            data.lineage[p] = {"simulated": True, "generator": "chiso.demo.national", "seed": seed}
        out[(year, "2024")] = data
    _published_2022(out[(2022, "2024")])
    _fix_index(out[(2023, "2024")], BINH_DUONG, PUBLISHED_INDEX[(BINH_DUONG, 2023)], RANKS[(BINH_DUONG, 2023, "2024")])
    full = frozenset({"awareness", "institutions"})
    for unit in (THAI_NGUYEN, BAC_KAN):  # full marks in 2024 for both halves of the new Thái Nguyên
        out[(2024, "2024")].vectors[unit].update({k: 1.0 for k in full})
    for year in YEARS:
        wanted = {**RANKS, **SIMULATED_RANKS}
        _place(out[(year, "2024")], {u: r for (u, y, e), r in wanted.items() if y == year and e == "2024"})
    for year in YEARS:
        out[(year, "2025")] = derive(out[(year, "2024")])
    _place_merged(out, 2024, THAI_NGUYEN, BAC_KAN, RANKS[(THAI_NGUYEN, 2024, "2025")], full)
    return out


def _published_2022(data: Year) -> None:
    rows = pd.read_csv(example_path("dti-2022-published.csv"), dtype={"unit": str})
    mains = list(weights(2022))
    for row in rows.to_dict("records"):
        unit = str(row["unit"])
        data.vectors[unit] = {k: float(row[k]) for k in mains}
        data.lineage[unit] = {"simulated": False, "source": FACTS, "published_index": float(row["dti_published"])}
    top = min(float(v) for v in rows["dti_published"])
    for unit in data.vectors:  # the published five are the top five
        if data.lineage[unit]["simulated"] and data.index(unit) >= top - 0.005:
            target = top - 0.01 - 0.04 * rng_for(0, "cap", unit).random()
            data.vectors[unit] = fit(data.vectors[unit], 2022, target)


def _fix_index(data: Year, unit: str, value: float, rank: int) -> None:
    """A published index with its rank: exactly rank − 1 provinces above it."""
    others = sorted((u for u in data.vectors if u != unit), key=data.index, reverse=True)
    for position, other in enumerate(others):
        current = data.index(other)
        if position < rank - 1 and current <= value + 0.002:
            data.vectors[other] = fit(data.vectors[other], data.year, value + 0.004 + 0.002 * (rank - position))
        elif position >= rank - 1 and current >= value - 0.002:
            data.vectors[other] = fit(data.vectors[other], data.year, value - 0.004 - 0.001 * position)
    data.vectors[unit] = fit(data.vectors[unit], data.year, value)
    data.lineage[unit] = {**data.lineage[unit], "published_index": value, "constraint": f"rank {rank}"}


def _place(data: Year, ranks: dict[str, int]) -> None:
    """Give each unit its published rank, best first, by choosing its index between its neighbours."""
    placed: set[str] = set()
    for unit, rank in sorted(ranks.items(), key=lambda item: item[1]):
        if any(unit == u for u, y in PUBLISHED_INDEX if y == data.year):
            placed.add(unit)
            continue
        pending = set(ranks) - placed - {unit}
        others = sorted((u for u in data.vectors if u != unit and u not in pending), key=data.index, reverse=True)
        if rank == 1:
            target = data.index(others[0]) + 0.01
        elif rank - 1 >= len(others):
            target = data.index(others[-1]) - 0.015
        else:
            above, below = data.index(others[rank - 2]), data.index(others[rank - 1])
            if above - below < 0.002 and data.lineage[others[rank - 1]]["simulated"]:
                data.vectors[others[rank - 1]] = fit(data.vectors[others[rank - 1]], data.year, above - 0.003)
                below = data.index(others[rank - 1])
            target = round((above + below) / 2, 4)
        fixed = frozenset(k for k, v in data.vectors[unit].items() if v >= 1.0 and data.year == 2024)
        data.vectors[unit] = fit(data.vectors[unit], data.year, target, fixed)
        what = "simulated" if (unit, data.year, data.era) in SIMULATED_RANKS else "published"
        data.lineage[unit] = {**data.lineage[unit], "constraint": f"{what} rank {rank} of {len(data.vectors)}"}
        placed.add(unit)


def derive(data: Year) -> Year:
    """The 34 provinces' figures: the mean of their predecessors' (the Ministry's rule for DTI 2024)."""
    rows = [
        {"unit": u, "variable": k, "period": str(data.year), "value": v}
        for u, vector in data.vectors.items()
        for k, v in vector.items()
    ]
    derived = derive_new_units(pd.DataFrame(rows))
    out = Year(data.year, "2025")
    for row in derived.to_dict("records"):
        unit, predecessors = str(row["unit"]), str(row["predecessors"]).split(",")
        out.vectors.setdefault(unit, {})[str(row["variable"])] = round(float(row["value"]), 4)
        out.lineage[unit] = {
            "simulated": any(data.lineage[p]["simulated"] for p in predecessors),
            "derived": "mean of the predecessors' main indicators (Ministry's rule, DTI 2024)",
            "predecessors": predecessors,
        }
    return out


def _place_merged(
    out: dict[tuple[int, str], Year], year: int, unit: str, partner: str, rank: int, full: frozenset[str]
) -> None:
    """Place a merged province at its published rank, then split its figures back between its halves."""
    new, old = out[(year, "2025")], out[(year, "2024")]
    others = sorted((new.index(u) for u in new.vectors if u != unit), reverse=True)
    target = round((others[rank - 2] + others[rank - 1]) / 2, 4)
    merged = fit(new.vectors[unit], year, target, full)
    spread = {k: 0.0 if k in full else round(min(0.06, 1.0 - v, v - 0.05), 4) for k, v in merged.items()}
    old.vectors[unit] = {k: round(v + spread[k], 4) for k, v in merged.items()}
    old.vectors[partner] = {k: round(v - spread[k], 4) for k, v in merged.items()}
    for code in (unit, partner):
        old.lineage[code] = {**old.lineage[code], "constraint": f"mean with its partner: rank {rank} of 34 in {year}"}
    out[(year, "2025")] = derive(old)
    out[(year, "2025")].lineage[unit]["constraint"] = f"published rank {rank} of 34"


def entries(data: Year) -> list[Entry]:
    """What to record for one year and era: the main indicators, and the published index and ranks."""
    found = []
    for unit, vector in sorted(data.vectors.items()):
        lineage = data.lineage[unit]
        found += [Entry(unit, k, v, lineage) for k, v in vector.items()]
        published = {"simulated": False, "source": FACTS}
        if "published_index" in lineage and data.era == "2024":
            found.append(Entry(unit, PUBLISHED_DTI, lineage["published_index"], published))
        if (unit, data.year, data.era) in RANKS:
            found.append(Entry(unit, PUBLISHED_RANK, RANKS[(unit, data.year, data.era)], published))
    return found
