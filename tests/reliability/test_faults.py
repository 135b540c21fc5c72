"""Faults leave nothing behind (issue 11, item 10): a killed import, formulas in CSV, the public 404."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from tests import factories as f
from tests.cli.test_collection_cli import PDF, edit
from tests.conftest import ROOT

from chiso.db import make_engine

P = "2025/commune-2025"
UNIT = "01840"
HOUR = 3600

# Runs `chiso …` and kills itself with SIGKILL (kill -9) as soon as `KILL_AFTER` files are in the
# evidence folder, wherever they are: mid-import, before the transaction could commit.
KILLER = """
import os, signal, sys
from pathlib import Path
from chiso.collection import evidence
folder, limit, real = Path(os.environ["KILL_IN"]), int(os.environ["KILL_AFTER"]), evidence.check
def check(path, max_bytes):
    if sum(1 for p in folder.rglob("*") if p.is_file()) >= limit:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(path, max_bytes)
evidence.check = check
from chiso.cli.main import app
app(sys.argv[1:])
"""


def stored_files(folder: Path) -> dict[str, Path]:
    """The files in place (folder/ab/abcd…), by sha256; not the staging folder."""
    return {p.name: p for p in folder.glob("??/*") if p.is_file()}


def staged_files(folder: Path) -> list[Path]:
    return [p for p in (folder / ".staging").rglob("*") if p.is_file()] if (folder / ".staging").exists() else []


def referenced(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                sha
                for table in ("evidence", "task_evidence")
                for sha in connection.scalars(text(f"SELECT file_sha256 FROM {table} WHERE file_sha256 IS NOT NULL"))
            }
    finally:
        engine.dispose()


def test_an_import_killed_mid_way_leaves_nothing_referenced_or_stored(cli, cli_env, tmp_path):
    def ok(*args):
        result = cli(*args)
        assert result.exit_code == 0, result.output + result.stderr
        return result.stdout

    ok("db", "upgrade", "--admin", "admin")
    ok(
        "period", "open", "--framework", "commune-2025", "--year", "2025", "--unit", UNIT,
        "--opens", "2025-09-01", "--closes", "2025-11-30", "--officer", f"{UNIT}=canbo", "--as", "admin",
    )  # fmt: skip
    template = tmp_path / "ke-khai.xlsx"
    ok("collect", "template", "--period", P, "--out", template, "--as", "canbo")
    (tmp_path / "bien-ban.pdf").write_bytes(PDF)
    edit(template, {"c2_1": {"value1": 2, "evidence": "5/QĐ-UBND – 10/01/2025 – Phân công", "files": "bien-ban.pdf"}})
    ok("collect", "import", template, "--period", P, "--as", "canbo")
    folder = tmp_path / "var" / "evidence"
    kept = stored_files(folder)
    assert set(kept) == referenced(cli_env) and len(kept) == 1

    # the next import cites twelve scans; it is killed once three are stored
    names = [f"scan-{n:02}.pdf" for n in range(12)]
    for n, name in enumerate(names):
        (tmp_path / name).write_bytes(PDF + f"% scan {n}\n".encode() + os.urandom(50_000))
    documents = "\n".join(f"{n}/BC – 01/10/2025 – Bản chụp {n}" for n in range(12))
    edit(template, {"c1_1": {"value1": 120, "value2": 400, "evidence": documents, "files": "; ".join(names)}})
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT),
        "KILL_IN": str(folder),
        "KILL_AFTER": str(len(kept) + 3),
    }
    args = ["collect", "import", str(template), "--period", P, "--as", "canbo"]
    killed = subprocess.run([sys.executable, "-c", KILLER, *args], env=env, capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    assert referenced(cli_env) == set(kept)  # nothing of the killed import was committed
    assert stored_files(folder) == kept, "the killed import left files in the store that no row references"
    staged = staged_files(folder)
    assert len(staged) == 3 and not {p.name.split("-")[-1] for p in staged} & referenced(cli_env)

    # gc keeps what an import in flight may still use (staged within the hour) …
    out = ok("evidence", "gc", "--as", "admin")
    assert len(staged_files(folder)) == 3 and "removed 0 files" in out
    # … and removes what is left of one killed long ago, and a stored file no row references
    old = time.time() - 2 * HOUR
    orphan = folder / "ab" / ("ab" + "0" * 62)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"%PDF-1.4 orphan")
    for path in [*staged_files(folder), orphan]:
        os.utime(path, (old, old))
    dry = ok("evidence", "gc", "--dry-run", "--as", "admin")
    assert orphan.name in dry and len(staged_files(folder)) == 3 and orphan.exists()
    out = ok("evidence", "gc", "--as", "admin")
    assert staged_files(folder) == [] and not orphan.exists() and "removed 4 files" in out
    assert stored_files(folder) == kept and set(kept) == referenced(cli_env)

    # killed between the commit and the move: the committed row's file is still staged; gc puts it in place
    ((digest, path),) = kept.items()
    staged = folder / ".staging" / f"killed-{digest}"
    path.replace(staged)
    os.utime(staged, (old, old))
    out = ok("evidence", "gc", "--as", "admin")
    assert "moved into place" in out and path.read_bytes() == PDF and staged_files(folder) == []


FORMULAS = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", '=HYPERLINK("http://x")']


def cells(text_: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text_, newline="")))


@pytest.mark.parametrize("bad", FORMULAS)
def test_every_csv_writer_escapes_formulas_but_keeps_numbers(tmp_path, bad):
    from chiso.cli import tasks, units
    from chiso.tables import write_table
    from chiso.web.api.common import csv_response

    rows = [{"name": bad, "value": -3, "ratio": "-0.5000", "plain": "Phường Đức Xuân"}]
    columns = ["name", "value", "ratio", "plain"]
    outputs = [csv_response(rows, columns, "x.csv").body.decode()]
    path = tmp_path / "x.csv"
    write_table(path, {"x": pd.DataFrame(rows)})
    with path.open(encoding="utf-8", newline="") as handle:
        outputs.append(handle.read())
    import typer
    from typer.testing import CliRunner

    probe = typer.Typer()
    probe.command("units")(lambda: units._emit(rows, columns, units.Format.CSV))
    probe.command("tasks")(lambda: tasks._emit(rows, "csv", tuple(columns), []))
    for name in ("units", "tasks"):
        outputs.append(CliRunner().invoke(probe, [name], catch_exceptions=False).stdout)
    for out in outputs:
        (header, row) = cells(out)
        assert header == columns
        assert row == ["'" + bad, "-3", "-0.5000", "Phường Đức Xuân"], out


def test_the_public_404_lists_only_published_periods(collecting, published):
    hidden = collecting.client().get("/api/v1/results", params={"period": "2099/nothing", "node": "commune_dx"})
    assert hidden.status_code == 404 and f.PERIOD not in hidden.text  # the period is open, not published
    shown = published.client().get("/api/v1/results", params={"period": "2099/nothing", "node": "commune_dx"})
    assert shown.status_code == 404 and f.PERIOD in shown.text
