"""The open-data release (issue 13): a Frictionless data package of a published year, by the CLI and the
web, valid by the `frictionless` library's own validation, with sources and simulated figures marked."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

from frictionless import Package, validate
from tests import factories as f


def _rows(folder: Path, table: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((folder / "data" / f"{table}.csv").read_text(encoding="utf-8"))))


def _validate(folder: Path) -> None:
    report = validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])[:10]


def test_the_published_year_downloads_as_a_valid_data_package(published, tmp_path: Path):
    client = published.client()  # the public: open data needs no login
    listing = client.get("/opendata")
    assert listing.status_code == 200 and 'href="/opendata/2025.zip"' in listing.text
    download = client.get("/opendata/2025.zip")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert "chiso-du-lieu-mo-2025.zip" in download.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        archive.extractall(tmp_path)
    _validate(tmp_path)
    descriptor = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0" and descriptor["sources"]
    package = Package(str(tmp_path / "datapackage.json"))
    assert {r.name for r in package.resources} == {"periods", "units", "nodes", "variables", "results", "values"}
    results = _rows(tmp_path, "results")
    index = [r for r in results if r["node"] == "commune_dx" and r["unit"] == f.COMMUNE]
    assert len(index) == 1 and index[0]["rank"] == "1" and float(index[0]["value"]) == 43.0  # as the pages show
    values = _rows(tmp_path, "values")
    assert values and {v["source"] for v in values} == {"declared"} and {v["simulated"] for v in values} == {"false"}
    nodes = {r["node"]: r for r in _rows(tmp_path, "nodes")}
    assert nodes["c4_22_10"]["number"] == "4.22.10" and nodes["c1_1"]["rule"]  # definitions travel along
    variables = {r["variable"]: r for r in _rows(tmp_path, "variables")}
    assert variables["population"]["label"] and variables["population"]["measure"]


def test_a_year_without_published_results_is_a_clear_404(published, collecting):
    assert published.client().get("/opendata/2019.zip").status_code == 404
    # an open period's results are never released, even when computed
    assert collecting.client().get("/opendata").status_code == 200
    assert collecting.client().get("/opendata/2025.zip").status_code == 404


def test_the_cli_writes_the_same_release(seeded, cli, tmp_path: Path, monkeypatch):
    url = seeded["published"].url.render_as_string(hide_password=False)
    monkeypatch.setenv("CHISO_DATABASE_URL", url)
    monkeypatch.setenv("CHISO_DATA_DIR", str(tmp_path / "var"))
    assert "2025" in cli("opendata", "years").stdout
    done = cli("opendata", "release", "--year", "2025", "--out", tmp_path / "open")
    assert done.exit_code == 0, done.stderr
    assert "results" in done.stdout and (tmp_path / "open" / "datapackage.json").exists()
    _validate(tmp_path / "open")
    zipped = cli("opendata", "release", "--year", "2025", "--out", tmp_path / "open.zip", "--licence", "CC0-1.0")
    assert zipped.exit_code == 0 and zipfile.is_zipfile(tmp_path / "open.zip")
    missing = cli("opendata", "release", "--year", "2019", "--out", tmp_path / "none")
    assert missing.exit_code == 2 and "published years: 2025" in missing.stderr
