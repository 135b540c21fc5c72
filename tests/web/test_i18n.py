"""Vietnamese first, English through the catalog: every text of the pages has its English."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from babel.messages.pofile import read_po

from chiso.web.i18n import Formats

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
assert spec and spec.loader
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)


def test_the_catalog_has_every_text_in_english():
    with tool.PO.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    translated = {m.id: m.string for m in catalog if m.id}
    texts = tool.extract()
    missing = [t for t in texts if not translated.get(t)]
    assert not missing, f"run tools/i18n.py and translate: {missing}"
    unused = sorted(set(translated) - set(texts))
    assert not unused, f"run tools/i18n.py: unused messages {unused}"


def test_vietnamese_number_and_date_formats():
    import datetime as dt

    vi, en = Formats("vi"), Formats("en")
    assert vi.num(0.80023, 4) == "0,8002" and vi.pct(0.3487) == "34,87 %" and vi.num(1234.5) == "1.234,50"
    assert en.num(0.80023, 4) == "0.8002" and en.pct(0.3487) == "34.87%"
    assert vi.date(dt.date(2025, 12, 31)) == "31/12/2025"


def test_pages_switch_to_english(published):
    client = published.client()
    page = client.get("/?lang=en")
    assert page.status_code == 200 and "Ranking" in page.text and "Xếp hạng" not in page.text
    assert page.headers["content-language"] == "en"
    again = client.get("/")  # the choice is kept in a cookie
    assert "Ranking" in again.text
    assert "Xếp hạng" in client.get("/?lang=vi").text
