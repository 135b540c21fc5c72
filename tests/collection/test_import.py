"""Template → filled → imported: one bad cell among hundreds changes nothing; re-import changes nothing."""

from __future__ import annotations

import csv
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from tests.factories import COMMUNE, OTHER, PERIOD, open_period, people

from chiso.audit.models import AuditEntry
from chiso.collection import exchange, workbook
from chiso.collection.evidence import FileStore
from chiso.framework import Indicator, load_framework
from chiso.framework.spec import BooleanRule, PointsRule, TiersRule
from chiso.values.models import Value

FRAMEWORK = load_framework("commune-2025")
SHARES = {"digital_economy_share", "ecommerce_retail_share"}


def figure(ind: Indicator, var: str, denominators: set[str]) -> float:
    rule = ind.scoring
    if var in SHARES:
        return 0.05
    if isinstance(rule, TiersRule):
        return 2
    if isinstance(rule, BooleanRule):
        return 1
    if isinstance(rule, PointsRule):
        return 10
    return 1000 if var in denominators else 500


def fill(path, bad: tuple[str, str] | None = None) -> int:
    """Fill every input cell of a template; returns how many cells were filled."""
    denominators = {i.scoring.denominator for i in FRAMEWORK.indicators if i.scoring.rule == "ratio"}
    denominators |= {i.denominator for i in FRAMEWORK.indicators if i.denominator}
    wb = load_workbook(path)
    ws = wb[workbook.SHEET]
    filled = 0
    for row in range(workbook.FIRST_ROW, workbook.FIRST_ROW + len(FRAMEWORK.indicators)):
        ind = FRAMEWORK.node(ws[f"A{row}"].value)
        for n, var in enumerate(ind.variables, start=1):
            ws[f"{workbook.COLUMN[f'value{n}']}{row}"] = figure(ind, var, denominators)
            filled += 1
        ws[f"{workbook.COLUMN['evidence']}{row}"] = f"{row}/BC-UBND – 01/10/2025 – Báo cáo số liệu {ind.code}"
        ws[f"{workbook.COLUMN['explanation']}{row}"] = "Số liệu năm 2025"
        filled += 2
        if bad and ind.code == bad[0]:
            ws[f"{workbook.COLUMN['value1']}{row}"] = bad[1]
    wb.save(path)
    wb.close()
    return filled


@pytest.fixture
def setup(db_session, tmp_path):
    p = people(db_session)
    open_period(db_session, p["admin"])
    return db_session, p, FileStore(tmp_path / "evidence", 1_000_000)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def run_import(s, p, files, path, unit=COMMUNE, **kw):
    return exchange.import_file(
        session=s, path=path, period_code=PERIOD, unit_code=unit, actor=p["officer"], files=files, **kw
    )


def test_one_bad_cell_among_hundreds(setup, tmp_path):
    s, p, files = setup
    path = tmp_path / "ke-khai.xlsx"
    exchange.template(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"], path=path)
    assert fill(path, bad=("c3_2", "mười hai")) >= 200
    before = (count(s, Value), count(s, AuditEntry))
    with pytest.raises(exchange.ImportRefused) as caught:
        run_import(s, p, files, path)
    errors = [x for x in caught.value.problems if x.severity == "error"]
    assert len(errors) == 1, errors
    row = workbook.FIRST_ROW + [i.code for i in FRAMEWORK.indicators].index("c3_2")
    assert (errors[0].sheet, errors[0].row, errors[0].column[:1]) == ("Kê khai", row, "G")
    assert "mười hai" in errors[0].message and f"row {row}" in str(caught.value)
    assert (count(s, Value), count(s, AuditEntry)) == before  # nothing applied

    fill(path)  # corrected
    report = run_import(s, p, files, path)
    assert len(report.changed) == 62 and count(s, Value) == len(FRAMEWORK.variables)
    after = (count(s, Value), count(s, AuditEntry))
    again = run_import(s, p, files, path)
    assert again.changed == [] and again.unchanged == 62
    assert (count(s, Value), count(s, AuditEntry)) == after

    # the template comes back filled with what was declared
    exchange.template(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"], path=path)
    assert run_import(s, p, files, path).changed == []

    # CSV and JSON exports import back to no change
    rows = exchange.export_rows(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"])
    csv_path = tmp_path / "ke-khai.csv"
    columns = list(dict.fromkeys(k for r in rows for k in r))
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    assert run_import(s, p, files, csv_path).changed == []
    json_path = tmp_path / "ke-khai.json"
    document = exchange.export_json(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"])
    json_path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert run_import(s, p, files, json_path).changed == []
    document["items"][0]["values"]["fixed_broadband_users_gigabit"] = 5000  # above its denominator (1000)
    json_path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(exchange.ImportRefused, match=r"items\[0\]\.values\.fixed_broadband_users_gigabit"):
        run_import(s, p, files, json_path)


def test_a_file_for_another_unit_is_refused(setup, tmp_path):
    s, p, files = setup
    path = tmp_path / "other.xlsx"
    exchange.template(session=s, period_code=PERIOD, unit_code=OTHER, actor=p["other"], path=path)
    with pytest.raises(exchange.ImportRefused, match="another unit"):
        run_import(s, p, files, path)


def test_a_refused_evidence_file_refuses_the_import_and_keeps_nothing(setup, tmp_path):
    s, p, files = setup
    path = tmp_path / "ke-khai.xlsx"
    exchange.template(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"], path=path)
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * 2_000_000)  # over the 1 MB limit of the fixture
    (tmp_path / "note.pdf").write_bytes(b"<html>not a pdf</html>")
    wb = load_workbook(path)
    ws = wb[workbook.SHEET]
    ws[f"{workbook.COLUMN['evidence']}3"] = "1/BC – 01/10/2025 – Báo cáo\n2/BC – 02/10/2025 – Phụ lục"
    ws[f"{workbook.COLUMN['files']}3"] = "scan.pdf; note.pdf"
    ws[f"{workbook.COLUMN['value1']}3"] = 10
    ws[f"{workbook.COLUMN['value2']}3"] = 20
    wb.save(path)
    wb.close()
    with pytest.raises(exchange.ImportRefused) as caught:
        run_import(s, p, files, path)
    text = str(caught.value)
    assert "scan.pdf: tệp quá lớn / file too large" in text and "note.pdf" in text and "not allowed" in text
    assert "row 3" in text and count(s, Value) == 0
    assert not files.folder.exists() or not any(files.folder.rglob("*"))
