"""The Decision 766 ranking and profile pages and API, on results stored from the hand-checked record set."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.sources.test_service766 import BAC_KAN, DECLARED, DOSSIERS, DUC_XUAN, EXPECTED, PROCEDURES, _write

from chiso.clock import VIETNAM, FixedClock
from chiso.events.models import OutboxEvent
from chiso.permissions import MEASURE, PermissionDenied
from chiso.service766 import service
from chiso.service766.compute import compute
from chiso.service766.models import Service766Score
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain


def _record(site, tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake", FixedClock(dt.datetime(2025, 10, 6, 9, tzinfo=VIETNAM)))
    for source, rows in (("procedures", PROCEDURES), ("dossiers", DOSSIERS)):
        ingest_file(_write(tmp_path / f"{source}.jsonl", rows), source, lake=lake)
    index = compute(lake=lake, province="19", grains=[Grain.MONTH, Grain.YEAR], declared=DECLARED)
    with site.session() as s:
        service.record(session=s, index=index, province="19", actor=MEASURE)
        again = service.record(session=s, index=index, province="19", actor=MEASURE)  # computed again: replaced
        s.commit()
    assert again.periods == ["2025-09", "2025"]


def test_stored_ranking_pages_and_api(site, tmp_path: Path):
    _record(site, tmp_path)
    with site.session() as s:
        stored = s.scalars(select(Service766Score).where(Service766Score.period == "2025-09")).all()
        assert len(stored) == 4  # the province, the department, two communes; recorded twice, kept once
        event = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "vn.chiso.service766.computed")).all()[-1]
        assert event.data["periods"] == ["2025-09", "2025"]
        leaders = {(x["kind"], x["unit_code"]) for x in event.data["leaders"]}
        assert leaders == {("province", "19"), ("department", "19-SKHCN"), ("commune", DUC_XUAN)}

    viewer = site.client("lanhdao")
    page = viewer.get("/service-766?period=2025-09&kind=commune")
    assert page.status_code == 200
    text = page.text
    assert text.index("Phường Đức Xuân") < text.index("Phường Bắc Kạn")  # 61,18 before 42,50
    assert "61,18" in text and "42,50" in text and "09/2025" in text
    assert '<a href="/service-766" aria-current="page">' in text  # the menu entry
    profile = viewer.get(f"/service-766/2025/{DUC_XUAN}?year=2025")
    assert profile.status_code == 200
    assert "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn" in profile.text and "đơn vị kê khai" in profile.text
    assert "13,33" in profile.text  # 2.1: 2 of 3 on time × 20

    ranked = viewer.get("/api/v1/service-766?period=2025-09&kind=commune").json()["items"]
    assert [(r["unit_code"], r["rank"], r["ranked"]) for r in ranked] == [(DUC_XUAN, 1, 2), (BAC_KAN, 2, 2)]
    detail = viewer.get(f"/api/v1/service-766/2025/{DUC_XUAN}").json()
    month = detail["months"][0]
    assert month["points"]["s5_4"] == pytest.approx(EXPECTED[DUC_XUAN]["s5_4"])
    assert month["total"] == pytest.approx(EXPECTED[DUC_XUAN]["service_766"])
    assert detail["year_total"]["period"] == "2025"


def test_anonymous_visitors_are_sent_to_log_in(site):
    anonymous = site.client()
    assert anonymous.get("/service-766").status_code == 303
    assert anonymous.get("/api/v1/service-766").status_code in (401, 403)
    with site.session() as s, pytest.raises(PermissionDenied):
        service.record(session=s, index=None, province="19", actor=site.people["viewer"])  # type: ignore[arg-type]


def test_the_ranking_api_polls_like_the_other_results(site, tmp_path: Path):
    """ETag and 304, `updated_since` on the time the units were computed, CSV with names for a spreadsheet."""
    _record(site, tmp_path)
    api = site.client("lanhdao")
    url = "/api/v1/service-766?period=2025-09&kind=commune"
    first = api.get(url)
    assert api.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    stamp = dt.datetime.fromisoformat(first.json()["items"][0]["computed_at"])
    assert stamp.utcoffset() == dt.timedelta(0)
    before = (stamp - dt.timedelta(seconds=1)).isoformat().replace("+", "%2B")
    after = stamp.isoformat().replace("+", "%2B")
    assert len(api.get(f"{url}&updated_since={before}").json()["items"]) == 2
    assert api.get(f"{url}&updated_since={after}").json()["items"] == []
    sheet = api.get(f"{url}&format=csv")
    assert sheet.headers["content-type"].startswith("text/csv")
    lines = sheet.text.splitlines()
    assert lines[0].startswith("unit_era,unit_code,unit_name,unit_kind,period,total,rank,ranked,computed_at")
    assert "transparency" in lines[0] and "Phường Đức Xuân" in lines[1] and len(lines) == 3
