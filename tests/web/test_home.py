"""The leader's home: where a leader lands after logging in, and what it shows (every figure a link)."""

from __future__ import annotations

import re

import pytest
from tests import factories as f
from tests.conftest import TEST_CLOCK
from tests.web.conftest import login

from chiso.national import service as national
from chiso.values import service as values
from chiso.values.schemas import ValueIn

FIGURES = [  # the province's own series behind three of 01/NQ-TU's targets
    ("level4_services_share", "2021", 0.55),
    ("level4_services_share", "2022", 0.60),
    ("level4_services_share", "2023", 0.62),
    ("work_records_online_share_province", "2023", 0.88),
    ("work_records_online_share_province", "2024", 0.94),
]


YEARS = ((2021, "2024"), (2022, "2024"), (2023, "2024"), (2024, "2024"), (2023, "2025"), (2024, "2025"))


def leaders_data(s, admin) -> None:
    """Demo-like national figures, the former Thái Nguyên falling among the 63 after 2022 (so that the
    2030 rank target is at risk), and the province's own series behind three targets."""
    f.national_figures(s, admin, YEARS)
    for year, level in ((2023, 0.45), (2024, 0.40)):
        falling = [national.Entry("19", m, level, {"test": True}) for m in national.main_indicators(year)]
        national.record(session=s, year=year, era="2024", entries=falling, actor=admin)
    for variable, period, value in FIGURES:
        value_in = ValueIn(era="2025", unit_code="19", variable=variable, period=period, value=value, source="imported")
        values.record(session=s, value_in=value_in, actor=admin)


@pytest.fixture
def leaders(published):
    with published.session() as s:
        leaders_data(s, published.people["admin"])
        s.commit()
    return published


def test_a_leader_lands_on_the_home(leaders):
    client = leaders.client()
    response = login(client, "lanhdao")
    assert response.headers["location"] == "/home"
    page = client.get("/home")
    assert page.status_code == 200, page.text[:2000]
    html = page.text
    assert re.search(r'id="rank34">Hạng 8/34</a>', html)  # published 8th of 34 in 2024
    assert 'href="/national/2024?era=2025#p-19"' in html
    assert re.search(r'id="rank63">.*hạng 8/63 năm 2022</a> <span class="muted">\(công bố\)', html)  # not 2024
    assert "mô phỏng" in html  # the demo-like national figures are simulated
    statuses = re.findall(r'<li data-status="(\w+)">', html)
    # The 2030 rank target is at risk (the former Thái Nguyên fell to 62nd of 63) while 2030 is not over.
    assert statuses[0] == "at_risk" or TEST_CLOCK.today().year > 2030
    assert statuses == sorted(statuses, key=["at_risk", "late", "on_track", "achieved", "no_data"].index)
    assert re.search(r'href="/programmes/[\w-]+#target-level4_services"', html)
    assert re.search(
        r'<a href="/tasks\?plan=80/KH-UBND&amp;unit=01840">Phường Đức Xuân</a> <span class="badge late">', html
    )
    assert 'href="/reports/annual?province=19&amp;year=' in html and "format=pdf" in html
    assert 'id="pillars"' in html and "Nhận thức số" in html
    shown = re.sub(r"<[^>]+>", " ", html)
    assert not re.search(r"\b\d\.\d{4}\b", shown)  # Vietnamese number format only
    assert "c4_" not in shown and "programme_officer" not in shown and "/commune-2025" not in shown  # names, not codes


def test_who_sees_the_home(leaders):
    assert leaders.client().get("/home").headers["location"] == "/login?next=%2Fhome"
    officer = leaders.client("canbo.ducxuan")
    assert officer.get("/home").status_code == 403
    office = leaders.client("chuongtrinh")  # the programme office may read it, and logs in where it asked
    assert office.get("/home").status_code == 200


def test_the_open_collection_and_the_units_late(collecting):
    """An open period past its deadline: who has sent, and who is late; no national figures yet."""
    page = collecting.client("lanhdao").get("/home")
    assert page.status_code == 200, page.text[:2000]
    html = page.text
    assert "Chưa có số liệu DTI quốc gia." in html
    card = re.search(r'<section class="card collection" id="collection-1">(.*?)</section>', html, re.S).group(1)
    assert "Đã gửi <b>1/2</b> đơn vị · hạn 30/11/2025" in card  # Phường Đức Xuân submitted
    assert "đã quá hạn" in card  # the clock is past 30/11/2025 (TEST_CLOCK)
    assert "Đơn vị chậm so với hạn: 1" in card and "Phường Bắc Kạn" in card and "Phường Đức Xuân" not in card
