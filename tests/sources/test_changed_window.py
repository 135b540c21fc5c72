"""After a sync, only the periods the new versions can change are measured again (`--changed-since`):
each ingestion's report keeps the span of every timestamp field over the versions it added and the lake's
versions of those records, and the window is the whole periods those spans meet.

On 1/5/2025 the lake gets W (January), X (received 3/3, resolved 30/3), Y (March) and Z (received 5/4,
open). On 6/5 a file brings X corrected (resolved 1/4: March loses it, April gains it), Z resolved on 2/5,
and W and Y unchanged: the months that can change are March to May, not January.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from tests.conftest import TEST_CLOCK

from chiso.clock import VIETNAM, FixedClock
from chiso.db import make_engine, transaction
from chiso.sources.changes import changed_window, parse_moment
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain, load_measures
from chiso.sources.service import measure
from chiso.values.models import Value

BASE = {"procedure_code": "1.1", "receiving_unit": "01840", "level": "commune", "service_mode": "offline",
        "channel": "counter", "digitised": True}  # fmt: skip
W = {**BASE, "id": "W", "received_at": "2025-01-10T08:00:00", "due_at": "2025-01-25T08:00:00",
     "resolved_at": "2025-01-20T08:00:00", "status": "resolved", "updated_at": "2025-01-20T08:00:00"}  # fmt: skip
X = {**BASE, "id": "X", "received_at": "2025-03-03T08:00:00", "due_at": "2025-03-20T08:00:00",
     "resolved_at": "2025-03-30T08:00:00", "status": "resolved", "updated_at": "2025-03-30T08:00:00"}  # fmt: skip
Y = {**BASE, "id": "Y", "received_at": "2025-03-02T08:00:00", "due_at": "2025-03-20T08:00:00",
     "resolved_at": "2025-03-10T08:00:00", "status": "resolved", "updated_at": "2025-03-10T08:00:00"}  # fmt: skip
Z = {**BASE, "id": "Z", "received_at": "2025-04-05T08:00:00", "due_at": "2025-04-25T08:00:00",
     "status": "received", "updated_at": "2025-04-05T08:00:00"}  # fmt: skip
FIRST = [W, X, Y, Z]
SECOND = [
    {**X, "resolved_at": "2025-04-01T08:00:00", "updated_at": "2025-05-05T09:00:00"},
    {**Z, "status": "resolved", "resolved_at": "2025-05-02T08:00:00", "updated_at": "2025-05-05T09:00:00"},
    W,
    Y,
]
RESULTS = load_measures("service-2025")


def _at(day: int, hour: int) -> FixedClock:
    return FixedClock(dt.datetime(2025, 5, day, hour, tzinfo=VIETNAM))


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "var"
    for clock, name, records in ((_at(1, 9), "first.jsonl", FIRST), (_at(6, 2), "second.jsonl", SECOND)):
        report = ingest_file(_write(tmp_path / name, records), "dossiers", lake=Lake(root, clock))
        assert report.status == "ingested" and report.quarantined == 0, report
    return root


def test_an_ingestion_reports_the_times_its_new_versions_and_the_ones_they_supersede_touch(data: Path):
    reports = {Path(r["file"]).name: r for r in Lake(data).reports()}
    touched = reports["second.jsonl"]["touched"]
    assert touched["received_at"] == ["2025-03-03 08:00:00", "2025-04-05 08:00:00"]  # W and Y: unchanged
    assert touched["resolved_at"] == ["2025-03-30 08:00:00", "2025-05-02 08:00:00"]  # X as it was, Z now
    assert "updated_at" not in touched  # when a version was sent dates no period
    window = changed_window(Lake(data), RESULTS, [Grain.MONTH], parse_moment("2025-05-06"))
    assert (window.changed, len(window.ingests)) == (True, 1)
    assert window.bounds(Grain.MONTH) == ("2025-03-01", "2025-06-01")
    assert window.bounds(Grain.QUARTER) == ("2025-01-01", "2025-07-01")
    assert window.bounds(Grain.YEAR) == ("2025-01-01", "2026-01-01")  # a year's value needs the whole year
    assert not changed_window(Lake(data), RESULTS, [Grain.MONTH], parse_moment("2025-05-06T02:01")).changed


def test_measuring_the_changed_periods_gives_what_measuring_everything_gives_there(cli, data: Path, tmp_path: Path):
    out = tmp_path / "changed.csv"
    args = ["sources", "measure", "-m", "service-2025", "--period", "month", "--era", "recorded", "--as-of", "latest"]
    result = cli(*args, "--changed-since", "2025-05-06", "-o", out, "--data-dir", data)
    assert result.exit_code == 0, result.output
    assert "tháng / month 2025-03-01 → 2025-06-01" in result.stderr
    changed = pd.read_csv(out, dtype={"unit": str, "period": str})
    assert sorted(set(changed["period"])) == ["2025-03", "2025-04", "2025-05"]  # not January
    full = measure(lake=Lake(data), measures=RESULTS, grains=[Grain.MONTH], era=None, as_of="latest").values
    cells = ["unit", "variable", "period", "value", "records"]
    expected = full[full["period"].between("2025-03", "2025-05")][cells].sort_values(cells[:3], ignore_index=True)
    pd.testing.assert_frame_equal(changed[cells].sort_values(cells[:3], ignore_index=True), expected, check_dtype=False)
    # Months and the year: each over its own window (the year's whole, the months' touched).
    both = cli(*args, "--period", "year", "--changed-since", "2025-05-06", "-o", out, "--data-dir", data)
    assert both.exit_code == 0 and "tháng / month 2025-03-01 → 2025-06-01; năm / year 2025-01-01 → 2026-01-01" in (
        both.stderr
    )
    changed = pd.read_csv(out, dtype={"unit": str, "period": str})
    assert sorted(set(changed["period"])) == ["2025", "2025-03", "2025-04", "2025-05"]
    year = measure(lake=Lake(data), measures=RESULTS, grains=[Grain.YEAR], era=None, as_of="latest").values
    expected = pd.concat([expected, year[cells]]).sort_values(cells[:3], ignore_index=True)
    pd.testing.assert_frame_equal(changed[cells].sort_values(cells[:3], ignore_index=True), expected, check_dtype=False)
    on_time = expected[(expected["variable"] == "on_time") & (expected["period"] == "2025-04")]
    assert on_time["value"].tolist() == [0.0]  # X resolved on 1/4, after its due date: late in April


def test_nothing_ingested_since_measures_nothing_and_bad_moments_are_refused(cli, data: Path, tmp_path: Path):
    out = tmp_path / "none.csv"
    result = cli("sources", "measure", "-m", "service-2025", "--changed-since", "2025-05-07", "-o", out,
                 "--data-dir", data)  # fmt: skip
    assert result.exit_code == 0 and "Không có kỳ nào thay đổi" in result.stdout and not out.exists()
    mixed = cli("sources", "measure", "--changed-since", "2025-05-06", "--from", "2025-01-01", "--data-dir", data)
    assert mixed.exit_code != 0 and "--changed-since" in mixed.output
    wrong = cli("sources", "measure", "--changed-since", "6/5/2025", "--data-dir", data)
    assert wrong.exit_code != 0 and "Thời điểm không hợp lệ" in wrong.output


def test_an_ingestion_reported_before_the_spans_measures_every_period(data: Path):
    lake = Lake(data)
    for path in (lake.root / "ingest").glob("*.json"):  # as an earlier version of Chiso wrote them
        report = json.loads(path.read_text(encoding="utf-8"))
        report.pop("touched", None)
        path.write_text(json.dumps(report), encoding="utf-8")
    window = changed_window(lake, RESULTS, [Grain.MONTH], parse_moment("2025-05-06"))
    assert (window.bounds(Grain.MONTH), window.changed, len(window.unknown)) == ((None, None), True, 1)
    assert "every period is measured" in window.summary("2025-05-06", [Grain.MONTH])


def test_a_sync_says_how_to_measure_what_it_changed(cli, tmp_path: Path):
    data = tmp_path / "var"
    ingest_file(_write(tmp_path / "first.jsonl", FIRST), "dossiers", lake=Lake(data, _at(1, 9)))
    folder = tmp_path / "drop"
    folder.mkdir()
    _write(folder / "dossiers-2025-05-06.jsonl", SECOND)
    synced = cli("sources", "sync", "--folder", folder, "--source", "dossiers", "--data-dir", data)
    assert synced.exit_code == 0, synced.output
    hint = next(line for line in synced.stdout.splitlines() if "--changed-since" in line)
    moment = hint.split("--changed-since ", 1)[1].strip()
    measured = cli("sources", "measure", "-m", "service-2025", "--period", "month", "--era", "recorded",
                   "--changed-since", moment, "--data-dir", data)  # fmt: skip
    assert measured.exit_code == 0, measured.output
    assert "tháng / month 2025-03-01 → 2025-06-01" in measured.stderr and "1 tệp đã nạp" in measured.stderr


def _latest(database_url: str, variable: str) -> dict[str, tuple[float, int, str, str]]:
    """period → (value, version, source, who) of the latest version of 01840's `variable`."""
    engine = make_engine(database_url)
    try:
        with transaction(engine, TEST_CLOCK) as s:
            rows = s.scalars(select(Value).where(Value.unit_code == "01840", Value.variable == variable)).all()
            return {
                r.period: (r.value, r.version, r.source, r.recorded_by) for r in sorted(rows, key=lambda r: r.version)
            }
    finally:
        engine.dispose()


def test_what_a_sync_changed_is_measured_and_stored_by_the_measuring_service(cli, cli_env, tmp_path: Path):
    def ok(*args: object) -> str:
        result = cli(*args)
        assert result.exit_code == 0, result.output + result.stderr
        return result.stdout

    ok("db", "upgrade", "--admin", "admin")
    for user, role in (("measure", "system"), ("lanhdao", "viewer")):
        ok("users", "create", user, "--role", role, "--no-password", "--as", "admin")
    data = tmp_path / "var"  # the CLI's data directory (cli_env)
    ingest_file(_write(tmp_path / "first.jsonl", FIRST), "dossiers", lake=Lake(data, _at(1, 9)))
    measure_args = ("sources", "measure", "-m", "service-2025", "--period", "month", "--era", "recorded",
                    "--as-of", "latest")  # fmt: skip
    first = ok(*measure_args, "--store", "measure")
    assert "values stored, 0 unchanged" in first
    assert _latest(cli_env, "on_time")["2025-03"] == (1.0, 1, "measured", "measure")  # Y; X was late
    ingest_file(_write(tmp_path / "second.jsonl", SECOND), "dossiers", lake=Lake(data, _at(6, 2)))
    again = ok(*measure_args, "--changed-since", "2025-05-06", "--store", "measure")
    on_time, resolved = _latest(cli_env, "on_time"), _latest(cli_env, "resolved")
    assert resolved["2025-03"][:2] == (1.0, 2) and on_time["2025-03"][:2] == (1.0, 1)  # X left March: Y alone
    assert on_time["2025-04"][:2] == (0.0, 1) and on_time["2025-05"][:2] == (0.0, 1)  # X late in April, Z in May
    assert "2025-01" in on_time and on_time["2025-01"][1] == 1  # January: not measured again, not rewritten
    assert "Đã lưu" in again and "0 values stored" not in again
    refused = cli(*measure_args, "--changed-since", "2025-05-06", "--store", "lanhdao")
    assert refused.exit_code != 0 and "value.measure" in refused.output + refused.stderr


def test_a_sync_measures_again_and_stores_what_it_changed(cli, cli_env, tmp_path: Path):
    def ok(*args: object) -> str:
        result = cli(*args)
        assert result.exit_code == 0, result.output + result.stderr
        return result.stdout

    ok("db", "upgrade", "--admin", "admin")
    ok("users", "create", "measure", "--role", "system", "--no-password", "--as", "admin")
    ingest_file(_write(tmp_path / "first.jsonl", FIRST), "dossiers", lake=Lake(tmp_path / "var", _at(1, 9)))
    folder = tmp_path / "drop"
    folder.mkdir()
    _write(folder / "dossiers-2025-05-06.jsonl", SECOND)
    sync = ("sources", "sync", "--folder", folder, "--source", "dossiers")
    refused = cli(*sync, "--measure", "service-2025")
    assert refused.exit_code != 0 and "--store" in refused.output
    out = ok(*sync, "--measure", "service-2025", "--period", "month", "--store", "measure")
    assert "service-2025: Kỳ có thay đổi / periods changed: tháng / month 2025-03-01 → 2025-06-01" in out
    assert "Đã lưu" in out and "--changed-since" not in out  # measured and stored: no hint needed
    on_time = _latest(cli_env, "on_time")
    assert on_time["2025-04"][:3] == (0.0, 1, "measured") and "2025-01" not in on_time  # only what changed
    again = ok(*sync, "--measure", "service-2025", "--period", "month", "--store", "measure")
    assert "Đã lưu" not in again  # nothing new in the folder: nothing measured


def test_a_sync_whose_values_are_refused_says_so_and_exits_with_an_error(cli, cli_env, tmp_path: Path):
    assert cli("db", "upgrade", "--admin", "admin").exit_code == 0
    assert cli("users", "create", "lanhdao", "--role", "viewer", "--no-password", "--as", "admin").exit_code == 0
    folder = tmp_path / "drop"
    folder.mkdir()
    _write(folder / "dossiers-2025-05-01.jsonl", FIRST)
    result = cli("sources", "sync", "--folder", folder, "--source", "dossiers", "--measure", "service-2025",
                 "--period", "month", "--store", "lanhdao")  # fmt: skip
    assert result.exit_code == 1 and "value.measure" in result.stderr
    assert "folder-" in result.stdout and "Báo cáo / report" in result.stdout  # the sync itself is kept
    assert _latest(cli_env, "on_time") == {}
