"""Measured inputs in the unit profile: marked as measured, with the lineage the measure service wrote."""

from __future__ import annotations

import html
import re
from pathlib import Path

from tests import factories as f

from chiso.collection import service as collection
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain, load_measures
from chiso.sources.service import measure, values_in
from chiso.values import service as values

HEADER = (
    "id,procedure_code,receiving_unit,level,service_mode,service_level,channel,received_at,due_at,resolved_at,"
    "status,digitised"
)
ROWS = [  # three dossiers received by Phường Đức Xuân (01840) in 2025, two of them fully online
    "E,1.1,01840,commune,offline,,counter,2025-02-04 08:00,,2025-02-04 10:00,resolved,true",
    "H,1.1,01840,commune,full_online,,online,2025-09-05 08:00,2025-09-10 08:00,,received,false",
    "K,1.1,01840,commune,full_online,,online,2025-10-01 08:00,2025-10-05 08:00,2025-10-02 08:00,resolved,true",
    "L,1.1,01843,commune,offline,,counter,2025-10-02 08:00,2025-10-05 08:00,2025-10-03 08:00,resolved,true",
]


def _measure_c4_4(site, tmp_path: Path) -> None:
    """Ingest the dossiers, measure them, record c4_4's inputs for 01840 as measured values, then publish."""
    source = tmp_path / "dossiers-2025.csv"
    source.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    lake = Lake(tmp_path / "lake")
    assert ingest_file(source, "dossiers", lake=lake).added == len(ROWS)
    measured = measure(lake=lake, measures=load_measures("commune-2025"), grains=[Grain.YEAR]).values
    admin = site.people["admin"]
    with site.session() as s:
        period = f.open_period(s, admin)
        indicator = collection.framework_of(period).node("c4_4")
        wanted = measured[
            (measured["unit"] == f.COMMUNE)
            & (measured["period"] == period.value_period)
            & measured["variable"].isin(indicator.variables)  # type: ignore[union-attr]
        ]
        assert sorted(wanted["variable"]) == ["dossiers_full_online", "dossiers_received"]
        values.record_many(session=s, values_in=values_in(wanted), actor=admin)
        f.results_for(s, site.people)
        s.commit()


def _item_row(page: str, code: str) -> str:
    found = re.search(rf"<tr><td><b>{code}</b>.*?</tr>", page, re.S)
    assert found, f"no row for {code}"
    return html.unescape(found.group(0))


def test_unit_profile_shows_the_lineage_of_measured_inputs(site, tmp_path: Path):
    _measure_c4_4(site, tmp_path)
    client = site.client()
    page = client.get(f"/units/{f.COMMUNE}")
    assert page.status_code == 200
    row = _item_row(page.text, "c4_4")
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
    assert "Đo tự động" not in _item_row(page.text, "c1_1")
    other = client.get(f"/units/{f.OTHER}")
    assert other.status_code == 200 and "Đo tự động" not in other.text and "lineage-" not in other.text
    english = client.get(f"/units/{f.COMMUNE}?lang=en").text
    assert "Measured" in english and "Source files" in english and "Đo tự động" not in english


def test_the_lineage_is_the_one_the_published_run_read(published, tmp_path: Path):
    """A value measured after the run was computed does not show as the published score's source."""
    client = published.client()
    before = client.get(f"/units/{f.COMMUNE}")
    assert before.status_code == 200 and "Đo tự động" not in before.text
    source = tmp_path / "dossiers-late.csv"
    source.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    lake = Lake(tmp_path / "lake")
    ingest_file(source, "dossiers", lake=lake)
    measured = measure(lake=lake, measures=load_measures("commune-2025"), grains=[Grain.YEAR]).values
    with published.session() as s:
        late = measured[(measured["unit"] == f.COMMUNE) & (measured["period"] == "2025")]
        values.record_many(session=s, values_in=values_in(late), actor=published.people["admin"])
        s.commit()
    after = client.get(f"/units/{f.COMMUNE}")
    assert after.status_code == 200 and "Đo tự động" not in after.text
