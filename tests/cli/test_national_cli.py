"""`chiso national import`: a published table changes what the national page shows; a bad file changes
nothing and lists every problem with its row and column."""

from __future__ import annotations

import re

import httpx
from openpyxl import Workbook
from tests.conftest import TEST_CLOCK
from tests.web.conftest import ASGI

from chiso.db import make_engine
from chiso.settings import Settings
from chiso.web.app import create_app

HEADER = ["STT", "Mã tỉnh", "Tỉnh", "Nhận thức số", "Thể chế số", "Hạ tầng số", "Nhân lực số",
          "An toàn thông tin mạng", "Hoạt động chính quyền số", "Hoạt động kinh tế số", "Hoạt động xã hội số",
          "DTI", "Hạng", "Chính quyền số", "Ghi chú"]  # fmt: skip
TABLE = [
    [1, "79", "TP Hồ Chí Minh", 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1, 0.9, ""],
    [2, "19", "Thái Nguyên", 1, 1, 0.8, 0.7, 0.7, 0.8, 0.7, 0.6, 0.78, 2, 0.8, ""],
    [3, "01", "Thành phố Hà Nội", 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 3, 0.7, "x"],
]


def ok(result):
    assert result.exit_code == 0, result.output + result.stderr
    return result


def csv_file(path, rows, header=HEADER):
    lines = [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")  # as Excel saves "CSV UTF-8"
    return path


def xlsx_file(path, rows, header=HEADER):
    wb = Workbook()
    ws = wb.active
    ws.append(["Kết quả Chỉ số DTI năm 2024"])  # a title above the header, as published tables have
    ws.append([])
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def page(database_url, tmp_path, url="/national/2024"):
    settings = Settings(_env_file=None, data_dir=tmp_path / "var", database_url=database_url, secret_key="k")
    engine = make_engine(database_url)
    try:
        app = create_app(settings, engine=engine, clock=TEST_CLOCK)
        with httpx.Client(transport=ASGI(app), base_url="http://t") as client:
            return client.get(url)
    finally:
        engine.dispose()


def standing(html: str) -> list[tuple[str, str, str]]:
    """(province, shown rank, DTI) per row of the ranking."""
    found = re.findall(r'<tr id="p-(\d+)"><td data-sort="(\d+)".*?class="dti"[^>]*>([\d,]+)</td>', html, re.S)
    return [(u, r, d) for u, r, d in found]


def test_an_imported_table_is_what_the_page_shows(cli, cli_env, tmp_path):
    ok(cli("db", "upgrade", "--admin", "admin"))
    assert "chiso national import" in page(cli_env, tmp_path, "/national").text  # nothing yet

    result = ok(
        cli("national", "import", csv_file(tmp_path / "dti-2024.csv", TABLE), "--year", "2024", "--as", "admin")
    )
    assert "3 tỉnh" in result.stdout and "34 tỉnh" in result.stdout  # 2024: the 34 provinces by default
    assert "Ghi chú" in result.stderr and "Chính quyền số" in result.stderr  # columns not read are reported
    shown = page(cli_env, tmp_path)
    assert shown.status_code == 200
    assert [u for u, _, _ in standing(shown.text)] == ["79", "19", "01"]
    assert standing(shown.text)[1] == ("19", "2", "0,7800")
    assert "badge recomputed" not in shown.text  # every rank is the published one

    # The Ministry's corrected table, as XLSX: Thái Nguyên first now.
    better = [row[:] for row in TABLE]
    better[1][3:13] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    better[0][12], better[1][12] = 2, 1
    ok(cli("national", "import", xlsx_file(tmp_path / "dti-2024.xlsx", better), "--year", "2024", "--as", "admin"))
    assert standing(page(cli_env, tmp_path).text)[0] == ("19", "1", "1,0000")
    ranking = ok(cli("national", "ranking", "--year", "2024", "--as", "admin")).stdout
    assert re.search(r"1\s+công bố\s+19\s+Tỉnh Thái Nguyên\s+1\.0000", ranking)

    # The same table on the 63 provinces of 2024 (era 2024), by name only.
    by_name = [[row[0], *row[2:]] for row in TABLE]
    header = [HEADER[0], *HEADER[2:]]
    ok(cli("national", "import", csv_file(tmp_path / "63.csv", by_name, header), "--year", "2024", "--era", "2024",
           "--as", "admin"))  # fmt: skip
    assert [u for u, _, _ in standing(page(cli_env, tmp_path, "/national/2024?era=2024").text)] == ["79", "19", "01"]


def test_a_bad_table_changes_nothing_and_says_where(cli, cli_env, tmp_path):
    ok(cli("db", "upgrade", "--admin", "admin"))
    ok(cli("national", "import", csv_file(tmp_path / "good.csv", TABLE[:1]), "--year", "2024", "--as", "admin"))
    before = standing(page(cli_env, tmp_path).text)
    bad = [row[:] for row in TABLE]
    bad[0][5] = "cao"  # not a number
    bad[1][1] = "99"  # no such province
    bad[2][6] = 1.5  # outside 0–1
    bad[2][12] = 40  # rank beyond 34
    bad.append([4, "19", "Thái Nguyên", *TABLE[1][3:]])  # Thái Nguyên again
    result = cli("national", "import", csv_file(tmp_path / "bad.csv", bad), "--year", "2024", "--as", "admin")
    assert result.exit_code == 2, result.output
    errors = result.stderr
    assert "nothing was changed" in errors
    assert "bad.csv, row 2, Hạ tầng số: «cao» không phải số" in errors
    assert "row 3, Mã tỉnh: «99» không phải mã tỉnh của giai đoạn 2025 (34 tỉnh)" in errors
    assert "row 4, Nhân lực số: 1,5 ngoài khoảng 0–1" in errors
    assert "row 4, Hạng: hạng phải là số nguyên từ 1 đến 34" in errors
    assert standing(page(cli_env, tmp_path).text) == before  # the good rows of the bad file were not kept

    missing = csv_file(tmp_path / "missing.csv", [r[:5] for r in TABLE], HEADER[:5])
    result = cli("national", "import", missing, "--year", "2024", "--as", "admin")
    assert result.exit_code == 2 and "thiếu chỉ số chính năm 2024: Hạ tầng số" in result.stderr
    nameless = csv_file(tmp_path / "nameless.csv", [r[3:] for r in TABLE], HEADER[3:])
    result = cli("national", "import", nameless, "--year", "2024", "--as", "admin")
    assert result.exit_code == 2 and "thiếu cột «Mã tỉnh» hoặc «Tỉnh»" in result.stderr
    twice = csv_file(tmp_path / "twice.csv", [[*TABLE[0], "80"]], [*HEADER, "Mã tỉnh"])
    assert "column given twice" in cli("national", "import", twice, "--year", "2024", "--as", "admin").stderr
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(",".join(HEADER).encode("cp1258", errors="replace") + b"\n")
    assert "UTF-8" in cli("national", "import", latin1, "--year", "2024", "--as", "admin").stderr
    future = cli(
        "national", "import", tmp_path / "good.csv", "--year", str(TEST_CLOCK.today().year + 1), "--as", "admin"
    )
    assert future.exit_code == 2 and "ngoài khoảng 2020" in future.stderr
    refused = cli("national", "import", tmp_path / "good.csv", "--year", "2024", "--as", "nobody")
    assert refused.exit_code == 2
    assert standing(page(cli_env, tmp_path).text) == before
