"""`chiso report annual` with bad input: a clear error, Vietnamese first, and no file written."""

from __future__ import annotations


def _refused(result, text: str) -> None:
    assert result.exit_code == 2, result.output + result.stderr
    assert text in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_bad_requests_for_the_annual_report_are_refused_plainly(cli, cli_env, tmp_path):
    assert cli("db", "upgrade", "--admin", "admin").exit_code == 0
    args = ("report", "annual", "--year", "2025", "--as", "admin")
    _refused(cli(*args, "--province", "19", "--out", tmp_path / "r.docx"), "tệp ra phải là .pdf hoặc .xlsx")
    _refused(cli(*args, "--province", "99", "--out", tmp_path / "r.pdf"), "không có tỉnh '99'")
    _refused(cli(*args, "--province", "01840", "--out", tmp_path / "r.pdf"), "không phải tỉnh, thành phố")
    _refused(cli(*args, "--province", "19", "--out", tmp_path / "no" / "r.pdf"), "không ghi được tệp")
    assert not list(tmp_path.glob("r.*"))
    # a unit's officer may not read the province's report
    made = cli("users", "create", "canbo", "--role", "officer", "--unit", "01840", "--no-password", "--as", "admin")
    assert made.exit_code == 0, made.output + made.stderr
    officer = ("report", "annual", "--year", "2025", "--province", "19", "--as", "canbo")
    _refused(cli(*officer, "--out", tmp_path / "r.pdf"), "report.view")
    assert not list(tmp_path.glob("r.*"))
