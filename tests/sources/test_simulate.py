"""The simulator: deterministic, marked simulated, with the trends and volumes it promises."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
from tests.sources.conftest import SMALL

from chiso.sources.simulate import Plan, simulate


def test_same_seed_same_records(tmp_path: Path):
    plan = Plan("19", (2025,), seed=5, scale=0.002, sources=("dossiers", "documents"))
    first, second = simulate(plan, tmp_path / "a"), simulate(plan, tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert pq.read_table(a.path).equals(pq.read_table(b.path))
    other = simulate(Plan("19", (2025,), seed=6, scale=0.002, sources=("dossiers",)), tmp_path / "c")
    assert not pq.read_table(other[0].path).equals(pq.read_table(first[0].path))


def test_records_say_they_are_simulated_and_follow_the_trends(simulated: Path, tmp_path: Path):
    for path in simulated.glob("*.parquet"):
        assert pc.all(pq.read_table(path, columns=["simulated"])["simulated"]).as_py()
    written = simulate(Plan("19", (2021, 2025), seed=2, scale=0.01, sources=("dossiers",)), tmp_path)
    shares = {}
    for w in written:
        table = pq.read_table(w.path)
        full = pc.sum(pc.equal(table["service_mode"], "full_online")).as_py() or 0
        level4 = pc.sum(pc.and_(pc.equal(table["service_level"], 4), pc.equal(table["channel"], "online"))).as_py()
        shares[w.year] = (full + (level4 or 0)) / table.num_rows
    assert shares[2021] < 0.25 < 0.45 < shares[2025]


def test_about_800000_documents_a_quarter_for_thai_nguyen(simulated: Path):
    table = pq.read_table(simulated / "documents-19-2024.parquet", columns=["sender_unit"])
    per_quarter_at_scale_1 = table.num_rows / 4 / SMALL.scale
    assert 700_000 < per_quarter_at_scale_1 < 900_000


def test_volumes_follow_population(simulated: Path):
    table = pq.read_table(simulated / "dossiers-19-2024.parquet", columns=["receiving_unit", "level"])
    counts = table.filter(pc.equal(table["level"], "commune")).group_by("receiving_unit").aggregate([([], "count_all")])
    values = sorted(counts["count_all"].to_pylist())
    assert len(values) > 250 and values[-1] > 2 * values[0]  # wards are larger than rural communes
