"""The appraisal workspace through the app: the queue, one unit's page, decisions with and without the
page's script, bulk acceptance, approval, refusals in Vietnamese next to the item, the XLSX export."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from tests import factories as f
from tests.web.conftest import csrf_of

from chiso.collection import service as collection
from chiso.collection.evidence import FileStore
from chiso.collection.schemas import DeclarationIn, EvidenceIn

P = quote(f.PERIOD, safe="")
UNIT = f"/appraise/unit?period={P}&unit={f.COMMUNE}"
FETCH = {"X-Requested-With": "fetch"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def decide(client, indicator, decision, headers=None, **extra):
    form = {"period": f.PERIOD, "unit": f.COMMUNE, "indicator": indicator, "decision": decision, **extra}
    return client.post("/appraise/decide", data={**form, "csrf_token": csrf_of(client, "/")}, headers=headers or {})


def item_of(html: str, indicator: str) -> str:
    found = re.search(rf'<article[^>]*id="item-{indicator}".*?</article>', html, re.S)
    assert found, f"no item {indicator}"
    return found.group(0)


def test_the_queue_lists_units_by_name_with_counts_and_filters(collecting):
    appraiser = collecting.client("thamdinh")
    page = appraiser.get("/appraise")
    assert page.status_code == 200
    text = page.text
    # the period by its name, never its code; units by name
    assert "2025 · Bộ chỉ số đánh giá chuyển đổi số cấp xã, phường 2025" in text
    assert ">2025/commune-2025<" not in text
    row = re.search(rf'<tr id="unit-{f.COMMUNE}".*?</tr>', text, re.S)
    assert row and "Phường Đức Xuân" in row.group(0) and "Đã gửi" in row.group(0)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert cells[3] == "62" and cells[4] == "0"  # all 62 items submitted, to decide; none returned
    assert f'id="unit-{f.OTHER}"' in text  # the draft unit is listed too, without warnings
    only_submitted = appraiser.get(f"/appraise?period={P}&state=submitted").text
    assert f'id="unit-{f.COMMUNE}"' in only_submitted and f'id="unit-{f.OTHER}"' not in only_submitted
    searched = appraiser.get(f"/appraise?period={P}&q=duc+xuan").text  # accents optional
    assert f'id="unit-{f.COMMUNE}"' in searched and f'id="unit-{f.OTHER}"' not in searched
    wards = appraiser.get(f"/appraise?period={P}&kind=phường").text
    assert f'id="unit-{f.COMMUNE}"' in wards
    communes = appraiser.get(f"/appraise?period={P}&kind=xã").text
    assert f'id="unit-{f.COMMUNE}"' not in communes and "Không có đơn vị nào khớp bộ lọc." in communes


def test_the_queue_offers_only_periods_being_appraised_and_only_to_appraisers(published, collecting):
    appraiser = published.client("thamdinh")
    page = appraiser.get("/appraise")
    assert page.status_code == 200 and "Không có kỳ đánh giá nào đang thẩm định." in page.text
    refused = appraiser.get(f"/appraise?period={P}")  # published: not in the appraiser's queue any more
    assert refused.status_code == 404 and "không có kỳ đánh giá" in refused.text
    officer = collecting.client("canbo.ducxuan")
    assert officer.get("/appraise").status_code == 403
    assert officer.get(UNIT).status_code == 403


def test_one_unit_page_shows_numbers_names_figures_and_the_computed_score(collecting):
    page = collecting.client("thamdinh").get(UNIT)
    assert page.status_code == 200
    text = page.text
    assert "<h2>1. Hạ tầng và nền tảng số</h2>" in text  # grouped as the framework groups them
    c1_1 = item_of(text, "c1_1")
    assert "<b>1.1</b> Tỷ lệ người sử dụng có khả năng truy nhập băng rộng cố định" in c1_1
    assert "fixed_broadband_users" not in c1_1.replace('value="c1_1"', "")  # labels, not variable names
    assert "120 thuê bao" in c1_1 and "400 thuê bao" in c1_1
    # self-score 4, the figures give 120 / 400 × 10 = 3: the difference is shown, with the warning
    assert "4,00 / 10" in c1_1 and ">3,00<" in c1_1 and "+1,00" in c1_1
    assert "theo số liệu được 3 điểm" in c1_1
    assert "15/BC-UBND – 01/10/2025 – Báo cáo số liệu" in c1_1
    assert "c4_22" not in re.sub(r'(id|value|for|aria-describedby)="[^"]*"', "", text)


def test_accept_and_return_without_reloading_the_page(collecting):
    appraiser = collecting.client("thamdinh")
    returned = decide(appraiser, "c3_5", "return", FETCH, comment="Cần bổ sung minh chứng: biên bản diễn tập")
    assert returned.status_code == 200 and "<html" not in returned.text  # the changed parts only
    assert 'id="item-c3_5"' in returned.text and 'id="unit-summary"' in returned.text
    assert "Đã trả lại." in returned.text and "Bị trả lại" in item_of(returned.text, "c3_5")
    accepted = decide(appraiser, "c1_1", "accept", FETCH, score="3")
    assert accepted.status_code == 200
    c1_1 = item_of(accepted.text, "c1_1")
    assert "Đã chấp nhận" in c1_1 and 'class="appraised">3,00<' in c1_1
    assert 'value="accept"' not in c1_1 and 'value="return"' in c1_1  # an accepted item can still be returned
    page = appraiser.get(UNIT).text
    assert "Bị trả lại" in item_of(page, "c3_5") and "Đã chấp nhận" in item_of(page, "c1_1")


def test_without_the_script_a_decision_redirects_back_to_the_item(collecting):
    appraiser = collecting.client("thamdinh")
    answer = decide(appraiser, "c1_1", "accept")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/appraise/unit?period={P}&unit={f.COMMUNE}&done=accept#item-c1_1"
    assert 'id="message" role="status" class="ok">Đã chấp nhận.<' in appraiser.get(answer.headers["location"]).text


@pytest.mark.parametrize("headers", [FETCH, {}], ids=["script", "form"])
def test_refusals_are_in_vietnamese_next_to_the_item_and_change_nothing(collecting, headers):
    appraiser = collecting.client("thamdinh")
    no_comment = decide(appraiser, "c3_5", "return", headers)
    assert no_comment.status_code == 422
    item = item_of(no_comment.text, "c3_5")
    assert "Trả lại cần ý kiến" in item and 'role="alert">Trả lại cần ý kiến' in item
    assert "--comment" not in no_comment.text and "needs a comment" not in no_comment.text
    too_high = decide(appraiser, "c1_1", "accept", headers, score="11")
    assert too_high.status_code == 422 and "Điểm thẩm định phải từ 0 đến 10." in item_of(too_high.text, "c1_1")
    unreadable = decide(appraiser, "c1_1", "accept", headers, score="ba")
    assert unreadable.status_code == 422 and "Điểm thẩm định không đọc được" in item_of(unreadable.text, "c1_1")
    page = appraiser.get(UNIT).text
    assert all("Đã gửi" in item_of(page, i) for i in ("c1_1", "c3_5", "c2_1"))  # nothing was decided
    twice = decide(appraiser, "c1_1", "accept", headers)
    assert twice.status_code in (200, 303)
    again = decide(appraiser, "c1_1", "accept", headers)
    assert again.status_code == 422 and "không còn chờ quyết định (trạng thái: Đã chấp nhận)" in again.text


def test_bulk_accept_then_approve_the_unit(collecting):
    appraiser = collecting.client("thamdinh")
    token = csrf_of(appraiser, "/")
    early = appraiser.post(
        "/appraise/approve", data={"period": f.PERIOD, "unit": f.COMMUNE, "csrf_token": token}, headers=FETCH
    )
    assert early.status_code == 422 and "mọi mục phải được chấp nhận" in early.text
    none = appraiser.post("/appraise/bulk", data={"period": f.PERIOD, "unit": f.COMMUNE, "csrf_token": token})
    assert none.status_code == 422 and "Chưa chọn mục nào" in none.text
    picks = re.findall(r'name="pick" value="([^"]+)"', appraiser.get(UNIT).text)
    assert len(picks) == 62 and {"c1_1", "c2_1", "c3_5"} <= set(picks)
    bulk = appraiser.post(
        "/appraise/bulk",
        data={"period": f.PERIOD, "unit": f.COMMUNE, "pick": picks[:2], "csrf_token": token},
        headers=FETCH,
    )
    assert bulk.status_code == 200 and all("Đã chấp nhận" in item_of(bulk.text, i) for i in picks[:2])
    form = appraiser.post(
        "/appraise/bulk", data={"period": f.PERIOD, "unit": f.COMMUNE, "pick": picks[2:], "csrf_token": token}
    )
    assert form.status_code == 303 and form.headers["location"].endswith(f"#item-{picks[2]}")
    approved = appraiser.post(
        "/appraise/approve", data={"period": f.PERIOD, "unit": f.COMMUNE, "csrf_token": token}, headers=FETCH
    )
    assert approved.status_code == 200 and "Đã phê duyệt đơn vị." in approved.text
    assert 'id="unit-state">Đã phê duyệt<' in approved.text
    row = re.search(rf'<tr id="unit-{f.COMMUNE}".*?</tr>', appraiser.get(f"/appraise?period={P}").text, re.S)
    assert row and "Đã phê duyệt" in row.group(0)


def test_the_sheet_exports_to_xlsx_for_a_unit_and_for_the_period(collecting):
    appraiser = collecting.client("thamdinh")
    decide(appraiser, "c1_1", "accept", score="3")
    one = appraiser.get(f"/appraise/export.xlsx?period={P}&unit={f.COMMUNE}")
    assert one.status_code == 200 and one.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    ws = load_workbook(io.BytesIO(one.content))["Thẩm định"]
    assert ws.freeze_panes == "A4"
    headers = [c.value for c in ws[3]]
    assert headers[:5] == ["Đơn vị", "Nhóm", "Số TT", "Chỉ số", "Trạng thái"] and "Điểm theo số liệu" in headers
    rows = {r[2]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    c1_1 = rows["1.1"]
    assert c1_1[0] == "Phường Đức Xuân" and c1_1[1] == "1 Hạ tầng và nền tảng số" and c1_1[4] == "Đã chấp nhận"
    assert c1_1[6:11] == (10, 4, 3, 1, 3)  # max, self, from figures, difference, appraised
    assert "thuê bao" in c1_1[5] and "15/BC-UBND – 01/10/2025 – Báo cáo số liệu" in c1_1[13]
    number_row = next(ws.iter_rows(min_row=4, max_row=4))
    assert number_row[7].number_format == "#,##0.00"
    assert len(rows) == 62  # every item of the unit
    period = load_workbook(io.BytesIO(appraiser.get(f"/appraise/export.xlsx?period={P}").content))["Thẩm định"]
    units = {r[0] for r in period.iter_rows(min_row=4, values_only=True)}
    assert units == {"Phường Đức Xuân", "Phường Bắc Kạn"}
    assert collecting.client("canbo.ducxuan").get(f"/appraise/export.xlsx?period={P}").status_code == 403


def test_evidence_files_open_inside_the_page(collecting, tmp_path):
    officer = collecting.people["other"]
    picture = tmp_path / "bien-ban.png"
    picture.write_bytes(PNG)
    files = collecting.app.state.files
    with collecting.session() as s:
        item = DeclarationIn(
            indicator="c3_5",
            values={"cyber_drill": 1},
            self_score=10,
            evidence=(EvidenceIn(doc_number="30/BB-UBND", summary="Biên bản diễn tập", file=picture),),
        )
        collection.declare(session=s, period_code=f.PERIOD, unit_code=f.OTHER, item_in=item, actor=officer, files=files)
        collection.submit(session=s, period_code=f.PERIOD, unit_code=f.OTHER, actor=officer)
        s.commit()
    appraiser = collecting.client("thamdinh")
    page = appraiser.get(f"/appraise/unit?period={P}&unit={f.OTHER}").text
    found = re.search(r'<img src="(/appraise/evidence/(\d+))" alt="30/BB-UBND – Biên bản diễn tập"', page)
    assert found, item_of(page, "c3_5")
    shown = appraiser.get(found.group(1))
    assert shown.status_code == 200 and shown.content == PNG and shown.headers["content-type"] == "image/png"
    assert shown.headers["content-disposition"].startswith("inline")
    assert (
        shown.headers["x-frame-options"] == "SAMEORIGIN"
        and "frame-ancestors 'self'" in shown.headers["content-security-policy"]
    )
    assert f'href="/evidence/{found.group(2)}" download>bien-ban.png<' in page
    assert collecting.client("canbo.ducxuan").get(found.group(1)).status_code == 403  # another unit's file
    assert appraiser.get("/appraise/evidence/999999").status_code == 404
    assert isinstance(files, FileStore)
