"""Early warning on the web and in the API (issue 15, item 5): the page for a unit's officer and for
the province, and `GET /api/v1/dossiers/due`, from the lake of the app's data directory.

The app's clock is set to Wednesday 29/4/2026, 10:00 (the dossiers of tests/sources/test_warning.py;
working days counted by hand there), so the test does not depend on the calendar.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from tests.sources.test_warning import FIRST, _ingest
from tests.web.conftest import token_for

from chiso.clock import VIETNAM, FixedClock
from chiso.sources.lake import Lake


def _with_dossiers(site) -> None:
    folder = Path(site.app.state.settings.data_dir)
    _ingest(Lake(folder), folder, "dossiers-1.jsonl", FIRST)
    site.app.state.clock = FixedClock(dt.datetime(2026, 4, 29, 10, 0, tzinfo=VIETNAM))


def test_the_officer_sees_their_units_dossiers_in_vietnamese(site):
    _with_dossiers(site)
    page = site.client("canbo.ducxuan").get("/dossiers/due")
    assert page.status_code == 200
    html = page.text
    assert "Phường Đức Xuân" in html and "Phường Ba Đình" not in html  # the officer's own unit only
    assert "Cảnh báo sớm" in html and "29/04/2026" in html
    rows = html.split('id="due-dossiers"')[1]
    assert rows.index(">A<") < rows.index(">B<") < rows.index(">C<") and ">D<" not in rows
    assert "quá hạn 1" in rows  # A: one working day late
    other = site.client("canbo.ducxuan").get("/dossiers/due?unit=00004")
    assert other.status_code == 403


def test_the_province_sees_every_unit_and_a_visitor_is_sent_to_log_in(site):
    _with_dossiers(site)
    html = site.client("chuongtrinh").get("/dossiers/due?within=5").text
    assert "Phường Ba Đình" in html and "Phường Đức Xuân" in html
    assert ">D<" in html  # due in 5 working days: within 5
    assert site.client().get("/dossiers/due").status_code == 303


def test_the_api_gives_names_working_days_and_csv(site):
    _with_dossiers(site)
    client = site.client()
    token = {"Authorization": f"Bearer {token_for(site, 'lanhdao')}"}
    body = client.get("/api/v1/dossiers/due", headers=token).json()
    assert body["within"] == 3 and body["at"].startswith("2026-04-29T10:00")
    units = {u["unit_code"]: u for u in body["units"]}
    assert units["01840"]["unit_name"] == "Phường Đức Xuân"
    assert (units["01840"]["overdue"], units["01840"]["due_today"], units["01840"]["due_soon"]) == (1, 1, 1)
    items = {d["id"]: d for d in body["dossiers"]["items"]}
    assert {k: (v["working_days_left"], v["state"]) for k, v in items.items()} == {
        "G": (-3, "overdue"),
        "A": (-1, "overdue"),
        "B": (0, "due_today"),
        "C": (1, "due_soon"),
    }
    everything = client.get("/api/v1/dossiers/due?all_open=true&format=csv", headers=token)
    assert everything.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(everything.content.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == ["G", "A", "B", "C", "D"] and rows[-1]["state"] == "later"
    assert client.get("/api/v1/dossiers/due").status_code == 401
