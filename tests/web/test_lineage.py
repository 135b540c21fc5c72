"""Measured inputs in the unit profile: marked as measured, with the lineage the measure service wrote."""

from __future__ import annotations

import html
import re
from pathlib import Path

from tests import factories as f

from chiso.units.ref import UnitRef
from chiso.values import service as values


def _measure_c4_4(site, tmp_path: Path) -> None:
    """Ingest the dossiers, measure them, record c4_4's inputs for 01840 as measured values, then publish."""
    measured = f.measure_dossiers(tmp_path)
    with site.session() as s:
        f.open_period(s, site.people["admin"])
        f.record_measured(s, site.people["admin"], measured)
        f.results_for(s, site.people)
        s.commit()


def _item_row(page: str, number: str) -> str:
    """An indicator's row of the unit profile, found by its official number (4.4), as the page shows it."""
    found = re.search(rf"<tr><td><b>{re.escape(number)}</b>.*?</tr>", page, re.S)
    assert found, f"no row for {number}"
    return html.unescape(found.group(0))


def test_unit_profile_shows_the_lineage_of_measured_inputs(site, tmp_path: Path):
    _measure_c4_4(site, tmp_path)
    client = site.client()
    page = client.get(f"/units/{f.COMMUNE}")
    assert page.status_code == 200
    row = _item_row(page.text, "4.4")
    assert "Đo tự động" in row and 'id="lineage-c4_4"' in row
    lineage = row[row.index('id="lineage-c4_4"') :]
    assert "<code>dossiers_received</code> = 3" in lineage
    assert "<code>dossiers_full_online</code> = 2" in lineage
    assert lineage.count("<code>commune-2025:") == 2 and " v1" in lineage  # measure code and version
    assert re.search(r"Số bản ghi</dt><dd>3</dd>", lineage)  # records counted
    assert "04/02/2025" in lineage and "01/10/2025" in lineage  # first and last record counted
    assert "<code>dossiers-2025.csv</code>" in lineage  # the file the records came from
    assert re.search(r"Tính lúc</dt><dd>\d\d/\d\d/\d{4} \d\d:\d\d · duckdb", lineage)
    assert "Mô phỏng" not in lineage  # real records, not simulated ones
    # Declared indicators and a unit without measured values carry no lineage.
    assert "Đo tự động" not in _item_row(page.text, "1.1")
    other = client.get(f"/units/{f.OTHER}")
    assert other.status_code == 200 and "Đo tự động" not in other.text and "lineage-" not in other.text
    english = client.get(f"/units/{f.COMMUNE}?lang=en").text
    assert "Measured" in english and "Source files read" in english and "Đo tự động" not in english


def test_the_lineage_is_the_one_the_published_run_read(published, tmp_path: Path):
    """A value measured after the run was computed does not show as the published score's source (written
    past the workflow guard, which now refuses values into a published period, as older data could be)."""
    client = published.client()
    before = client.get(f"/units/{f.COMMUNE}")
    assert before.status_code == 200 and "Đo tự động" not in before.text
    measured = f.measure_dossiers(tmp_path, "dossiers-late.csv")
    with published.session() as s:
        f.record_measured(s, published.people["admin"], measured, unguarded=True)
        s.commit()
        now = values.get_current(
            session=s, unit=UnitRef("2025", f.COMMUNE), variable="dossiers_received", period="2025"
        )
        assert now is not None and now.source == "measured" and now.value == 3
    after = client.get(f"/units/{f.COMMUNE}")
    assert after.status_code == 200 and "Đo tự động" not in after.text
