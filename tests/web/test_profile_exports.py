"""Downloads of rankings and unit profiles (issue 13, item 5) and the unit profile's names (item 6): the files
are opened again (csv, openpyxl) and compared with what the pages show."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from tests.web.test_rank_intervals import INTERVAL, NEXT, UNITS, Q, Tables, eight_communes

from chiso import numbers

BOM = b"\xef\xbb\xbf"


def vi(value: object, digits: int) -> str:
    return "–" if value in (None, "") else numbers.format(float(value), lang="vi", digits=digits)


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(BOM)  # Excel reads UTF-8 (and the diacritics) only with it
    return list(csv.DictReader(io.StringIO(response.content[len(BOM) :].decode("utf-8"))))


def read_xlsx(response):
    assert response.status_code == 200, response.text[:300]
    return load_workbook(io.BytesIO(response.content))


def test_the_ranking_downloads_hold_what_the_overview_shows(published):
    eight_communes(published)
    client = published.client()
    page = client.get(f"/?period={Q}").text
    assert f'href="/ranking.csv?period={NEXT}&amp;node=commune_dx"' in page and "Tải XLSX" in page
    shown = Tables(page).tables["ranking"][1:]
    response = client.get(f"/ranking.csv?period={Q}&node=commune_dx")
    assert 'filename="xep-hang-2026-commune-2025.csv"' in response.headers["content-disposition"]
    rows = read_csv(response)
    assert list(rows[0]) == ["Hạng", "Khoảng hạng: từ", "Khoảng hạng: đến", "Mã đơn vị", "Đơn vị", "Giá trị"]
    assert len(rows) == len(shown) == len(UNITS)
    for row, cells in zip(rows, shown, strict=True):
        low, high = INTERVAL.match(cells[1].split(" ")[0]).groups()
        assert [row["Hạng"], row["Khoảng hạng: từ"], row["Khoảng hạng: đến"], row["Đơn vị"]] == [
            cells[0],
            low,
            high,
            cells[2],
        ]
        assert row["Giá trị"] == f"{float(row['Giá trị']):.2f}" and vi(row["Giá trị"], 2) == cells[3]

    book = read_xlsx(client.get(f"/ranking.xlsx?period={Q}"))
    assert book.sheetnames == ["Xếp hạng", "Giới thiệu"]
    sheet = book["Xếp hạng"]
    assert sheet.freeze_panes == "A2"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("Hạng", "Khoảng hạng: từ", "Khoảng hạng: đến", "Mã đơn vị", "Đơn vị", "Giá trị")
    for (rank, low, high, code, name, value), cells in zip(values[1:], shown, strict=True):
        assert (str(rank), f"{low}–{high}", name, vi(value, 2)) == (
            cells[0],
            cells[1].split(" ")[0],
            cells[2],
            cells[3],
        )
        assert isinstance(value, int | float) and code in UNITS
    assert sheet["F2"].number_format == "#,##0.00" and sheet["A2"].number_format == "0"
    about = dict(book["Giới thiệu"].iter_rows(values_only=True))
    assert about["Kỳ đánh giá"] == "2026" and "±25 %" in about["Khoảng hạng"]


def test_an_indicator_ranks_by_its_rate_with_the_points_beside(published):
    eight_communes(published)
    client = published.client()
    page = client.get(f"/?period={Q}&node=c1_1").text
    table = Tables(page).tables["ranking"]
    assert table[0] == ["Hạng", "Đơn vị", "Tỷ lệ", "Điểm"] and "Xếp theo giá trị của chỉ số" in page
    assert "1.1 Tỷ lệ người sử dụng" in Tables(page).text  # the heading: number and name, no code
    rates = [numbers.parse(r[2].removesuffix(" %")) for r in table[1:]]
    assert rates == sorted(rates, reverse=True) and len(set(rates)) == len(UNITS)
    for cells, rate in zip(table[1:], rates, strict=True):  # 1.1 is scored rate × 10 points
        assert cells[3] == vi(rate / 100 * 10, 2)
    response = client.get(f"/ranking.csv?period={Q}&node=c1_1")
    assert 'filename="xep-hang-2026-commune-2025-1.1.csv"' in response.headers["content-disposition"]
    rows = read_csv(response)
    assert list(rows[0]) == ["Hạng", "Mã đơn vị", "Đơn vị", "Tỷ lệ (%)", "Điểm"]
    assert [(r["Hạng"], r["Đơn vị"], vi(r["Tỷ lệ (%)"], 2) + " %", vi(r["Điểm"], 2)) for r in rows] == [
        tuple(c) for c in table[1:]
    ]
    sheet = read_xlsx(client.get(f"/ranking.xlsx?period={Q}&node=c1_1"))["Xếp hạng"]
    assert sheet["D1"].value == "Tỷ lệ" and sheet["D2"].number_format == "0.00%"
    assert sheet["D2"].value == round(rates[0] / 100, 4)


def test_the_unit_profile_speaks_in_names_and_official_numbers(published):
    eight_communes(published)
    client = published.client()
    unit = UNITS[2]
    page = client.get(f"/units/{unit}?period={Q}").text
    parsed = Tables(page)
    for code in ("c1_1", "c2_1", "c3_5", "commune_dx", "infrastructure", NEXT):
        assert code not in parsed.text, code
    years = parsed.tables["years"]
    assert years[0][:3] == ["Năm", "Chỉ số chuyển đổi số cấp xã", "1 Hạ tầng và nền tảng số"]
    improve = parsed.tables["improve"]
    assert improve[0][-1] == "Hạng đạt được"
    first = improve[1]
    assert first[0].split(" ")[0] in {"1.1", "2.1", "3.5"} or first[0][0].isdigit()
    assert " → " in first[-1]
    assert "2026 · Bộ chỉ số đánh giá chuyển đổi số cấp xã, phường 2025" in parsed.text


def test_the_unit_profile_downloads_hold_what_the_page_shows(published):
    eight_communes(published)
    client = published.client()
    unit = UNITS[2]
    page = client.get(f"/units/{unit}?period={Q}").text
    parsed = Tables(page)
    assert f'href="/units/{unit}/profile.csv?period={NEXT}"' in page
    response = client.get(f"/units/{unit}/profile.csv?period={Q}")
    assert 'filename="ho-so-01849-xa-phong-quang-2026.csv"' in response.headers["content-disposition"]
    rows = read_csv(response)
    assert list(rows[0]) == ["Số hiệu", "Chỉ số", "Tối đa", "Tự đánh giá", "Thẩm định", "Cuối cùng"]
    items = parsed.tables["items"][1:]
    assert len(rows) == len(items) == 62
    for row, cells in zip(rows, items, strict=True):
        assert cells[0].startswith(f"{row['Số hiệu']} ")
        assert [
            vi(row["Tối đa"], 0),
            vi(row["Tự đánh giá"], 2),
            vi(row["Thẩm định"], 2),
            vi(row["Cuối cùng"], 2),
        ] == cells[1:5]

    book = read_xlsx(client.get(f"/units/{unit}/profile.xlsx?period={Q}"))
    assert book.sheetnames == ["Các chỉ số", "Tổng hợp", "Qua các năm", "Cải thiện trước"]
    assert all(book[name].freeze_panes == "A2" for name in book.sheetnames)
    summary = list(book["Tổng hợp"].iter_rows(values_only=True))
    assert summary[0][:6] == ("Chỉ số", "Giá trị", "Tối đa", "Hạng", "Khoảng hạng: từ", "Khoảng hạng: đến")
    label, value, _, rank, low, high, units, _ = summary[1]
    assert label == "Chỉ số chuyển đổi số cấp xã" and units == len(UNITS)
    assert vi(value, 2) + " / 960" == " ".join(page.split('id="index-value">')[1].split("<")[0].split()) + " / 960"
    assert f"Hạng {rank} / {units}, khoảng {low}–{high} khi trọng số thay đổi ±25 %" in parsed.text
    improve = list(book["Cải thiện trước"].iter_rows(values_only=True))
    shown = parsed.tables["improve"][1:]
    assert len(improve) - 1 == len(shown)
    for (number, name, points, next_points, _step, gain, before, after), cells in zip(improve[1:], shown, strict=True):
        assert cells[0].startswith(f"{number} {name[:20]}")
        assert (vi(points, 2), vi(gain, 2).lstrip("+"), f"{before} → {after}") == (
            cells[1],
            cells[3].lstrip("+"),
            cells[4],
        )
        assert cells[2].startswith(vi(next_points, 2))
    assert book["Các chỉ số"]["F2"].number_format == "#,##0.00"
