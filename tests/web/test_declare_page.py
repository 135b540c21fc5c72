"""The declaration page through the real app: typed inputs, the rule in words, points from the figures,
saving one item without losing another, warnings on save, the summary bar, confirmed submission (PRG),
the Excel template and import, evidence linked."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from pathlib import Path
from urllib.parse import quote

from openpyxl import load_workbook
from tests import factories as f
from tests.conftest import TODAY
from tests.web.conftest import csrf_of

from chiso.collection import exchange
from chiso.collection.progress import ItemProgress, UnitProgress
from chiso.framework import load_shipped
from chiso.values import service as values

P = quote(f.PERIOD, safe="")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"
JSON = {"Accept": "application/json"}


def page_of(client, unit=f.OTHER) -> str:
    response = client.get(f"/declare?period={P}&unit={unit}")
    assert response.status_code == 200, response.text[:1000]
    return response.text


def block(text: str, indicator: str) -> str:
    return text.split(f'id="{indicator}"')[1].split("</details>")[0]


def visible(text: str) -> str:
    """The page's text as read: no tags, no attribute values."""
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", text, flags=re.S)))


def version_of(text: str, indicator: str) -> str:
    found = re.search(rf'name="indicator" value="{indicator}"><input type="hidden" name="version" value="(\d+)"', text)
    return found.group(1) if found else ""


def post_item(client, indicator, fields, files=None, json=False, unit=f.OTHER):
    text = page_of(client, unit)
    data = {
        "period": f.PERIOD,
        "unit": unit,
        "indicator": indicator,
        "version": version_of(text, indicator),
        "csrf_token": csrf_of(client, "/login"),
        **fields,
    }
    return client.post("/declare/save", data=data, files=files, headers=JSON if json else None)


def stored(site, variable, unit=f.OTHER):
    from chiso.units.ref import UnitRef

    with site.session() as s:
        found = values.get_current(session=s, unit=UnitRef("2025", unit), variable=variable, period="2025")
        return None if found is None else found.value


def test_inputs_are_typed_and_labelled_by_the_framework(collecting):
    text = page_of(collecting.client("canbo.backan"))
    words = visible(text)
    framework = load_shipped("commune-2025")
    # Labels and official numbers, never the variable codes.
    assert "Số thuê bao băng rộng cố định có khả năng truy nhập tốc độ trên 1 Gb/s" in words
    shown = {v for v in framework.variables if re.search(rf"\b{re.escape(v)}\b", words)}
    assert shown == set(), f"variable codes shown on the page: {sorted(shown)[:5]}"
    assert not re.search(r"\bc\d+_\d+", words), "an indicator code is shown"
    assert "2025/commune-2025" not in words
    c1_1 = block(text, "c1_1")
    assert '<b class="number">1.1</b>' in c1_1
    assert 'inputmode="numeric"' in c1_1 and '<span class="unit">thuê bao</span>' in c1_1
    # yes/no is a switch, a level a select with its labelled options, a share a number in per cent
    assert 'type="checkbox" role="switch"' in block(text, "c3_5")
    level = block(text, "c2_1")
    assert "<select" in level and ">Chỉ có đầu mối kiêm nhiệm, hoặc chỉ một trong hai</option>" in level
    share = block(text, "c5_1")
    assert 'inputmode="decimal"' in share and '<span class="unit">%</span>' in share
    # the rule in words, the variables named by their labels
    assert "Số dân trong vùng phủ sóng 5G / Dân số trên địa bàn × 10 điểm" in visible(block(text, "c1_2"))
    # English page: English labels and option texts
    english = collecting.client("canbo.backan").get(f"/declare?period={P}&unit={f.OTHER}&lang=en").text
    assert "Residents within 5G coverage" in english and ">Only a part-time contact, or only one of the two<" in english


def test_typed_values_are_stored_as_the_engine_reads_them(collecting):
    client = collecting.client("canbo.backan")
    assert post_item(client, "c5_1", {"v:digital_economy_share": "15,5"}).status_code == 303
    assert stored(collecting, "digital_economy_share") == 0.155  # 15,5 % as a share
    assert 'value="15,5"' in block(page_of(client), "c5_1")  # and shown again in per cent
    assert post_item(client, "c3_5", {"v:cyber_drill": ["0", "1"]}).status_code == 303  # the switch on
    assert stored(collecting, "cyber_drill") == 1
    assert post_item(client, "c3_5", {"v:cyber_drill": "0"}).status_code == 303  # off: "no", not "unanswered"
    assert stored(collecting, "cyber_drill") == 0
    assert post_item(client, "c2_1", {"v:dx_officer_level": "1"}).status_code == 303
    assert 'value="1" selected>' in block(page_of(client), "c2_1")


def test_points_from_the_figures_beside_the_self_score_and_live(collecting):
    client = collecting.client("canbo.backan")
    # OTHER declared c1_1 as 120 / 400 with a self-score of 4: the engine gives 3 points
    c1_1 = block(page_of(client), "c1_1")
    assert re.search(r"data-points>3,00</b> / 10", c1_1)
    assert "tự chấm 4 điểm, theo số liệu được 3 điểm" in c1_1  # the rule's warning beside the self-score
    live = client.get(
        f"/declare/check?period={P}&unit={f.OTHER}&indicator=c1_2"
        "&v:population_5g_covered=4500&v:population=9000&self_score=5",
        headers=JSON,
    )
    assert live.status_code == 200 and live.json()["points"] == 5 and live.json()["points_text"] == "5,00"
    wrong = client.get(
        f"/declare/check?period={P}&unit={f.OTHER}&indicator=c1_2&v:population_5g_covered=nhiều&v:population=10",
        headers=JSON,
    ).json()
    assert [p["column"] for p in wrong["problems"] if p["severity"] == "error"] == ["population_5g_covered"]
    assert stored(collecting, "population") is None  # a preview stores nothing


def test_saving_one_item_keeps_the_others_and_warns_on_save(collecting):
    client = collecting.client("canbo.backan")
    one = post_item(client, "c1_2", {"v:population_5g_covered": "9000", "v:population": "8000"}, json=True)
    assert one.status_code == 200 and one.json() == {"ok": True}
    two = post_item(client, "c3_5", {"v:cyber_drill": "1", "self_score": "10"}, json=True)
    assert two.status_code == 200
    assert stored(collecting, "population") == 8000 and stored(collecting, "cyber_drill") == 1
    assert stored(collecting, "fixed_broadband_users") == 400  # declared before, untouched
    # saved as a draft, with the rule's finding beside the field it concerns, in Vietnamese
    fragment = client.get(f"/declare/item?period={P}&unit={f.OTHER}&indicator=c1_2", headers=JSON).json()
    field = fragment["item"].split('data-for="population_5g_covered"')[1].split("</div>")[0]
    assert "«Số dân trong vùng phủ sóng 5G» (9.000) lớn hơn «Dân số trên địa bàn» (8.000)" in field
    assert "numerator" not in fragment["item"]
    assert 'id="sum-errors"' in fragment["summary"]
    # a figure that is no number: refused with the field named, nothing stored
    bad = post_item(client, "c1_2", {"v:population_5g_covered": "nhiều", "v:population": "8000"}, json=True)
    assert bad.status_code == 422 and bad.json()["field"] == "population_5g_covered"
    assert "không phải số" in bad.json()["errors"][0]
    assert stored(collecting, "population_5g_covered") == 9000
    # the rule blocks the submission, shown at the top and next to the item
    submitted = client.post(
        "/declare/submit",
        data={"period": f.PERIOD, "unit": f.OTHER, "confirm": "yes", "csrf_token": csrf_of(client, "/login")},
    )
    assert submitted.status_code == 422
    assert "Chưa gửi được: kiểm tra các lỗi bên dưới." in submitted.text
    assert "lớn hơn «Dân số trên địa bàn»" in block(submitted.text, "c1_2").split('class="item-errors"')[1]


def test_summary_bar(collecting):
    text = page_of(collecting.client("canbo.backan"))
    summary = visible(text.split('id="summary"')[1].split("</section>")[0])
    assert "1/62 mục đã điền" in " ".join(summary.split())
    overdue = (TODAY - dt.date(2025, 11, 30)).days
    assert f"Hạn 30/11/2025: quá hạn {overdue} ngày" in " ".join(summary.split())
    ahead = UnitProgress({"a": ItemProgress(True, 3.0)}, TODAY + dt.timedelta(days=12), TODAY)
    assert (ahead.days_left, ahead.filled, ahead.total) == (12, 1, 1)


def test_submission_is_confirmed_and_redirected(collecting):
    client = collecting.client("canbo.backan")
    form = {"period": f.PERIOD, "unit": f.OTHER, "csrf_token": csrf_of(client, "/login")}
    asked = client.post("/declare/submit", data=form)
    assert asked.status_code == 303 and "confirm=1" in asked.headers["location"]
    confirm = client.get(asked.headers["location"])
    assert 'id="confirm"' in confirm.text and "Xác nhận gửi thẩm định" in confirm.text
    assert 'id="unit-state">Nháp<' in confirm.text  # nothing submitted yet
    done = client.post("/declare/submit", data={**form, "confirm": "yes"})
    assert done.status_code == 303 and "done=submit" in done.headers["location"]
    assert 'id="unit-state">Đã gửi<' in client.get(done.headers["location"]).text
    again = client.post("/declare/submit", data={**form, "confirm": "yes"})  # a second tab, a replayed post
    assert again.status_code == 409 and "Không có gì để gửi" in again.text and "<h1>" in again.text


def test_evidence_file_is_linked(collecting):
    client = collecting.client("canbo.backan")
    saved = post_item(
        client,
        "c3_5",
        {"v:cyber_drill": "1", "self_score": "10", "doc_number": "22/KH-UBND", "summary": "Kế hoạch"},
        files={"file": ("ke-hoach.pdf", PDF, "application/pdf")},
        json=True,
    )
    assert saved.status_code == 200, saved.text
    link = re.search(r'<a href="(/evidence/\d+)" class="file">ke-hoach.pdf</a>', block(page_of(client), "c3_5"))
    assert link and client.get(link.group(1)).content == PDF


def test_excel_template_is_the_cli_one_and_import_is_all_or_nothing(collecting, tmp_path: Path):
    client = collecting.client("canbo.backan")
    download = client.get(f"/declare/template?period={P}&unit={f.OTHER}")
    assert download.status_code == 200 and download.headers["content-disposition"].startswith("attachment")
    cli = tmp_path / "cli.xlsx"
    with collecting.session() as s:
        exchange.template(
            session=s, period_code=f.PERIOD, unit_code=f.OTHER, actor=collecting.people["other"], path=cli
        )
    web, made = load_workbook(io.BytesIO(download.content)), load_workbook(cli)
    rows = [r for r in web["Kê khai"].iter_rows(values_only=True)]
    assert rows[1:] == [r for r in made["Kê khai"].iter_rows(values_only=True)][1:]
    # one bad cell: listed with sheet, row and column; nothing changes
    sheet = web["Kê khai"]
    row = next(r for r in range(3, sheet.max_row + 1) if sheet[f"A{r}"].value == "c1_2")
    sheet[f"G{row}"], sheet[f"L{row}"] = 4500, "12/BC-UBND – 01/10/2025 – Báo cáo phủ sóng 5G"
    for r in range(3, sheet.max_row + 1):  # the population, the same in every row that reads it
        for name, value in (("F", "G"), ("H", "I")):
            if sheet[f"{name}{r}"].value == "population":
                sheet[f"{value}{r}"] = 9000
    sheet[f"G{row + 1}"] = "nhiều"  # c1_3: households with fibre
    bad = io.BytesIO()
    web.save(bad)
    refused = client.post(
        "/declare/import",
        data={"period": f.PERIOD, "unit": f.OTHER, "csrf_token": csrf_of(client, "/login")},
        files={"file": ("ke-khai.xlsx", bad.getvalue(), XLSX)},
    )
    assert refused.status_code == 422
    problems = refused.text.split('id="import-problems"')[1].split("</section>")[0]
    assert "không có gì thay đổi" in problems
    cells = [visible(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", problems)]
    assert cells[:3] == ["Kê khai", str(row + 1), "G (Số liệu 1: giá trị)"] and "không phải số" in cells[3]
    assert stored(collecting, "population") is None  # the good cells were not applied either
    sheet[f"G{row + 1}"] = 300
    good = io.BytesIO()
    web.save(good)
    imported = client.post(
        "/declare/import",
        data={"period": f.PERIOD, "unit": f.OTHER, "csrf_token": csrf_of(client, "/login")},
        files={"file": ("ke-khai.xlsx", good.getvalue(), XLSX)},
    )
    assert imported.status_code == 303, visible(imported.text.split('id="import-problems"')[-1])[:1500]
    assert "Đã nhập tệp Excel" in client.get(imported.headers["location"]).text
    assert stored(collecting, "population") == 9000 and stored(collecting, "households_fibre") == 300
    not_excel = client.post(
        "/declare/import",
        data={"period": f.PERIOD, "unit": f.OTHER, "csrf_token": csrf_of(client, "/login")},
        files={"file": ("anh.png", b"\x89PNG\r\n\x1a\n", "image/png")},
    )
    assert not_excel.status_code == 422 and "Tải mẫu Excel" in not_excel.text.split('id="import-problems"')[1]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_templates_run_under_strict_undefined(collecting, monkeypatch):
    from jinja2 import StrictUndefined

    from chiso.web import render

    env = render.environment()
    monkeypatch.setattr(env, "undefined", StrictUndefined)
    if env.cache is not None:  # compiled before the switch: compile again
        env.cache.clear()
    client = collecting.client("canbo.backan")
    try:
        assert client.get("/declare").status_code == 200
        assert post_item(client, "c1_1", {"v:fixed_broadband_users": "nhiều"}).status_code == 422
        asked = client.post(
            "/declare/submit", data={"period": f.PERIOD, "unit": f.OTHER, "csrf_token": csrf_of(client, "/login")}
        )
        assert client.get(asked.headers["location"]).status_code == 200
        item = client.get(f"/declare/item?period={P}&unit={f.OTHER}&indicator=c2_1", headers=JSON)
        assert item.status_code == 200
        refused = client.post(
            "/declare/import",
            data={"period": f.PERIOD, "unit": f.OTHER, "csrf_token": csrf_of(client, "/login")},
            files={"file": ("anh.png", b"\x89PNG\r\n\x1a\n", "image/png")},
        )
        assert refused.status_code == 422
    finally:
        if env.cache is not None:
            env.cache.clear()
