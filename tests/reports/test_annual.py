"""The annual report (Ngày Chuyển đổi số): made from the services, read back from the PDF and the XLSX."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from pathlib import Path

import numpy as np
import pdfplumber
import pypdfium2
import pytest
from openpyxl import load_workbook

from chiso.national import service as national
from chiso.permissions import PUBLIC
from chiso.programme import service as programmes
from chiso.programme.status import LABELS
from chiso.reports import pdf, service, xlsx
from chiso.reports.schemas import SIMULATED
from chiso.values import service as values
from chiso.values.schemas import ValueIn

VIETNAMESE = ("Chuyển đổi số", "Phường Đức Xuân", "Sở Khoa học và Công nghệ", "Quyết định")
OBSERVED = [  # the province's own figures behind three targets; the 2024 share is simulated
    ("level4_services_share", "2022", 0.70, False),
    ("level4_services_share", "2023", 0.85, False),
    ("level4_services_share", "2024", 0.98, True),
    ("work_records_online_share_province", "2023", 0.85, False),
    ("work_records_online_share_province", "2024", 0.93, False),
    ("digital_tech_enterprises", "2024", 420, False),
]


@pytest.fixture
def reported(published):
    """The published site with national figures (63 and 34 provinces) and the province's own figures."""
    with published.session() as s:
        admin = published.people["admin"]
        others = {f"{i:02d}": 0.3 + i / 100 for i in (1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 20, 22, 24, 25)}
        for year in (2022, 2023):  # the former Thái Nguyên (19) among 16 provinces; 2022's rank published
            entries = [
                national.Entry(u, m, v, {"test": True})
                for u, v in {"19": 0.5, **others}.items()
                for m in national.main_indicators(year)
            ]
            if year == 2022:
                entries.append(national.Entry("19", national.PUBLISHED_RANK, 8, {"test": True}))
            national.record(session=s, year=year, era="2024", entries=entries, actor=admin)
        for year, figures in ((2023, {"19": 0.5, "01": 0.7, "79": 0.6}), (2024, {"19": 0.8, "01": 0.7, "79": 0.6})):
            lineage = {"simulated": True} if year == 2024 else {"test": True}
            entries = [
                national.Entry(u, m, v, lineage) for u, v in figures.items() for m in national.main_indicators(year)
            ]
            national.record(session=s, year=year, era="2025", entries=entries, actor=admin)
        for variable, period, value, simulated in OBSERVED:
            value_in = ValueIn(
                era="2025",
                unit_code="19",
                variable=variable,
                period=period,
                value=value,
                source="imported",
                lineage={"simulated": True} if simulated else None,
            )
            values.record(session=s, value_in=value_in, actor=admin)
        s.commit()
    return published


def _text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def _line_with(text: str, *tokens: str) -> str:
    for line in text.splitlines():
        words = line.split()
        if all(t in words for t in tokens):
            return line
    raise AssertionError(f"no line with {tokens} in:\n{text}")


def test_the_pdf_says_the_rank_every_target_and_keeps_its_diacritics(reported):
    with reported.session() as s:
        report = service.annual(session=s, actor=reported.people["viewer"], province="19", year=2025)
        data = pdf.render(report)
    assert data.startswith(b"%PDF")
    import os

    if os.environ.get("DUMP_REPORT"):
        Path(os.environ["DUMP_REPORT"]).write_bytes(data)
    text = _text(data)
    flat = _flat(text)
    # the national position: 2024 first among the 34 (recomputed, simulated), 2022 the published 8th of 63
    assert _line_with(text, "2024", "1", "3", "tính", "lại")
    assert _line_with(text, "2022", "8", "16", "công", "bố")
    assert _line_with(text, "2023", "3", "3", "tính", "lại")
    # every target with its status label, as the programme service judged it
    targets = next(t for t in report.tables if t.key == "Chỉ tiêu")
    assert len(targets.rows) == len(programmes.get_programme(actor=PUBLIC, code="01/NQ-TU").targets) > 5
    for code, name, *_, label, _reason, _simulated in targets.rows:
        assert name in flat, name
        assert label in LABELS.values()
        assert f"Trạng thái: {label}" in flat, (code, label)
    for words in VIETNAMESE:
        assert words in flat, words
    # simulated figures say so, on the cover and beside the figures
    assert report.simulated and "Báo cáo có số liệu mô phỏng" in flat and flat.count(SIMULATED) >= 3
    # the plan: two overdue tasks on the session's clock, the one due later is not overdue
    assert "Số hóa hồ sơ một cửa" in flat and "Tổ công nghệ số cộng đồng" in flat
    assert "Tập huấn cán bộ" not in flat
    # the commune ranking of the published period, with its map
    assert "Phường Bắc Kạn" in flat and "Bản đồ chỉ số xã, phường năm 2025" in flat


def test_every_page_is_a4_and_has_something_on_it(reported):
    with reported.session() as s:
        data = pdf.render(service.annual(session=s, actor=reported.people["admin"], province="19", year=2025))
    document = pypdfium2.PdfDocument(data)
    try:
        assert len(document) >= 4
        for page in document:
            width, height = page.get_size()
            assert (round(width), round(height)) == (595, 842)  # A4 in points
            pixels = np.asarray(page.render(scale=0.5).to_pil().convert("L"), dtype=float)
            assert pixels.std() > 5, "a blank page"
    finally:
        document.close()


def test_the_workbook_holds_the_same_tables(reported):
    with reported.session() as s:
        report = service.annual(session=s, actor=reported.people["programme_officer"], province="19", year=2025)
    book = load_workbook(io.BytesIO(xlsx.render(report)))
    sheets = book.worksheets[1:]
    assert book.worksheets[0].title == "Giới thiệu"
    assert len(sheets) == len(report.tables)
    for sheet, table in zip(sheets, report.tables, strict=True):
        assert sheet.freeze_panes == "A2"
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == [c.header for c in table.columns]
        read = [tuple(_plain(v) for v in row) for row in rows[1 : 1 + len(table.rows)]]
        assert read == [
            tuple(None if v == "" or (isinstance(v, float) and v != v) else v for v in row) for row in table.rows
        ]
        for i, column in enumerate(table.columns):
            if column.kind == "pct" and table.rows:
                assert sheet.cell(row=2, column=i + 1).number_format.endswith("%")
    position = book["Vị thế quốc gia"]
    assert [c.value for c in position[1]][:4] == ["Năm", "Phạm vi xếp hạng", "Chỉ số DTI", "Hạng"]


def _plain(value):
    return value.date() if isinstance(value, dt.datetime) else value


def test_the_download_needs_a_login_and_the_permission(reported):
    url = "/reports/annual?province=19&year=2025&format=pdf"
    anonymous = reported.client().get(url, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert reported.client("canbo.ducxuan").get(url).status_code == 403  # a unit's officer: not theirs to read
    got = reported.client("lanhdao").get(url)
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert "Phường Đức Xuân" in _flat(_text(got.content))
    book = reported.client("chuongtrinh").get(url.replace("pdf", "xlsx"))
    assert book.status_code == 200 and book.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "Chỉ tiêu" in load_workbook(io.BytesIO(book.content)).sheetnames
    assert reported.client("lanhdao").get(url.replace("province=19", "province=99")).status_code == 404


def test_the_cli_writes_a_report_of_an_empty_database(cli, cli_env, tmp_path):
    assert cli("db", "upgrade", "--admin", "admin").exit_code == 0
    out = tmp_path / "r.pdf"
    result = cli("report", "annual", "--province", "19", "--year", "2025", "--out", out, "--as", "admin")
    assert result.exit_code == 0, result.output + result.stderr
    flat = _flat(_text(out.read_bytes()))
    assert "Chưa có số liệu DTI quốc gia cho tỉnh." in flat
    assert "Chưa có kết quả xếp hạng nào đến năm 2025 được công bố." in flat
    assert "Chưa có dữ liệu" in flat  # every target's status without figures
    book = tmp_path / "r.xlsx"
    assert cli("report", "annual", "--province", "19", "--year", "2025", "--out", book, "--as", "admin").exit_code == 0
    assert "Chỉ tiêu" in load_workbook(book).sheetnames
