"""The Decision 766 index on a small record set written here, against figures computed by hand.

September 2025, Thái Nguyên (19): the department of science and technology (19-SKHCN), two communes
(01840 Phường Đức Xuân, 01843 Phường Bắc Kạn) and the province. Each expected figure is worked out in
the comment beside it from the records below, not from Chiso's output.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from chiso.clock import VIETNAM, FixedClock
from chiso.framework import load_framework
from chiso.service766.compute import compute
from chiso.sources.engines import SparkEngine
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain

DEPT, DUC_XUAN, BAC_KAN = "19-SKHCN", "01840", "01843"


def procedure(code: str, authority: str, level: str, **fields: object) -> dict[str, object]:
    base = {
        "id": f"{code}-{authority}-202509",
        "code": code,
        "name": f"Thủ tục {code}",
        "authority": authority,
        "level": level,
        "as_of": "2025-09-30T00:00:00",
        "online_mode": "offline",
        "full_online_eligible": False,
        "has_fee": False,
        "published_at": "2024-03-01T09:00:00",
        "content_complete": True,
        "synced_national": True,
    }
    return {**base, **fields}


def on_time(day: int, due: int) -> dict[str, str]:
    return {"published_at": f"2025-09-{day:02d}T09:00:00", "publish_due_at": f"2025-09-{due:02d}T09:00:00"}


def disclosed(day: int, due: int) -> dict[str, str]:
    return {"disclosed_at": f"2025-09-{day:02d}T09:00:00", "disclose_due_at": f"2025-09-{due:02d}T09:00:00"}


PROCEDURES = [
    # The department's: A and B published in September (A on time, B late both ways), C earlier.
    procedure(
        "A",
        DEPT,
        "province",
        online_mode="full_online",
        full_online_eligible=True,
        has_fee=True,
        payment_online=True,
        **on_time(10, 12),
        **disclosed(11, 17),
    ),
    procedure("B", DEPT, "province", **on_time(15, 12), **disclosed(25, 22), content_complete=False),
    procedure(
        "C",
        DEPT,
        "province",
        online_mode="partial_online",
        full_online_eligible=True,
        has_fee=True,
        payment_online=False,
    ),
    # Commune-level procedures, published by the province for all its communes.
    procedure(
        "D", "19", "commune", online_mode="full_online", full_online_eligible=True, **on_time(5, 8), **disclosed(20, 12)
    ),
    procedure("E", "19", "commune", has_fee=True, payment_online=False, published_at="2023-01-01T09:00:00"),
]


def dossier(id: str, unit: str, procedure: str, received: str, **fields: object) -> dict[str, object]:
    base = {
        "id": id,
        "procedure_code": procedure,
        "receiving_unit": unit,
        "level": "province" if unit == DEPT else "commune",
        "service_mode": "offline",
        "channel": "counter",
        "received_at": f"2025-09-{received}",
        "status": "resolved",
        "digitised": False,
        "synced_national": True,
        "full_online_eligible": False,
        "result_electronic": False,
        "reused_data": False,
    }
    return {**base, **fields}


DOSSIERS = [
    dossier(
        "D1",
        DUC_XUAN,
        "D",
        "02T08:00:00",
        service_mode="full_online",
        channel="online",
        due_at="2025-09-05T17:00:00",
        resolved_at="2025-09-04T10:00:00",
        paid_online=True,
        result_electronic=True,
        digitised=True,
        reused_data=True,
        full_online_eligible=True,
        satisfaction=5,
    ),
    dossier(
        "D2",
        DUC_XUAN,
        "E",
        "03T08:00:00",
        service_mode="partial_online",
        channel="online",
        due_at="2025-09-06T17:00:00",
        resolved_at="2025-09-10T10:00:00",
        paid_online=False,
        digitised=True,
        full_online_eligible=True,
    ),
    dossier(
        "D3",
        DUC_XUAN,
        "F",
        "08T08:00:00",
        resolved_at="2025-09-08T10:00:00",
        result_electronic=True,
        synced_national=False,
        satisfaction=2,
    ),
    dossier(
        "D4",
        DUC_XUAN,
        "E",
        "20T08:00:00",
        due_at="2025-10-05T17:00:00",
        status="processing",
        digitised=True,
        result_electronic=None,
    ),
    dossier(
        "D5",
        DEPT,
        "A",
        "01T08:00:00",
        service_mode="full_online",
        channel="online",
        due_at="2025-09-10T17:00:00",
        resolved_at="2025-09-09T10:00:00",
        paid_online=True,
        result_electronic=True,
        digitised=True,
        reused_data=True,
        full_online_eligible=True,
        satisfaction=4,
    ),
    dossier("D6", BAC_KAN, "D", "05T08:00:00", due_at="2025-09-10T17:00:00", resolved_at="2025-09-06T10:00:00"),
]
# Đức Xuân declares that it had no feedback (PAKN) in September: 6 + 6 points by the portal's rule.
DECLARED = pd.DataFrame(
    [
        {"unit": DUC_XUAN, "period": "2025-09", "variable": v, "value": 0.0}
        for v in ("feedback", "feedback_on_time", "feedback_satisfied")
    ]
)

EXPECTED = {
    DUC_XUAN: {
        "s1_1": 6.0,  # commune-level procedures published in September: D, on time → 1/1 × 6
        "s1_2": 0.0,  # D made public on 20/9, due 12/9 → 0/1 × 4
        "s1_3": 2.0,  # D and E complete → 2/2 × 2
        "s1_4": 4.5,  # D1, D2, D4 synchronised of the 4 received → 3/4 × 6
        "s2_1": 40 / 3,  # resolved D1, D2, D3; on time D1, D3 → 2/3 × 20
        "s3_1": 2.5,  # D online of D, E → 1/2, threshold 80 % → 0.5/0.8 × 4
        "s3_3": 4.0,  # D1, D2 submitted online of 4 → 50 %, threshold 50 % → 4
        "s3_4": 2.0,  # eligible D1, D2; fully online D1 → 1/2 × 4
        "s3_5a": 0.0,  # the one fee procedure (E) has no online payment → 0
        "s3_5b": 1.25,  # procedures with fee dossiers D, E; paid online D → 1/2, /0.8 × 2
        "s3_6": 3.0,  # fee dossiers D1, D2; paid online D1 → 1/2 × 6
        "s4_1": 4.0,  # electronic results D1, D3 of 3 resolved → 2/3 × 6
        "s4_2": 3.75,  # digitised D1, D2, D4 of 4 → 0.75/0.8 × 4
        "s4_3": 0.625,  # reused D1 of 4 → 0.25/0.8 × 2
        "s4_4": None,  # declared components nobody declared: no value (0 in the sum)
        "s5_1": 6.0,  # no feedback, declared → full points
        "s5_2": 6.0,
        "s5_4": 6 * (1 / 3) / 0.9,  # D1 on time and not unsatisfied; D2 late; D3 rated 2 → 1/3, /0.9 × 6
        "transparency": 12.5,
        "online": 12.75,
        "digitisation": 8.375,
        "satisfaction": 12 + 6 * (1 / 3) / 0.9,
    },
    BAC_KAN: {
        "s1_1": 6.0,
        "s1_2": 0.0,
        "s1_3": 2.0,  # the same commune-level catalogue
        "s1_4": 6.0,  # D6 synchronised
        "s2_1": 20.0,  # D6 on time
        "s3_1": 2.5,
        "s3_3": 0.0,
        "s3_4": 0.0,
        "s3_5a": 0.0,
        "s3_5b": 0.0,
        "s3_6": 0.0,  # 0/0 → 0
        "s4_1": 0.0,
        "s4_2": 0.0,
        "s4_3": 0.0,
        "s5_4": 6.0,  # D6 on time, not rated → 1/1 ≥ 90 %
        "service_766": 14 + 20 + 2.5 + 0 + 6,
    },
    DEPT: {
        "s1_1": 3.0,  # A and B published in September, A on time → 1/2 × 6
        "s1_2": 2.0,  # A public on time, B not → 1/2 × 4
        "s1_3": 4 / 3,  # A, C complete of A, B, C → 2/3 × 2
        "s1_4": 6.0,
        "s2_1": 20.0,
        "s3_3": 4.0,
        "s3_4": 4.0,
        "s3_6": 6.0,
        "s3_5b": 2.0,  # D5 does it all
        "s3_1": (2 / 3) / 0.8 * 4,  # A, C online of A, B, C
        "s3_5a": 0.5 / 0.8 * 2,  # fee procedures A, C; A pays online
        "s4_1": 6.0,
        "s4_2": 4.0,
        "s4_3": 2.0,
        "s5_4": 6.0,
    },
    "19": {
        "s1_1": 4.0,  # published in September A, B, D; on time A, D → 2/3 × 6
        "s1_2": 4 / 3,  # public on time A → 1/3 × 4
        "s1_3": 1.6,  # complete A, C, D, E of 5 → 4/5 × 2
        "s1_4": 5.0,  # synchronised D1, D2, D4, D5, D6 of 6 → 5/6 × 6
        "s2_1": 16.0,  # resolved D1, D2, D3, D5, D6; on time D1, D3, D5, D6 → 4/5 × 20
        "s3_1": 3.0,  # online A, C, D of 5 → 0.6/0.8 × 4
        "s3_3": 4.0,  # online D1, D2, D5 of 6 → 50 %
        "s3_4": 8 / 3,  # eligible D1, D2, D5; fully online D1, D5 → 2/3 × 4
        "s3_5a": (1 / 3) / 0.8 * 2,  # fee procedures A, C, E; A pays online
        "s3_5b": (2 / 3) / 0.8 * 2,  # fee dossiers' procedures D, E, A; paid online D, A
        "s3_6": 4.0,  # fee dossiers D1, D2, D5; paid online D1, D5 → 2/3 × 6
        "s4_1": 3.6,  # electronic results D1, D3, D5 of 5 resolved
        "s4_2": (4 / 6) / 0.8 * 4,  # digitised D1, D2, D4, D5 of 6
        "s4_3": (2 / 6) / 0.8 * 2,  # reused D1, D5 of 6
        "s5_4": 0.6 / 0.9 * 6,  # D1, D5, D6 of 5 resolved
    },
}
EXPECTED[DUC_XUAN]["service_766"] = 12.5 + 40 / 3 + 12.75 + 8.375 + 12 + 6 * (1 / 3) / 0.9
EXPECTED[DEPT]["service_766"] = 3 + 2 + 4 / 3 + 6 + 20 + (2 / 3) / 0.8 * 4 + 4 + 4 + 0.5 / 0.8 * 2 + 2 + 6 + 12 + 6
EXPECTED["19"]["service_766"] = sum(v for k, v in EXPECTED["19"].items() if k.startswith("s"))


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    root = tmp_path_factory.mktemp("s766")
    lake = Lake(root / "data", FixedClock(dt.datetime(2025, 10, 6, 9, tzinfo=VIETNAM)))
    for source, rows in (("procedures", PROCEDURES), ("dossiers", DOSSIERS)):
        report = ingest_file(_write(root / f"{source}-2025-09.jsonl", rows), source, lake=lake)
        assert report.status == "ingested" and report.quarantined == 0, report
    return lake


def test_every_component_matches_the_hand_computed_figures(small_lake: Lake):
    index = compute(lake=small_lake, province="19", grains=[Grain.MONTH], declared=DECLARED)
    rows = index.rows.set_index("unit")
    assert set(rows["period"]) == {"2025-09"}
    for unit, expected in EXPECTED.items():
        points = rows.loc[unit, "points"]
        for code, value in expected.items():
            if value is None:
                assert points[code] is None, (unit, code)
            else:
                assert points[code] == pytest.approx(value, abs=1e-9), (unit, code, points[code])
    assert rows.loc[DUC_XUAN, "total"] == pytest.approx(EXPECTED[DUC_XUAN]["service_766"])


def test_ranked_within_each_kind(small_lake: Lake):
    rows = compute(lake=small_lake, province="19", grains=[Grain.MONTH], declared=DECLARED).rows.set_index("unit")
    assert rows.loc[DUC_XUAN, ["kind", "rank", "ranked"]].tolist() == ["commune", 1, 2]  # 61.2 > 42.5
    assert rows.loc[BAC_KAN, ["kind", "rank", "ranked"]].tolist() == ["commune", 2, 2]
    assert rows.loc[DEPT, ["kind", "rank", "ranked"]].tolist() == ["department", 1, 1]
    assert rows.loc["19", ["kind", "rank", "ranked"]].tolist() == ["province", 1, 1]


def test_every_component_is_in_the_framework_with_its_basis():
    fw = load_framework("service-766")
    groups = {n.code: n for n in fw.aggregates}
    assert [(c.code, groups[c.code].max_points) for c in groups["service_766"].children] == [
        ("transparency", 18),
        ("progress", 20),
        ("online", 22),
        ("digitisation", 22),
        ("satisfaction", 18),
    ]
    for node in fw.nodes:
        assert node.basis, node.code
    declared = {n.code for n in fw.indicators if not n.measurable}
    assert declared == {"s4_4", "s4_5a", "s4_5b", "s4_6", "s5_1", "s5_2"}
    provisional = {c.code for c in groups["online"].children if c.provisional}
    assert provisional == {"s3_1", "s3_3", "s3_4", "s3_5a", "s3_5b", "s3_6"}


def test_duckdb_and_spark_give_the_same_index(small_lake: Lake, lake: Lake, spark):
    for source in (small_lake, lake):
        duck = compute(lake=source, province="19", grains=[Grain.MONTH, Grain.YEAR])
        sparked = compute(
            lake=source, province="19", grains=[Grain.MONTH, Grain.YEAR], engine=SparkEngine(session=spark)
        )
        assert len(duck.rows) > 0
        pd.testing.assert_frame_equal(duck.rows, sparked.rows, check_exact=True)


def test_the_cli_writes_the_ranked_index(cli, small_lake: Lake, tmp_path: Path):
    out = tmp_path / "766.csv"
    result = cli(
        "sources", "rank766", "--province", "19", "--period", "month", "--out", out, "--data-dir", small_lake.root
    )
    assert result.exit_code == 0, result.output
    assert "4 kết quả chỉ số 766" in result.stdout
    table = pd.read_csv(out, dtype={"unit": str}).set_index("unit")
    assert table.loc[DUC_XUAN, "rank"] == 1 and table.loc[BAC_KAN, "rank"] == 2
    # Without its declaration of no feedback, Đức Xuân loses 5.1 and 5.2 (6 + 6): 49.18 instead of 61.18.
    assert table.loc[DUC_XUAN, "total"] == pytest.approx(EXPECTED[DUC_XUAN]["service_766"] - 12)
    assert table.loc[DUC_XUAN, "progress"] == pytest.approx(40 / 3)
