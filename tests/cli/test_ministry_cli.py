"""The province's DTI declaration through the CLI, on a fresh database: the list imported (a wrong one
refused with every mismatch), the declaration opened, each lead department's template filled and
imported, the appraisal, the estimate, the workbook opened again, the published figures, the gaps."""

from __future__ import annotations

from openpyxl import load_workbook
from tests.conftest import TEST_CLOCK
from tests.ministry import helpers as h

from chiso.collection import workbook
from chiso.db import make_engine, transaction
from chiso.demo import ministry as example
from chiso.ministry import export
from chiso.ministry.components import component_code


def ok(result):
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


def test_the_declaration_from_the_cli(cli, cli_env, tmp_path):
    ok(cli("db", "upgrade", "--admin", "admin"))
    listed = tmp_path / "danh-muc.xlsx"
    ok(cli("ministry", "components", "example", "--year", "2025", "--out", listed))

    wrong = tmp_path / "danh-muc-sai.xlsx"
    wb = load_workbook(listed)
    wb.active["F2"] = 50  # 1.1: 50 points instead of 34, so awareness adds up to 116
    wb.active["H3"] = "Sở Không Có"
    wb.save(wrong)
    refused = cli("ministry", "components", "import", wrong, "--year", "2025", "--province", "19", "--as", "admin")
    assert refused.exit_code == 2 and "nothing was imported" in refused.stderr
    assert "row 3" in refused.stderr and "Sở Không Có" in refused.stderr
    assert "Nhận thức số" not in refused.stderr  # the totals are checked once every row reads
    wb["Danh mục"]["H3"] = "19-VPUBND"
    wb.save(wrong)
    refused = cli("ministry", "components", "import", wrong, "--year", "2025", "--province", "19", "--as", "admin")
    assert "Nhận thức số: tổng điểm tối đa 116, phương pháp có 100" in refused.stderr

    out = ok(cli("ministry", "components", "import", listed, "--year", "2025", "--province", "19", "--as", "admin"))
    assert "47 components led by 6 departments" in out
    leads = sorted({row["Đơn vị chủ trì"] for row in example.example_rows()})
    officers = [f"--officer={unit}=canbo.{unit.lower()}" for unit in leads]
    ok(cli("ministry", "open", "--year", "2025", "--opens", "2026-03-01", "--closes", "2026-04-30", *officers,
           "--appraiser", "thamdinh", "--as", "admin"))  # fmt: skip

    rows = {component_code(r["Mã"]): r for r in example.example_rows()}
    for unit in leads:
        officer = f"canbo.{unit.lower()}"
        template = tmp_path / f"{unit}.xlsx"
        ok(cli("collect", "template", "--period", h.PERIOD, "--unit", unit, "--out", template, "--as", officer))
        wb = load_workbook(template)
        ws = wb[workbook.SHEET]
        mine = []
        for r in range(workbook.FIRST_ROW, ws.max_row + 1):
            code = ws[f"A{r}"].value
            if not code:
                continue
            mine.append(code)
            number, top = rows[code]["Mã"], rows[code]["Điểm tối đa"]
            ws[f"{workbook.COLUMN['value1']}{r}"] = h.figure(number)
            ws[f"{workbook.COLUMN['self_score']}{r}"] = h.self_score(top, number)
            ws[f"{workbook.COLUMN['evidence']}{r}"] = f"{number}/BC-{unit} – 10/03/2026 – Báo cáo"
        wb.save(template)
        assert sorted(mine) == sorted(c for c, row in rows.items() if row["Đơn vị chủ trì"] == unit)
        ok(cli("collect", "import", template, "--period", h.PERIOD, "--unit", unit, "--submit", "--as", officer))
        for code in mine:
            number, top = rows[code]["Mã"], rows[code]["Điểm tối đa"]
            score = h.appraised(top, number)
            if score is not None:
                ok(cli("review", "accept", "--period", h.PERIOD, "--unit", unit, "--indicator", code,
                       "--score", score, "--as", "thamdinh"))  # fmt: skip
        if any(h.appraised(rows[c]["Điểm tối đa"], rows[c]["Mã"]) is None for c in mine):
            ok(cli("review", "accept", "--period", h.PERIOD, "--unit", unit, "--as", "thamdinh"))
        ok(cli("review", "approve", "--period", h.PERIOD, "--unit", unit, "--as", "thamdinh"))

    shown = ok(cli("ministry", "estimate", "--year", "2025", "--as", "thamdinh"))
    assert "ví dụ minh họa" in shown and "approved: 47" in shown and "unscored: 0" in shown
    awareness = next(line for line in shown.splitlines() if "Nhận thức số" in line).split()
    assert awareness[-3:] == ["0,5", "–", "–"]

    declared = tmp_path / "ke-khai-dti-2025.xlsx"
    ok(cli("ministry", "export", "--year", "2025", "--out", declared, "--as", "thamdinh"))
    wb = load_workbook(declared)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header == [*example.COLUMNS, *(label for _, label in export.DECLARED)]
    for r, row in enumerate(example.example_rows(), start=2):
        cells = dict(zip(header, [c.value for c in ws[r]], strict=True))
        for column in example.COLUMNS:
            want = row[column]
            assert cells[column] == (f"{want:g}" if isinstance(want, float) else want), (r, column)
        number, top = row["Mã"], row["Điểm tối đa"]
        assert cells["Giá trị kê khai"] == h.figure(number)
        assert cells["Điểm tự chấm"] == h.self_score(top, number)
        assert cells["Điểm thẩm định"] == h.appraised(top, number)
        assert cells["Trạng thái"] == "Đã phê duyệt"
        assert (
            cells["Minh chứng (số hiệu – ngày – trích yếu)"]
            == f"{number}/BC-{row['Đơn vị chủ trì']} – 10/03/2026 – Báo cáo"
        )
    wb.close()

    # the Ministry publishes: the national import records the main indicators (its own command is
    # another item; here the service it calls)
    engine = make_engine(cli_env)
    try:
        with transaction(engine, TEST_CLOCK) as session:
            from chiso.actors import service as actors

            h.publish(session, actors.get_by_user(session=session, user="admin"))
    finally:
        engine.dispose()
    shown = ok(cli("ministry", "estimate", "--year", "2025", "--as", "thamdinh"))
    awareness = next(line for line in shown.splitlines() if "Nhận thức số" in line).split()
    assert awareness[-3:] == ["0,5", "0,6", "-0,1"]
