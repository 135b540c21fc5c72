"""Declaring the 766 components Chiso cannot measure on the unit's 766 page (issue 15, item 4).

The stored results come from the hand-checked September 2025 record set (tests/sources/test_service766.py).
Before anything is declared the page says "Chưa khai" for every such component; the programme office
declares, the page says "Tự khai" with who and when, and 5.1 and 5.2 earn their points at once (the
period's stored results are scored again); computed again with the declarations, the same. A result
computed without reading the declarations is marked as not counting them. A refused form writes nothing
and says why beside the figure; a form read before someone else's change is a conflict, not an overwrite.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.sources.test_service766 import DOSSIERS, DUC_XUAN, PROCEDURES, _write
from tests.web.conftest import csrf_of

from chiso.clock import VIETNAM, FixedClock
from chiso.permissions import MEASURE
from chiso.service766 import declarations, service
from chiso.service766.compute import compute
from chiso.service766.models import Service766Declaration, Service766Score
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain

PAGE = f"/service-766/2025/{DUC_XUAN}"
SEPTEMBER = f"{PAGE}?year=2025&period=2025-09"


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake(tmp_path / "lake", FixedClock(dt.datetime(2025, 10, 6, 9, tzinfo=VIETNAM)))
    for source, rows in (("procedures", PROCEDURES), ("dossiers", DOSSIERS)):
        ingest_file(_write(tmp_path / f"{source}.jsonl", rows), source, lake=lake)
    return lake


def _compute(site, lake: Lake) -> None:
    """What `rank766 --store measure` does: read the declarations, compute, store."""
    with site.session() as s:
        declared = declarations.frame(session=s, province="19", actor=MEASURE)
        index = compute(lake=lake, province="19", grains=[Grain.MONTH, Grain.YEAR], declared=declared)
        service.record(session=s, index=index, province="19", actor=MEASURE)
        s.commit()


def _row(html: str, variable: str) -> str:
    found = re.search(rf'<tr class="s766-input"[^>]*data-variable="{variable}".*?</tr>', html, flags=re.S)
    assert found, variable
    return found.group(0)


def _component(html: str, code: str) -> str:
    rows = re.findall(rf'<tr class="s766-input" data-component="{code}".*?</tr>', html, flags=re.S)
    assert rows, code
    return " ".join(rows)


def _versions(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(version_\w+)" value="(\d+)"', html))


def _post(client, data: dict[str, str], versions: dict[str, str] | None = None):
    form = {"period": "2025-09", **(versions or {}), **data, "csrf_token": csrf_of(client, SEPTEMBER)}
    return client.post(f"{PAGE}/declare", data=form)


def _stored(site) -> list[tuple[str, float, int, str]]:
    with site.session() as s:
        rows = s.scalars(select(Service766Declaration).order_by(Service766Declaration.id)).all()
        return [(r.variable, r.value, r.version, r.recorded_by) for r in rows]


def test_declared_on_the_page_marked_with_who_and_when_and_counted_once_computed(site, lake):
    _compute(site, lake)
    office = site.client("chuongtrinh")
    before = office.get(SEPTEMBER)
    assert before.status_code == 200
    for code in ("s4_4", "s4_5a", "s4_5b", "s4_6", "s5_1", "s5_2"):
        assert 'data-state="missing">Chưa khai' in _component(before.text, code)  # never a silent zero
    assert "Mẫu số đo tự động: số hồ sơ tiếp nhận trong kỳ" in _component(before.text, "s4_4")
    assert 'id="s766-declare"' in before.text  # the programme office may declare

    answer = _post(
        office, {"feedback": "4", "feedback_on_time": "3", "feedback_satisfied": "3"}, _versions(before.text)
    )
    assert answer.status_code == 303 and answer.headers["location"].endswith(
        "period=2025-09&done=declared#s766-declared"
    )
    assert _stored(site) == [
        ("feedback_on_time", 3.0, 1, "chuongtrinh"),
        ("feedback", 4.0, 1, "chuongtrinh"),
        ("feedback_satisfied", 3.0, 1, "chuongtrinh"),
    ]
    after = office.get(answer.headers["location"]).text
    assert "Đã ghi số liệu tự khai" in after
    assert 'data-state="declared">Tự khai' in _component(after, "s5_1")
    feedback = _row(after, "feedback")
    assert 'value="4"' in feedback and "Tự khai: chuongtrinh," in feedback
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", feedback)  # when, in local time
    assert "Chưa tính vào điểm" not in feedback  # applied at once: September's stored result took it
    assert 'data-state="missing">Chưa khai' in _component(after, "s4_4")
    assert "Đã ghi số liệu tự khai và tính lại điểm của kỳ." in after
    _assert_counted(site, after)

    _compute(site, lake)  # the next computation reads the declarations: the same points
    counted = office.get(SEPTEMBER).text
    assert "Chưa tính vào điểm" not in counted
    _assert_counted(site, counted)

    # a computation that did not read the declarations (rank766 without --as): the page says so
    with site.session() as s:
        index = compute(lake=lake, province="19", grains=[Grain.MONTH, Grain.YEAR])
        service.record(session=s, index=index, province="19", actor=MEASURE)
        s.commit()
    assert "Chưa tính vào điểm: tính lại chỉ số 766 để áp dụng." in _row(office.get(SEPTEMBER).text, "feedback")

    # a reader sees the figures and who gave them, without a form
    viewer = site.client("lanhdao").get(SEPTEMBER).text
    assert 'id="s766-declare"' not in viewer and "Tự khai: chuongtrinh" in viewer and "Chưa khai" in viewer


def _assert_counted(site, html: str) -> None:
    with site.session() as s:
        score = s.scalars(
            select(Service766Score).where(Service766Score.unit_code == DUC_XUAN, Service766Score.period == "2025-09")
        ).one()
        assert score.points["s5_1"] == pytest.approx(4.5)  # 3 of 4 on time × 6
        assert score.points["s5_2"] == pytest.approx(4.5) and score.points["s4_4"] is None
    points = re.search(r'<table id="s766-components">.*?</table>', html, flags=re.S)
    assert points and "4,50 / 6" in points.group(0)


def test_a_refused_form_says_why_beside_the_figure_and_writes_nothing(site, lake):
    _compute(site, lake)
    officer = site.client("canbo.ducxuan")  # the unit's own officer may declare
    page = officer.get(SEPTEMBER)
    assert 'id="s766-declare"' in page.text
    above = _post(officer, {"feedback": "2", "feedback_on_time": "5"}, _versions(page.text))
    assert above.status_code == 422
    assert re.search(r'name="feedback_on_time"[^>]*value="5"', above.text)  # what they typed, kept
    error = re.search(r'id="error-feedback_on_time">([^<]*)<', above.text)
    assert error and "(5) lớn hơn Số phản ánh, kiến nghị (PAKN) thuộc thẩm quyền trong kỳ (2)" in error.group(1)
    received = _post(officer, {"dossiers_personal_store": "9"}, _versions(page.text))  # 4 dossiers were received
    assert received.status_code == 422 and "số hồ sơ tiếp nhận trong kỳ (đo tự động) (4)" in received.text
    words = _post(officer, {"communes": "mười", "feedback": "-1"}, _versions(page.text))
    assert words.status_code == 422
    assert "«mười» không phải số" in words.text and 'id="error-communes"' in words.text
    bad_period = _post(officer, {"feedback": "1", "period": "2025-13"})
    assert bad_period.status_code == 422 and "Kỳ «2025-13» không hợp lệ" in bad_period.text
    assert _stored(site) == []
    english = site.client("canbo.ducxuan")
    english.cookies.set("chiso_lang", "en")
    refused = _post(english, {"feedback": "2.5"}, _versions(page.text))
    assert refused.status_code == 422 and "is a count: it needs a whole number (it is 2.5)" in refused.text


def test_another_units_officer_and_a_viewer_may_not_declare(site):
    for user in ("canbo.backan", "lanhdao"):
        client = site.client(user)
        answer = _post(client, {"feedback": "1"})
        assert answer.status_code == 403, (user, answer.status_code)
    assert _stored(site) == []


def test_a_form_read_before_someone_elses_change_is_a_conflict_not_an_overwrite(site):
    office, officer = site.client("chuongtrinh"), site.client("canbo.ducxuan")
    assert _post(office, {"feedback": "4"}).status_code == 303  # version 1
    read_by_both = office.get(SEPTEMBER).text
    officer_read = officer.get(SEPTEMBER).text
    assert _versions(read_by_both)["version_feedback"] == _versions(officer_read)["version_feedback"] == "1"
    assert _post(officer, {"feedback": "6"}, _versions(officer_read)).status_code == 303  # version 2
    late = _post(office, {"feedback": "5"}, _versions(read_by_both))  # still thinks it is version 1
    assert late.status_code == 409
    assert "vừa được người khác thay đổi; hãy tải lại rồi làm lại" in late.text
    assert _versions(late.text)["version_feedback"] == "2"  # the page now holds the current version
    assert re.search(r'name="feedback"[^>]*value="5"', late.text)  # and what they typed
    assert _stored(site) == [("feedback", 4.0, 1, "chuongtrinh"), ("feedback", 6.0, 2, "canbo.ducxuan")]
    again = _post(office, {"feedback": "5"}, _versions(late.text))  # saved again over the current version
    assert again.status_code == 303 and _stored(site)[-1] == ("feedback", 5.0, 3, "chuongtrinh")
    unchanged = _post(office, {"feedback": "5"}, {"version_feedback": "3"})
    assert unchanged.headers["location"].endswith("done=unchanged#s766-declared") and len(_stored(site)) == 3
