"""No file paths from the web, and imported evidence files only from the imported file's folder (issue 11, item 7)."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import func, select
from tests.conftest import TODAY
from tests.factories import COMMUNE, PERIOD, open_period, people
from tests.web.conftest import post_form

from chiso.collection import exchange, workbook
from chiso.collection.evidence import FileStore
from chiso.collection.models import CollectionPeriod
from chiso.framework import dump_framework, load_framework
from chiso.values.models import Value

SECRET = "HUNTER2-do-not-show"
WHEN = {"province": "19", "year": str(TODAY.year), "closes_on": str(TODAY + dt.timedelta(days=30))}


def _periods(site) -> int:
    with site.session() as s:
        return s.scalar(select(func.count()).select_from(CollectionPeriod)) or 0


@pytest.mark.parametrize("kind", ["config", "framework"])
def test_period_open_refuses_a_server_path(site, tmp_path, kind):
    """A server file is never read: neither a config file (its lines shown) nor a valid framework YAML."""
    if kind == "config":
        path = tmp_path / "settings.yaml"
        path.write_text(f"database:\n  password: {SECRET}\n  : [unclosed\n", encoding="utf-8")
    else:
        document = yaml.safe_load(dump_framework(load_framework("commune-2025")))
        document["code"] = "rogue-2025"
        path = tmp_path / "rogue-2025.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    client = site.client("chuongtrinh")
    before = _periods(site)
    data = {"framework": str(path), **WHEN}
    response = post_form(client, "/admin/periods/open", data, "/admin")
    assert response.status_code in (400, 404, 422), response.status_code
    assert SECRET not in response.text
    assert "commune-2025" in response.text  # the error lists the frameworks one may choose
    assert _periods(site) == before


def test_period_open_with_a_shipped_code_still_works(site):
    client = site.client("chuongtrinh")
    data = {"framework": "commune-2025", **WHEN}
    response = post_form(client, "/admin/periods/open", data, "/admin")
    assert response.status_code == 303, response.text[:800]


# --- the import's `files` column ----------------------------------------------------------------------


@pytest.fixture
def setup(db_session, tmp_path):
    p = people(db_session)
    open_period(db_session, p["admin"])
    return db_session, p, FileStore(tmp_path / "evidence", 1_000_000)


def _import_with_files(s, p, files, folder, names: str):
    path = folder / "ke-khai.xlsx"
    exchange.template(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"], path=path)
    wb = load_workbook(path)
    ws = wb[workbook.SHEET]
    ws[f"{workbook.COLUMN['evidence']}3"] = "1/BC – 01/10/2025 – Báo cáo"
    ws[f"{workbook.COLUMN['files']}3"] = names
    ws[f"{workbook.COLUMN['value1']}3"] = 10
    ws[f"{workbook.COLUMN['value2']}3"] = 20
    wb.save(path)
    wb.close()
    return exchange.import_file(
        session=s, path=path, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"], files=files
    )


PDF = b"%PDF-1.4\n" + b"0" * 2000


@pytest.mark.parametrize("how", ["absolute", "parent", "symlink"])
def test_import_files_only_from_the_imported_files_folder(setup, tmp_path, how):
    s, p, files = setup
    folder = tmp_path / "nop"
    folder.mkdir()
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(PDF)
    if how == "absolute":
        name = str(outside)
    elif how == "parent":
        name = "../outside.pdf"
    else:
        (folder / "link.pdf").symlink_to(outside)
        name = "link.pdf"
    with pytest.raises(exchange.ImportRefused) as caught:
        _import_with_files(s, p, files, folder, name)
    text = str(caught.value)
    assert "row 3" in text and "thư mục" in text and "folder" in text, text
    assert s.scalar(select(func.count()).select_from(Value)) == 0
    assert not files.folder.exists() or not any(files.folder.rglob("*"))


def test_import_files_in_the_folder_and_below_are_read(setup, tmp_path):
    s, p, files = setup
    folder = tmp_path / "nop"
    (folder / "scans").mkdir(parents=True)
    (folder / "scans" / "bc.pdf").write_bytes(PDF)
    report = _import_with_files(s, p, files, folder, "scans/bc.pdf")
    assert report.changed
