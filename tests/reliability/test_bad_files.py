"""Bad files get one clear message and exit code 2, never a traceback (issue 11, item 11).

Each bad file is made here: a non-zip and an empty .xlsx, a zip that is not a workbook, a bomb (a tiny
zip whose sheet holds two million cells), a sheet with too many rows, one with a cell at XFD1048576, a
CSV with a 129 KB field (past the csv module's 128 KiB limit), a CSV that is not UTF-8, YAML nested
10,000 deep, random bytes, a NUL byte and a `!!python/object` tag. A bomb must be refused before
openpyxl reads the workbook: the tests count the workbooks handed to openpyxl instead of timing anything.
"""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest
from openpyxl.reader.excel import ExcelReader

P = "2025/commune-2025"
UNIT = "01840"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="A1:A1"/><sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"


def workbook_zip(path: Path, rows: str, sheet: str = "Kê khai") -> Path:
    """A minimal XLSX whose only sheet holds `rows` (the <row> elements), written with zipfile."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK.format(name=sheet))
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD + rows + SHEET_TAIL)
    return path


def bomb(path: Path) -> Path:
    """Two million cells (10,000 rows × 200 columns), a few hundred kilobytes on disk; the dimension lies."""
    row = "<row>" + "<c><v>1</v></c>" * 200 + "</row>"
    return workbook_zip(path, row * 10_000)


def tall(path: Path) -> Path:
    """100,000 numbered rows: not a bomb by compression, but far more rows than any form has."""
    return workbook_zip(path, "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 100_001)))


def bad_xlsx(folder: Path) -> dict[str, Path]:
    (folder / "not-zip.xlsx").write_text("STT,Nhiệm vụ\n1,Một\n", encoding="utf-8")
    (folder / "empty.xlsx").write_bytes(b"")
    with zipfile.ZipFile(folder / "zip-not-workbook.xlsx", "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    return {
        "not-zip": folder / "not-zip.xlsx",
        "empty": folder / "empty.xlsx",
        "zip-not-workbook": folder / "zip-not-workbook.xlsx",
        "bomb": bomb(folder / "bomb.xlsx"),
        "tall": tall(folder / "tall.xlsx"),
        # one cell, at the last row and column: a reader walking up to it would build 17 billion cells
        "far-cell": workbook_zip(folder / "far-cell.xlsx", '<row r="1"><c r="XFD1048576"><v>1</v></c></row>'),
    }


def bad_csv(folder: Path) -> dict[str, Path]:
    big = folder / "big-field.csv"
    big.write_text(f'unit,period,indicator,explanation\n{UNIT},{P},c1_1,"{"x" * 129 * 1024}"\n', encoding="utf-8")
    latin = folder / "utf16.csv"  # what Excel writes as "Unicode Text"
    latin.write_bytes(f"unit,period,indicator,explanation\n{UNIT},{P},c1_1,Giải trình\n".encode("utf-16"))
    return {"big-field": big, "not-utf8": latin}


@pytest.fixture
def loads(monkeypatch) -> list[str]:
    """Every workbook openpyxl starts to read; a bomb that gets this far is not loaded (the test stops it)."""
    seen: list[str] = []

    def refuse(reader: ExcelReader, *args: object, **kwargs: object) -> None:
        seen.append(str(getattr(reader.archive, "filename", "?")))
        raise RuntimeError("the test stopped openpyxl: this workbook should have been refused before loading")

    monkeypatch.setattr(ExcelReader, "read", refuse)
    return seen


def outcome(cli, *args: object) -> str:
    """'' when the command refused with exit code 2 and one message, else what went wrong instead."""
    try:
        result = cli(*args)
    except BaseException as exc:  # the `cli` fixture lets exceptions through: that is the traceback
        return f"Traceback: {type(exc).__name__}: {str(exc)[:200]}"
    text = result.stdout + result.stderr
    if "Traceback" in text:
        return "Traceback in the output"
    if result.exit_code != 2:
        return f"exit code {result.exit_code}: {text.strip()[:300]!r}"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("Lỗi / Error:") or len(lines) > 3:
        return f"not one message: {result.stderr[:300]!r}"
    return ""


def check_all(outcomes: dict[str, str]) -> None:
    wrong = {name: what for name, what in outcomes.items() if what}
    assert not wrong, "\n".join(f"{name}: {what}" for name, what in wrong.items())


def test_collect_import_refuses_bad_files(cli, cli_env, tmp_path, loads):
    assert cli("db", "upgrade", "--admin", "admin").exit_code == 0
    opened = cli(
        "period", "open", "--framework", "commune-2025", "--year", "2025", "--unit", UNIT,
        "--opens", "2025-09-01", "--closes", "2025-11-30", "--officer", f"{UNIT}=canbo", "--as", "admin",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.stderr
    files = {**bad_xlsx(tmp_path), **bad_csv(tmp_path)}
    check_all({name: outcome(cli, "collect", "import", path, "-p", P, "--as", "canbo") for name, path in files.items()})
    assert loads == []  # nothing was handed to openpyxl: every file was refused from its zip directory


def test_tasks_import_refuses_bad_workbooks(cli, cli_env, tmp_path, loads):
    assert cli("db", "upgrade", "--admin", "admin").exit_code == 0
    check_all({
        name: outcome(cli, "tasks", "import", path, "--plan", "80/KH-UBND", "--province", "19", "--as", "admin")
        for name, path in bad_xlsx(tmp_path).items()
    })  # fmt: skip
    assert loads == []


def test_score_refuses_bad_value_files(cli, tmp_path, loads):
    files = {**bad_xlsx(tmp_path), "not-utf8": bad_csv(tmp_path)["not-utf8"]}
    out = tmp_path / "out.csv"
    check_all({
        name: outcome(cli, "score", "--framework", "dti-province-2022", "--values", path, "--out", out)
        for name, path in files.items()
    })  # fmt: skip
    assert loads == []


def test_framework_validate_refuses_unreadable_yaml(cli, tmp_path):
    nested = tmp_path / "nested.yaml"
    nested.write_text("nodes: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    noise = tmp_path / "random.yaml"
    noise.write_bytes(random.Random(11).randbytes(4096))
    tagged = tmp_path / "tagged.yaml"
    tagged.write_text("schema: !!python/object/apply:os.system ['echo hi']\n", encoding="utf-8")
    nul = tmp_path / "binary.yaml"
    nul.write_bytes(b"schema: chiso/framework\n\x00\x01\x02\n")
    check_all({p.name: outcome(cli, "framework", "validate", p) for p in (nested, noise, tagged, nul)})


def test_bad_files_messages_say_what_where_and_how(cli, tmp_path):
    """One example of each kind, read in full: Vietnamese first, English second, the file, the fix."""
    files = bad_xlsx(tmp_path)
    out = tmp_path / "out.csv"
    result = cli("score", "--framework", "dti-province-2022", "--values", files["not-zip"], "--out", out)
    assert "not-zip.xlsx" in result.stderr and "XLSX" in result.stderr and "Excel" in result.stderr
    result = cli("score", "--framework", "dti-province-2022", "--values", files["tall"], "--out", out)
    assert "tall.xlsx" in result.stderr and "20.000" in result.stderr  # the limit, in Vietnamese notation
    result = cli("score", "--framework", "dti-province-2022", "--values", bad_csv(tmp_path)["not-utf8"], "--out", out)
    assert "UTF-16" in result.stderr and "CSV UTF-8" in result.stderr
    noise = tmp_path / "random.yaml"
    noise.write_bytes(random.Random(11).randbytes(4096))
    result = cli("framework", "validate", noise)
    assert "UTF-8" in result.stderr and "random.yaml" in result.stderr


def test_damaged_workbook_within_the_limits_is_one_message(cli, cli_env, tmp_path):
    """A zip that passes the survey but whose sheet XML is cut short: openpyxl's own error, reworded."""
    assert cli("db", "upgrade", "--admin", "admin").exit_code == 0
    damaged = workbook_zip(tmp_path / "damaged.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c')
    result = outcome(cli, "tasks", "import", damaged, "--plan", "80/KH-UBND", "--province", "19", "--as", "admin")
    assert result == ""
    assert outcome(cli, "score", "-f", "dti-province-2022", "-v", damaged, "-o", tmp_path / "out.csv") == ""
