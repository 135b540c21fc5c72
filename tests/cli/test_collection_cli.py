"""The whole workflow for a commune and its appraiser through the CLI, on a fresh database."""

from __future__ import annotations

from openpyxl import load_workbook

from chiso.collection import workbook

P = "2025/commune-2025"
UNIT = "01840"  # Phường Đức Xuân, Thái Nguyên (province 19)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def edit(path, changes: dict[str, dict[str, object]]) -> None:
    wb = load_workbook(path)
    ws = wb[workbook.SHEET]
    for row in range(workbook.FIRST_ROW, ws.max_row + 1):
        for key, value in changes.get(ws[f"A{row}"].value, {}).items():
            ws[f"{workbook.COLUMN[key]}{row}"] = value
    wb.save(path)
    wb.close()


def ok(result):
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


def refused(result, text: str) -> None:
    assert result.exit_code == 2, result.output
    assert text in result.stderr, result.stderr


def test_workflow_from_the_cli(cli, cli_env, tmp_path):
    ok(cli("db", "upgrade", "--admin", "admin"))
    out = ok(
        cli(
            "period", "open", "--framework", "commune-2025", "--year", "2025", "--unit", UNIT, "--unit", "01843",
            "--opens", "2025-09-01", "--closes", "2025-11-30", "--officer", f"{UNIT}=canbo",
            "--officer", "01843=canbo2", "--appraiser", "thamdinh", "--as", "admin",
        )
    )  # fmt: skip
    assert P in out
    template = tmp_path / "ke-khai.xlsx"
    ok(cli("collect", "template", "--period", P, "--out", template, "--as", "canbo"))
    (tmp_path / "bien-ban.pdf").write_bytes(PDF)
    edit(
        template,
        {
            "c1_1": {"value1": 120, "value2": 400, "self_score": 3, "evidence": "15/BC-VNPT – 01/10/2025 – Số liệu"},
            "c3_5": {"value1": 1, "self_score": 10, "evidence": "22/KH-UBND – 02/10/2025 – Kế hoạch diễn tập"},
            "c2_1": {"value1": 2, "evidence": "5/QĐ-UBND – 10/01/2025 – Phân công", "files": "bien-ban.pdf"},
        },
    )
    out = ok(cli("collect", "import", template, "--period", P, "--submit", "--as", "canbo"))
    assert "3 items changed" in out and "submitted" in out

    # forbidden transitions and actions are refused with a reason
    refused(cli("review", "accept", "--period", P, "--unit", UNIT, "--as", "canbo"), "may not")
    refused(cli("review", "approve", "--period", P, "--unit", UNIT, "--as", "thamdinh"), "items not accepted")
    refused(cli("collect", "import", template, "--period", P, "--unit", "01843", "--as", "canbo"), "only for unit")
    refused(cli("review", "list", "--period", P, "--as", "nobody"), "no actor 'nobody'")

    ok(
        cli(
            "review", "return", "--period", P, "--unit", UNIT, "--indicator", "c3_5",
            "--comment", "Cần bổ sung minh chứng: biên bản diễn tập", "--score", "0", "--as", "thamdinh",
        )
    )  # fmt: skip
    out = ok(cli("review", "list", "--period", P, "--state", "returned", "--as", "canbo"))
    assert "c3_5" in out and "Cần bổ sung minh chứng" in out
    refused(cli("review", "accept", "--period", P, "--unit", UNIT, "-i", "c3_5", "--as", "thamdinh"), "«returned»")

    ok(cli("collect", "template", "--period", P, "--out", template, "--as", "canbo"))
    edit(
        template,
        {
            "c3_5": {
                "evidence": "22/KH-UBND – 02/10/2025 – Kế hoạch diễn tập\n31/BB-UBND – 20/10/2025 – Biên bản diễn tập",
                "explanation": "Đã bổ sung biên bản",
            }
        },
    )
    out = ok(cli("collect", "import", template, "--period", P, "--submit", "--as", "canbo"))
    assert "1 items changed" in out
    out = ok(cli("review", "list", "--period", P, "--unit", UNIT, "--state", "resubmitted", "--as", "thamdinh"))
    assert "c3_5" in out

    ok(cli("review", "accept", "--period", P, "--unit", UNIT, "-i", "c3_5", "--score", "10", "--as", "thamdinh"))
    ok(cli("review", "accept", "--period", P, "--unit", UNIT, "--as", "thamdinh"))
    ok(cli("review", "approve", "--period", P, "--unit", UNIT, "--as", "thamdinh"))
    out = ok(cli("period", "status", P, "--today", "2025-12-01", "--as", "thamdinh"))
    assert "approved" in out and "01843" in out and "overdue items: 62" in out
    assert "Quá hạn 1 ngày / 1 day(s) past the deadline" in out
    near = ok(cli("period", "status", P, "--today", "2025-11-27", "--as", "thamdinh"))
    assert "Còn 3 ngày đến hạn / 3 day(s) to the deadline" in near

    out = ok(cli("results", "compute", "--period", P, "--as", "thamdinh"))
    assert out.count("new") == 3
    out = ok(cli("results", "compute", "--period", P, "--as", "thamdinh"))
    assert out.count("unchanged") == 3
    out = ok(cli("results", "show", "--period", P, "--as", "canbo"))
    assert "self_assessed" in out and "appraised" in out and "final" in out and UNIT in out
    refused(cli("results", "publish", "--period", P, "--as", "admin"), "1 đơn vị chưa được phê duyệt (Phường Bắc Kạn)")

    # the other commune submits nothing declared; once it is approved too, the final run is published
    empty = tmp_path / "01843.xlsx"
    ok(cli("collect", "template", "--period", P, "--out", empty, "--as", "canbo2"))
    ok(cli("collect", "import", empty, "--period", P, "--submit", "--as", "canbo2"))
    ok(cli("review", "accept", "--period", P, "--unit", "01843", "--as", "thamdinh"))
    ok(cli("review", "approve", "--period", P, "--unit", "01843", "--as", "thamdinh"))
    refused(cli("results", "publish", "--period", P, "--as", "thamdinh"), "may not")
    out = ok(cli("results", "publish", "--period", P, "--as", "admin"))
    assert "published run" in out
    out = ok(cli("results", "show", "--period", P, "--variant", "final", "--as", "canbo"))
    assert "(công bố)" in out and "43" in out  # c1_1 120 / 400 × 10 = 3, c2_1 level 2 = 30, c3_5 appraised 10

    # a published period is read-only until an administrator reopens it, with a reason
    edit(template, {"c1_1": {"value1": 130}})
    refused(cli("collect", "import", template, "--period", P, "--as", "canbo"), "«published»")
    refused(cli("period", "open", "--code", P, "--reason", "Sửa số liệu", "--as", "thamdinh"), "may not")
    ok(cli("period", "open", "--code", P, "--reason", "Sửa số liệu theo công văn 45/SKHCN", "--as", "admin"))

    ok(cli("collect", "export", "--period", P, "--out", tmp_path / "all.csv", "--as", "thamdinh"))
    assert (tmp_path / "all.csv").read_text(encoding="utf-8").count(UNIT) == 62
    ok(cli("collect", "export", "--period", P, "--out", tmp_path / "mine.json", "--as", "canbo"))
    ok(cli("collect", "import", tmp_path / "mine.json", "--period", P, "--as", "canbo"))
    refused(cli("db", "downgrade"), "--yes")
    ok(cli("db", "downgrade", "--yes"))
