"""`chiso users template | import | reset`: accounts in bulk, all or nothing, and password resets."""

from __future__ import annotations

import csv

import pytest
from argon2 import PasswordHasher
from openpyxl import load_workbook
from sqlalchemy import select

from chiso.accounts import service as accounts
from chiso.audit.models import AuditEntry
from chiso.db import make_engine, transaction


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def audit(url: str, action: str) -> list[AuditEntry]:
    engine = make_engine(url)
    try:
        with transaction(engine) as s:
            return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())
    finally:
        engine.dispose()


def test_import_template_and_reset_from_the_cli(cli, cli_env, tmp_path):
    assert cli("db", "upgrade", "--admin", "admin").exit_code == 0
    template = tmp_path / "mau.xlsx"
    made = cli("users", "template", "--out", template, "--province", "19")
    assert made.exit_code == 0, made.stderr
    wb = load_workbook(template)
    assert [c.value for c in wb["Tài khoản"][1]] == ["Tên đăng nhập", "Họ tên", "Thư điện tử", "Vai trò", "Đơn vị"]
    units = {row[0].value: row[1].value for row in wb["Đơn vị"].iter_rows(min_row=2)}
    assert units["01840"] == "Phường Đức Xuân" and units["19-SKHCN"] == "Sở Khoa học và Công nghệ"

    sheet = wb["Tài khoản"]
    sheet.delete_rows(2)
    sheet.append(["canbo.ducxuan", "Nguyễn Văn A", "nva@thainguyen.gov.vn", "Cán bộ đơn vị", "01840"])
    sheet.append(["lanhdao", "", "", "Lãnh đạo", ""])  # not a role
    wb.save(template)
    refused = cli("users", "import", template, "--as", "admin")
    assert refused.exit_code == 2
    assert "Dòng 3, cột «Vai trò»: Vai trò không có: Lãnh đạo." in refused.stderr
    assert "Row 3, column «Vai trò»: Unknown role(s): Lãnh đạo." in refused.stderr
    assert "canbo.ducxuan" not in cli("users", "list", "--as", "admin").stdout  # nothing was created

    sheet.delete_rows(3)
    sheet.append(["lanhdao", "", "", "Xem", ""])
    wb.save(template)
    out = tmp_path / "mat-khau.csv"
    done = cli("users", "import", template, "--out", out, "--as", "admin")
    assert done.exit_code == 0, done.stderr
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["tài khoản"], r["vai trò"], r["đơn vị"]) for r in rows] == [
        ("canbo.ducxuan", "Cán bộ đơn vị", "Phường Đức Xuân"),
        ("lanhdao", "Xem", ""),
    ]
    listed = cli("users", "list", "--as", "admin").stdout
    assert "Cán bộ đơn vị" in listed and "officer" not in listed
    assert audit(cli_env, "account.import")[0].after["accounts"] == ["canbo.ducxuan", "lanhdao"]

    again = cli("users", "import", template, "--as", "admin")  # the same file twice: refused whole
    assert again.exit_code == 2 and "Tài khoản «canbo.ducxuan» đã có." in again.stderr

    reset = cli("users", "reset", "lanhdao", "--as", "admin")
    assert reset.exit_code == 0, reset.stderr
    temporary = reset.stdout.splitlines()[0]
    assert temporary not in [r["mật khẩu tạm thời"] for r in rows]
    assert audit(cli_env, "account.password-reset")[0].entity_key == "lanhdao"
    refused = cli("users", "reset", "lanhdao", "--as", "canbo.ducxuan")
    assert refused.exit_code == 2 and "account.manage" in refused.stderr
