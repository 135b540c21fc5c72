"""A 766 declaration on the web counts at once: the unit's page and `/api/v1/service-766` show the new
total and ranks as soon as it is saved, and they are what a full computation (`rank766 --store`) then
gives. The API lists each period's declarations and whether the stored result used them. Those who may
declare download the XLSX template from the unit's page and from the ranking page.

Records: the hand-checked September 2025 set (tests/sources/test_service766.py): Đức Xuân 49,18 and
Bắc Kạn 42,50 without declarations. Bắc Kạn declares no feedback (5.1 and 5.2: +12 → 54,50, first).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.sources.test_service766 import BAC_KAN, DOSSIERS, DUC_XUAN, EXPECTED, PROCEDURES, _write
from tests.web.conftest import csrf_of
from tests.web.test_service766_declare import _compute, _versions

from chiso.clock import VIETNAM, FixedClock
from chiso.service766 import declarations
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake

PAGE = f"/service-766/2025/{BAC_KAN}"
SEPTEMBER = f"{PAGE}?year=2025&period=2025-09"
RANKING = "/api/v1/service-766?period=2025-09&kind=commune"


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake(tmp_path / "lake", FixedClock(dt.datetime(2025, 10, 6, 9, tzinfo=VIETNAM)))
    for source, rows in (("procedures", PROCEDURES), ("dossiers", DOSSIERS)):
        ingest_file(_write(tmp_path / f"{source}.jsonl", rows), source, lake=lake)
    return lake


def _declare(client, data: dict[str, str]):
    page = client.get(SEPTEMBER).text
    form = {"period": "2025-09", **_versions(page), **data, "csrf_token": csrf_of(client, SEPTEMBER)}
    return client.post(f"{PAGE}/declare", data=form)


def _ranked(client) -> list[tuple[str, float, int]]:
    return [(r["unit_code"], r["total"], r["rank"]) for r in client.get(RANKING).json()["items"]]


def _september(client, unit: str = BAC_KAN) -> dict:
    detail = client.get(f"/api/v1/service-766/2025/{unit}?year=2025").json()
    return next(m for m in detail["months"] if m["period"] == "2025-09")


def test_a_declaration_on_the_web_shows_at_once_as_a_full_computation_gives(site, lake):
    _compute(site, lake)
    office, viewer = site.client("chuongtrinh"), site.client("lanhdao")
    assert _ranked(viewer) == [
        (DUC_XUAN, pytest.approx(EXPECTED[DUC_XUAN]["service_766"] - 12), 1),
        (BAC_KAN, pytest.approx(EXPECTED[BAC_KAN]["service_766"]), 2),
    ]
    assert _september(viewer)["declared"] == []  # nothing declared yet

    answer = _declare(office, {"feedback": "0", "feedback_on_time": "0", "feedback_satisfied": "0"})
    assert answer.status_code == 303
    new_total = EXPECTED[BAC_KAN]["service_766"] + 12  # 54,50: no feedback, full 5.1 and 5.2
    ranked = _ranked(viewer)
    assert ranked == [
        (BAC_KAN, pytest.approx(new_total), 1),
        (DUC_XUAN, pytest.approx(EXPECTED[DUC_XUAN]["service_766"] - 12), 2),
    ]
    month = _september(viewer)
    assert month["total"] == pytest.approx(new_total) and month["points"]["s5_1"] == 6.0
    assert month["lineage"]["declarations"] == {"feedback": 1, "feedback_on_time": 1, "feedback_satisfied": 1}
    declared = {d["variable"]: d for d in month["declared"]}
    assert set(declared) == {"feedback", "feedback_on_time", "feedback_satisfied"}
    feedback = declared["feedback"]
    assert feedback["label"] == declarations.inputs()["feedback"].label
    assert (feedback["value"], feedback["version"], feedback["recorded_by"], feedback["counted"]) == (
        0.0,
        1,
        "chuongtrinh",
        True,
    )
    assert feedback["recorded_at"].endswith("+00:00")  # UTC
    assert _september(viewer, DUC_XUAN)["declared"] == []
    year = viewer.get(f"/api/v1/service-766/2025/{BAC_KAN}?year=2025").json()["year_total"]
    assert year["declared"] == [] and year["total"] == pytest.approx(EXPECTED[BAC_KAN]["service_766"])  # not the year
    page = office.get(SEPTEMBER).text
    assert "54,50" in page and "Chưa tính vào điểm" not in page

    _compute(site, lake)  # the full computation, reading the lake and the declarations again
    again = _ranked(viewer)
    assert [(u, r) for u, _, r in again] == [(u, r) for u, _, r in ranked]
    assert [t for _, t, _ in again] == pytest.approx([t for _, t, _ in ranked], abs=1e-9)
    assert _september(viewer)["points"] == pytest.approx(month["points"], abs=1e-9)
    assert _september(viewer)["declared"] == month["declared"]  # still counted


def test_a_declaration_not_in_the_stored_result_is_listed_as_not_counted(site, lake):
    """A period whose stored result did not read the declarations (a computation without --as)."""
    from chiso.permissions import MEASURE
    from chiso.service766 import service
    from chiso.service766.compute import compute
    from chiso.sources.measures import Grain

    _compute(site, lake)
    assert _declare(site.client("chuongtrinh"), {"feedback": "2"}).status_code == 303
    with site.session() as s:
        index = compute(lake=lake, province="19", grains=[Grain.MONTH, Grain.YEAR])
        service.record(session=s, index=index, province="19", actor=MEASURE)
        s.commit()
    (feedback,) = _september(site.client("lanhdao"))["declared"]
    assert (feedback["variable"], feedback["value"], feedback["counted"]) == ("feedback", 2.0, False)


def test_the_template_from_the_unit_page_and_the_ranking_page(site, lake):
    _compute(site, lake)
    office = site.client("chuongtrinh")
    assert _declare(office, {"feedback": "5", "feedback_on_time": "4"}).status_code == 303
    unit_page = office.get(SEPTEMBER).text
    link = f'href="/service-766/2025/{BAC_KAN}/template.xlsx?period=2025-09"'
    assert link in unit_page and "Tải mẫu Excel" in unit_page
    answer = office.get(f"/service-766/2025/{BAC_KAN}/template.xlsx?period=2025-09")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/vnd.openxml")
    assert f"tu-khai-766-{BAC_KAN}-2025-09.xlsx" in answer.headers["content-disposition"]
    book = load_workbook(io.BytesIO(answer.content))
    rows = {r[4]: r for r in book["Tự khai 766"].iter_rows(min_row=2, values_only=True)}
    assert set(rows) == set(declarations.inputs()) and rows["feedback"][6:8] == (5, 1)
    assert rows["feedback"][1] == "Phường Bắc Kạn" and rows["communes"][6] is None

    ranking = office.get("/service-766?period=2025-09&kind=commune").text
    assert 'href="/service-766/template.xlsx?province=19&amp;period=2025-09"' in ranking
    whole = office.get("/service-766/template.xlsx?province=19&period=2025-09")
    assert whole.status_code == 200
    sheet = load_workbook(io.BytesIO(whole.content))["Tự khai 766"]
    assert {"19", DUC_XUAN, BAC_KAN} <= {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)}

    # an officer: their unit's template, not the province's; a viewer: no link, no file
    officer = site.client("canbo.backan")
    assert link in officer.get(SEPTEMBER).text
    assert 'id="s766-template"' not in officer.get("/service-766?period=2025-09").text
    assert officer.get("/service-766/template.xlsx?province=19&period=2025-09").status_code == 403
    assert officer.get(f"/service-766/2025/{DUC_XUAN}/template.xlsx?period=2025-09").status_code == 403
    viewer = site.client("lanhdao")
    assert "Tải mẫu Excel" not in viewer.get(SEPTEMBER).text
    assert viewer.get(f"/service-766/2025/{BAC_KAN}/template.xlsx?period=2025-09").status_code == 403
    bad = office.get(f"/service-766/2025/{BAC_KAN}/template.xlsx?period=2025-13")
    assert bad.status_code in (400, 422) and "2025-13" in bad.text


def test_without_stored_results_the_page_says_the_figures_count_at_the_computation(site):
    answer = _declare(site.client("chuongtrinh"), {"feedback": "3"})
    assert answer.status_code == 303
    page = site.client("chuongtrinh").get(answer.headers["location"]).text
    assert "Kỳ này chưa có kết quả chỉ số 766 của đơn vị: số liệu được tính khi tính chỉ số." in page
