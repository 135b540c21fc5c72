"""Records with history (issue 15, item 1): every version of a record is kept, measures read the state
"as of" a time, and both engines agree.

A dossier arrives in March as "received" and again in April as "resolved late" (the portal sends a
dossier each time its status changes). Measured now, March's on-time rate counts it as late; measured
as of the end of March, March's figure is what it was then.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from chiso.sources.engines import SparkEngine
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain, load_measures
from chiso.sources.service import explain, measure

BASE = {
    "procedure_code": "1.1",
    "receiving_unit": "01840",
    "level": "commune",
    "service_mode": "offline",
    "channel": "counter",
    "digitised": True,
}
ON_TIME = {"id": "Y", "received_at": "2025-03-02T08:00:00", "due_at": "2025-03-20T08:00:00"}
ON_TIME_RESOLVED = {**ON_TIME, "resolved_at": "2025-03-10T08:00:00", "status": "resolved"}
MARCH = [
    {**BASE, "id": "X", "received_at": "2025-03-03T08:00:00", "due_at": "2025-03-20T08:00:00", "status": "received",
     "updated_at": "2025-03-03T08:00:00"},
    {**BASE, **ON_TIME_RESOLVED, "updated_at": "2025-03-10T08:00:00"},
]  # fmt: skip
APRIL = [
    # X was resolved on 30/3, ten days late; the portal sent the change on 2/4.
    {**BASE, "id": "X", "received_at": "2025-03-03T08:00:00", "due_at": "2025-03-20T08:00:00",
     "resolved_at": "2025-03-30T08:00:00", "status": "resolved", "updated_at": "2025-04-02T09:00:00"},
    {**BASE, **ON_TIME_RESOLVED, "updated_at": "2025-03-10T08:00:00"},  # the same version again
]  # fmt: skip
RESULTS = load_measures("service-2025")


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def history(tmp_path: Path) -> Lake:
    lake = Lake(tmp_path / "var")
    march = ingest_file(_write(tmp_path / "dossiers-2025-03.jsonl", MARCH), "dossiers", lake=lake)
    assert (march.status, march.added, march.quarantined) == ("ingested", 2, 0)
    april = ingest_file(_write(tmp_path / "dossiers-2025-04.jsonl", APRIL), "dossiers", lake=lake)
    # X's new version is added; Y's version is already there: nothing added for it
    assert (april.status, april.added, april.duplicates, april.quarantined) == ("ingested", 1, 1, 0)
    return lake


def _march(values: pd.DataFrame) -> dict[str, float]:
    cells = values[(values["unit"] == "01840") & (values["period"] == "2025-03")]
    return dict(zip(cells["variable"], cells["value"], strict=True))


def _measure(lake: Lake, engine, as_of: str | None) -> pd.DataFrame:
    return measure(lake=lake, measures=RESULTS, grains=[Grain.MONTH], era=None, engine=engine, as_of=as_of).values


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_a_late_resolution_counts_now_and_the_past_month_stays_as_it_was(history: Lake, engine: str, request):
    runner = SparkEngine(session=request.getfixturevalue("spark")) if engine == "spark" else engine
    now = _march(_measure(history, runner, "latest"))
    assert (now["resolved"], now["on_time"], now["on_time_rate"]) == (2, 1, 0.5)  # X counts, late
    then = _march(_measure(history, runner, "2025-03-31"))
    assert (then["resolved"], then["on_time"], then["on_time_rate"]) == (1, 1, 1.0)  # X was only received
    default = _march(_measure(history, runner, None))  # the end of the measured period
    assert default == then


def test_both_engines_agree_on_every_state(history: Lake, spark):
    for as_of in ("latest", "2025-03-31", "2025-04-02T09:00:00", None):
        duck = _measure(history, "duckdb", as_of)
        sparked = _measure(history, SparkEngine(session=spark), as_of)
        columns = ["unit", "variable", "period", "value", "records", "first_record_at", "last_record_at"]
        pd.testing.assert_frame_equal(
            duck[columns].sort_values(columns[:3]).reset_index(drop=True),
            sparked[columns].sort_values(columns[:3]).reset_index(drop=True),
            check_exact=True,
        )


def test_ingesting_the_same_file_or_version_again_adds_nothing(history: Lake, tmp_path: Path):
    again = ingest_file(tmp_path / "dossiers-2025-04.jsonl", "dossiers", lake=history)
    assert again.status == "already ingested" and again.added == 0
    forced = ingest_file(tmp_path / "dossiers-2025-04.jsonl", "dossiers", lake=history, force=True)
    assert (forced.added, forced.duplicates) == (0, 2)
    copy = ingest_file(_write(tmp_path / "dossiers-copy.jsonl", [*APRIL, *MARCH]), "dossiers", lake=history)
    assert (copy.status, copy.added, copy.duplicates) == ("ingested", 0, 4)
    now = _march(_measure(history, "duckdb", "latest"))
    assert now["resolved"] == 2


def test_the_late_correction_shows_in_lineage(history: Lake):
    found = explain(
        lake=history, measures=RESULTS, unit="01840", variable="on_time", period="2025-03", era=None, as_of="latest"
    )
    assert found["value"] == 1 and found["records"] == 2 and found["as_of"] == "latest"
    files = {Path(b["file"]).name: b for b in found["batches"]}
    assert set(files) == {"dossiers-2025-03.jsonl", "dossiers-2025-04.jsonl"}
    assert files["dossiers-2025-04.jsonl"]["sample_ids"] == ["X"] and files["dossiers-2025-04.jsonl"]["counted"] == 0
    assert files["dossiers-2025-03.jsonl"]["sample_ids"] == ["Y"]
    then = explain(lake=history, measures=RESULTS, unit="01840", variable="on_time", period="2025-03", era=None)
    assert [Path(b["file"]).name for b in then["batches"]] == ["dossiers-2025-03.jsonl"]
    values = _measure(history, "duckdb", "latest")
    lineage = json.loads(values["lineage"].iloc[0])
    assert lineage["as_of"] == "latest"
    assert [f["file"] for f in lineage["files"]] == ["dossiers-2025-03.jsonl", "dossiers-2025-04.jsonl"]


def test_the_command_measures_as_of(cli, history: Lake, tmp_path: Path):
    def march(*extra: str) -> dict[str, float]:
        out = tmp_path / f"m{len(extra)}.csv"
        args = ["sources", "measure", "-m", "service-2025", "--period", "month", "--era", "recorded", *extra]
        result = cli(*args, "--out", out, "--data-dir", history.root)
        assert result.exit_code == 0, result.output
        return _march(pd.read_csv(out, dtype={"unit": str}))

    assert march("--as-of", "latest")["on_time_rate"] == 0.5
    assert march()["on_time_rate"] == 1.0
    bad = cli("sources", "measure", "--as-of", "March", "--data-dir", history.root)
    assert bad.exit_code != 0 and "as of 'March'" in bad.output
