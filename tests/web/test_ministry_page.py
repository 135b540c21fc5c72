"""The province's DTI declaration through the web: the lead departments fill their components on the
declaration page, the DX office appraises and approves, `/ministry/{year}` shows the estimate, then the
gaps once the Ministry's figures are in."""

from __future__ import annotations

import re

import pytest
from tests.ministry import helpers as h
from tests.web.conftest import PASSWORD, post_form

from chiso.accounts import service as accounts
from chiso.accounts.schemas import UserCreate
from chiso.collection import service as collection
from chiso.demo import ministry as example
from chiso.ministry import service as ministry


def _cells(html: str, code: str) -> list[str]:
    found = re.search(rf'<tr class="[^"]*" data-code="{code}">(.*?)</tr>', html, re.S)
    assert found, f"no row {code}"
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", found.group(1), re.S)]


def test_departments_fill_the_office_appraises_the_page_shows_the_gaps(site):
    admin = site.people["admin"]
    with site.session() as s:
        example.load(session=s, admin=admin)
        ministry.open_declaration(session=s, year=h.YEAR, opens_on=h.OPENS, closes_on=h.CLOSES, actor=admin)
        leads = ministry.assignments(ministry.current_list(session=s, year=h.YEAR))
        for unit in leads:
            accounts.create_user(
                session=s,
                user_in=UserCreate(
                    user=f"canbo.{unit.lower()}", roles=frozenset({"officer"}), unit_code=unit, password=PASSWORD
                ),
                actor=admin,
            )
        fw = collection.framework_of(collection.get_period(session=s, code=h.PERIOD))
        s.commit()

    for unit, codes in leads.items():
        officer = site.client(f"canbo.{unit.lower()}")
        page = officer.get(f"/declare?period={h.PERIOD}&unit={unit}")
        assert page.status_code == 200
        shown = set(re.findall(r'name="indicator" value="([^"]+)"', page.text))
        assert shown == set(codes)  # the department sees only the components it leads
        for code in codes:
            node = fw.node(code)
            number, top = node.number or "", node.max_points or 0
            response = post_form(
                officer,
                "/declare/save",
                {
                    "period": h.PERIOD,
                    "unit": unit,
                    "indicator": code,
                    f"v:{code}": f"{h.figure(number):g}",
                    "self_score": f"{h.self_score(top, number):g}".replace(".", ","),
                    "doc_number": f"{number}/BC-{unit}",
                    "doc_date": "2026-03-10",
                    "summary": "Báo cáo",
                },
                f"/declare?period={h.PERIOD}&unit={unit}",
            )
            assert response.status_code == 303, response.text[:800]
        form = {"period": h.PERIOD, "unit": unit, "confirm": "yes"}  # "Gửi thẩm định", confirmed
        submitted = post_form(officer, "/declare/submit", form, "/declare")
        assert submitted.status_code == 303, submitted.text[:800]

    office = site.client("thamdinh")
    for unit, codes in leads.items():
        for code in codes:
            node = fw.node(code)
            score = h.appraised(node.max_points or 0, node.number or "")
            form = {"period": h.PERIOD, "unit": unit, "indicator": code, "decision": "accept"}
            if score is not None:
                form["score"] = f"{score:g}".replace(".", ",")
            response = post_form(office, "/appraise/decide", form, f"/appraise?period={h.PERIOD}")
            assert response.status_code == 303, response.text[:800]
        response = post_form(office, "/appraise/approve", {"period": h.PERIOD, "unit": unit}, "/appraise")
        assert response.status_code == 303, response.text[:800]

    leader = site.client("lanhdao")
    before = leader.get(f"/ministry/{h.YEAR}")
    assert before.status_code == 200, before.text[:800]
    assert 'id="not-published"' in before.text and "ví dụ minh họa" in before.text
    expected = h.expected_mains()
    awareness = _cells(before.text, "awareness")
    assert awareness[:2] == ["1", "Nhận thức số"]
    assert awareness[2] == "0,5000" and awareness[3:] == ["–", "–"]
    assert _cells(before.text, "gov_activity")[2] == "0,2500"
    assert "c4_" not in before.text and "tp1_1" not in before.text  # names and numbers, never codes

    with site.session() as s:
        h.publish(s, admin)
        s.commit()
    after = leader.get(f"/ministry/{h.YEAR}")
    assert 'id="not-published"' not in after.text
    assert _cells(after.text, "awareness")[2:] == ["0,5000", "0,6000", "-0,1000"]
    institutions = _cells(after.text, "institutions")
    assert institutions[3] == "0,8000"
    assert institutions[4] == f"+{expected['institutions'] - 0.8:.4f}".replace(".", ",")
    english = leader.get(f"/ministry/{h.YEAR}?lang=en").text
    assert _cells(english, "awareness")[1:] == ["Digital awareness", "0.5000", "0.6000", "-0.1000"]
    assert "DTI declaration 2025" in english
    dti = _cells(after.text, "dti-province-2024")
    assert dti[1] == "DTI" and dti[3] != "–" and dti[4] != "–"
    assert float(dti[2].replace(",", ".")) == pytest.approx(
        ministry.estimate(session=site.session(), year=h.YEAR, actor=site.people["viewer"]).dti, abs=5e-5
    )


def test_an_officer_may_not_read_the_estimate(site):
    with site.session() as s:
        example.load(session=s, admin=site.people["admin"])
        ministry.open_declaration(
            session=s, year=h.YEAR, opens_on=h.OPENS, closes_on=h.CLOSES, actor=site.people["admin"]
        )
        s.commit()
    assert site.client("canbo.ducxuan").get(f"/ministry/{h.YEAR}").status_code == 403
    assert site.client().get(f"/ministry/{h.YEAR}").status_code == 303  # to the login page


def test_the_office_imports_the_list_and_opens_the_declaration_on_the_web(site, tmp_path):
    """`/ministry`: every year's list and declaration; the office imports a list (a wrong one is refused
    with every problem, nothing kept) and opens the declaration; others read only."""
    viewer, admin = site.client("lanhdao"), site.client("admin")
    empty = viewer.get("/ministry")
    assert empty.status_code == 200 and 'id="no-list"' in empty.text and 'id="import"' not in empty.text
    assert 'href="/ministry"' in empty.text  # in the menu
    assert 'href="/ministry"' not in site.client(site.people["officer"].user).get("/").text
    good = h.example_file(tmp_path).read_bytes()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    upload = {"file": ("d.xlsx", good, xlsx)}
    refused = post_form(viewer, "/ministry/import", {"year": "2025"}, "/ministry", files=upload)
    assert refused.status_code == 403

    no_province = post_form(admin, "/ministry/import", {"year": "2025"}, "/ministry", files={"file": ("d.xlsx", good)})
    assert no_province.status_code == 422 and "CHISO_PROVINCE" in no_province.text
    site.app.state.settings = site.app.state.settings.model_copy(update={"province": h.PROVINCE})
    short = h.example_file(tmp_path, "thieu.xlsx", example.example_rows(h.YEAR, h.PROVINCE)[1:])
    wrong = post_form(
        admin, "/ministry/import", {"year": "2025"}, "/ministry", files={"file": ("thieu.xlsx", short.read_bytes())}
    )
    assert wrong.status_code == 422 and 'id="problems"' in wrong.text
    problems = re.findall(r"<li>(.*?)</li>", wrong.text.split('id="problems"')[1].split("</ul>")[0], re.S)
    assert problems and all(" / " not in p for p in problems)  # Vietnamese only, each problem listed
    assert any("phương pháp có 47" in p for p in problems)
    assert 'id="years"' not in admin.get("/ministry").text  # nothing kept

    imported = post_form(
        admin, "/ministry/import", {"year": "2025"}, "/ministry", files={"file": ("danh-muc.xlsx", good, xlsx)}
    )
    assert imported.status_code == 303 and imported.headers["location"] == "/ministry?done=imported"
    listed = admin.get("/ministry?done=imported").text
    row = listed.split('id="year-2025"')[1].split("</tr>")[0]
    assert "danh-muc.xlsx" in row and "ví dụ minh họa" in row and ">47<" in row and "Chưa mở" in row
    assert 'href="#open-2025"' in row and 'action="/ministry/open" class="stack" id="open-2025"' in listed
    with site.session() as s:
        assert ministry.current_list(session=s, year=h.YEAR).imported_by == "admin"

    backwards = {"year": "2025", "opens_on": "2026-04-30", "closes_on": "2026-03-01"}
    refused_dates = post_form(admin, "/ministry/open", backwards, "/ministry")
    assert refused_dates.status_code == 422 and 'id="error-closes_on"' in refused_dates.text
    assert "Chưa mở" in refused_dates.text.split('id="year-2025"')[1]
    opened = post_form(
        admin, "/ministry/open", {"year": "2025", "opens_on": "01/03/2026", "closes_on": "30/04/2026"}, "/ministry"
    )
    assert opened.status_code == 303
    row = admin.get("/ministry").text.split('id="year-2025"')[1].split("</tr>")[0]
    assert 'href="/ministry/2025"' in row and "01/03/2026" in row and "30/04/2026" in row
    assert viewer.get("/ministry/2025").status_code == 200
    with site.session() as s:
        assert collection.get_period(session=s, code=h.PERIOD).closes_on == h.CLOSES
