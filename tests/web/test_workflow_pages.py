"""Declaration and appraisal through the pages: evidence upload, errors next to the field, decisions."""

from __future__ import annotations

import re
from urllib.parse import quote

from tests import factories as f
from tests.web.conftest import csrf_of

P = quote(f.PERIOD, safe="")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def save(client, indicator, fields, files=None, unit=f.OTHER):
    page = client.get(f"/declare?period={P}&unit={unit}")
    version = re.search(
        rf'name="indicator" value="{indicator}"><input type="hidden" name="version" value="(\d+)"', page.text
    )
    data = {
        "period": f.PERIOD,
        "unit": unit,
        "indicator": indicator,
        "version": version.group(1) if version else "",
        "csrf_token": csrf_of(client, "/login"),
        **fields,
    }
    return client.post("/declare/save", data=data, files=files)


def test_declare_with_evidence_then_submit(collecting):
    client = collecting.client("canbo.backan")
    saved = save(
        client,
        "c3_5",
        {
            "v:cyber_drill": "1",
            "self_score": "10",
            "doc_number": "22/KH-UBND",
            "doc_date": "2025-10-01",
            "summary": "Kế hoạch diễn tập",
        },
        files={"file": ("ke-hoach.pdf", PDF, "application/pdf")},
    )
    assert saved.status_code == 303, saved.text[:2000]
    page = client.get(saved.headers["location"])
    assert "Đã lưu bản nháp." in page.text and "22/KH-UBND" in page.text and "ke-hoach.pdf" in page.text
    evidence = re.search(r'name="keep:(\d+)" checked> 22/KH-UBND', page.text)
    assert evidence
    # The evidence file is a download for who may read the unit's declarations, never for another unit.
    download = client.get(f"/evidence/{evidence.group(1)}")
    assert download.status_code == 200, download.text[-600:]
    assert download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment")
    assert collecting.client("canbo.ducxuan").get(f"/evidence/{evidence.group(1)}").status_code == 403
    assert collecting.client().get(f"/evidence/{evidence.group(1)}").status_code == 401
    confirmed = {"period": f.PERIOD, "unit": f.OTHER, "confirm": "yes", "csrf_token": csrf_of(client, "/login")}
    submitted = client.post("/declare/submit", data=confirmed)
    assert submitted.status_code == 303  # POST/redirect/GET
    assert 'id="unit-state">Đã gửi<' in client.get(f"/declare?period={P}").text


def test_errors_are_shown_next_to_the_field(collecting):
    client = collecting.client("canbo.backan")
    wrong = save(client, "c1_1", {"v:fixed_broadband_users": "nhiều"})
    assert wrong.status_code == 422
    block = wrong.text.split('id="c1_1"')[1].split("</details>")[0]
    assert "không phải số" in block and 'class="error field-error"' in block
    disguised = save(client, "c3_5", {"doc_number": "1/BC"}, files={"file": ("anh.pdf", PNG, "application/pdf")})
    assert disguised.status_code == 422
    # in the page's language (Vietnamese): the English half of the message is for the English page
    assert "nội dung là PNG" in disguised.text.split('id="c3_5"')[1].split("</details>")[0]
    too_big = save(
        client, "c3_5", {"doc_number": "1/BC"}, files={"file": ("to.pdf", PDF + b"x" * 300_000, "application/pdf")}
    )
    assert too_big.status_code == 422 and "tệp quá lớn" in too_big.text


def test_appraiser_returns_one_and_bulk_accepts_the_rest(collecting):
    appraiser = collecting.client("thamdinh")
    unit = f"/appraise/unit?period={P}&unit={f.COMMUNE}"
    queue = appraiser.get(unit)
    assert queue.status_code == 200 and 'id="item-c3_5"' in queue.text
    no_comment = appraiser.post(
        "/appraise/decide",
        data={
            "period": f.PERIOD,
            "unit": f.COMMUNE,
            "indicator": "c3_5",
            "decision": "return",
            "csrf_token": csrf_of(appraiser, "/appraise"),
        },
    )
    # refused next to the item, in Vietnamese, on the unit's page (not a bare error page), logged in
    assert no_comment.status_code == 422 and "Trả lại cần ý kiến" in no_comment.text
    assert 'id="unit-summary"' in no_comment.text
    assert "--comment" not in no_comment.text and "Đăng xuất" in no_comment.text
    returned = appraiser.post(
        "/appraise/decide",
        data={
            "period": f.PERIOD,
            "unit": f.COMMUNE,
            "indicator": "c3_5",
            "decision": "return",
            "comment": "Cần bổ sung minh chứng",
            "csrf_token": csrf_of(appraiser, "/appraise"),
        },
    )
    assert returned.status_code == 303
    picks = re.findall(r'name="pick" value="([^"]+)"', appraiser.get(unit).text)
    assert picks and "c3_5" not in picks
    bulk = appraiser.post(
        "/appraise/bulk",
        data={"period": f.PERIOD, "unit": f.COMMUNE, "pick": picks, "csrf_token": csrf_of(appraiser, "/appraise")},
    )
    assert bulk.status_code == 303
    officer = collecting.client("canbo.ducxuan")
    page = officer.get(f"/declare?period={P}")
    assert "Cần bổ sung minh chứng" in page.text and 'id="unit-state">Bị trả lại<' in page.text
