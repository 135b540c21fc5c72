"""`chiso tasks …` on a fresh database: import a plan, report progress, find who is late, export."""

from __future__ import annotations

import json

from openpyxl import load_workbook
from tests.programme.test_planfile import province_form

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def ok(result):
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


def refused(result, text: str) -> None:
    assert result.exit_code == 2, result.output
    assert text in result.stderr, result.stderr


def test_tasks_from_the_cli(cli, cli_env, tmp_path):
    ok(cli("db", "upgrade", "--admin", "admin"))
    ok(
        cli(
            "period",
            "open",
            "--framework",
            "commune-2025",
            "--year",
            "2025",
            "--unit",
            "01840",
            "--opens",
            "2025-09-01",
            "--closes",
            "2025-11-30",
            "--officer",
            "01840=canbo.ducxuan",
            "--as",
            "admin",
        )
    )
    path = province_form(tmp_path / "kh.xlsx")
    refused(cli("tasks", "import", path, "--plan", "80/KH-UBND", "--as", "admin"), "--province")
    out = ok(
        cli(
            "tasks",
            "import",
            path,
            "--plan",
            "80/KH-UBND",
            "--province",
            "19",
            "--programme",
            "01/NQ-TU",
            "--today",
            "2025-10-15",
            "--as",
            "admin",
        )
    )
    assert "5 nhiệm vụ mới / created" in out
    assert "0 nhiệm vụ mới / created, 0 sửa / changed, 0 báo cáo" in ok(
        cli("tasks", "import", path, "--plan", "80/KH-UBND", "--as", "admin")
    )
    listed = json.loads(ok(cli("tasks", "list", "--unit", "01840", "--format", "json", "--as", "canbo.ducxuan")))
    assert [(t["code"], t["lead_unit"]) for t in listed] == [("1.2", "01840")]
    late = ok(cli("tasks", "overdue", "--unit", "01840", "--today", "2025-10-15", "--as", "canbo.ducxuan"))
    assert "1.2" in late and "chủ trì" in late and "Phường Đức Xuân" in late
    # the commune reports on its own task, with a document and its file; not on another unit's
    (tmp_path / "bien-ban.pdf").write_bytes(PDF)
    out = ok(
        cli(
            "tasks",
            "update",
            "1.2",
            "--progress",
            "100",
            "--note",
            "Đã thành lập tổ",
            "--evidence",
            "7/QĐ-UBND – 01/07/2024 – Quyết định thành lập tổ",
            "--file",
            tmp_path / "bien-ban.pdf",
            "--as",
            "canbo.ducxuan",
        )
    )
    assert "Hoàn thành" in out
    refused(cli("tasks", "update", "1", "--progress", "70", "--note", "x", "--as", "canbo.ducxuan"), "only for unit")
    refused(
        cli("tasks", "update", "1.2", "--status", "done", "--progress", "50", "--note", "x", "--as", "canbo.ducxuan"),
        "needs progress 100",
    )
    assert "1.2" not in ok(cli("tasks", "overdue", "--today", "2025-10-15", "--as", "admin"))
    shown = ok(cli("tasks", "show", "1.2", "--as", "canbo.ducxuan"))
    assert "Đã thành lập tổ" in shown and "7/QĐ-UBND" in shown
    csv_text = ok(cli("tasks", "list", "--overdue", "--today", "2026-01-15", "--format", "csv", "--as", "admin"))
    assert csv_text.splitlines()[0].startswith("plan,code,title") and "\n80/KH-UBND,1," in csv_text
    out_file = tmp_path / "out.xlsx"
    ok(cli("tasks", "export", "--out", out_file, "--as", "canbo.ducxuan"))
    wb = load_workbook(out_file)
    assert "Hoàn thành" in [c.value for row in wb["Nhiệm vụ"].iter_rows() for c in row]
    wb.close()
