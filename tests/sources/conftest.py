from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.simulate import Plan, simulate

SMALL = Plan("19", (2024, 2025), seed=7, scale=0.008)


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Simulated files for Thái Nguyên, 2024–2025, small volumes (shared, read-only)."""
    out = tmp_path_factory.mktemp("incoming")
    simulate(SMALL, out)
    return out


@pytest.fixture(scope="session")
def lake(simulated: Path, tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """A lake with the simulated files ingested (shared, read-only)."""
    lake = Lake(tmp_path_factory.mktemp("data"))
    for path in sorted(simulated.glob("*.parquet")):
        report = ingest_file(path, path.name.split("-")[0], lake=lake)
        assert report.status == "ingested" and report.quarantined == 0, report
    return lake


@pytest.fixture(scope="session")
def spark():
    if shutil.which("java") is None:
        pytest.fail("Spark needs a Java 17+ runtime: python3 tools/dev.py setup installs openjdk-17-jre-headless")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("chiso-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
