"""A leader's journey in real Chromium: log in, land on the leader's home, see the province's rank among
the 34 and the targets at risk, follow one to the programme page, download the annual report and read it.

The data: demo-like national figures (Thái Nguyên 8th of 34 in 2024, falling among the 63 after 2022, so
that the 2030 rank target is at risk), the province's own series and the example plan, through the services.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pdfplumber
import pypdfium2
import pytest
from selenium.webdriver.common.by import By
from sqlalchemy.orm import Session
from tests import factories as f
from tests.browser.conftest import PASSWORD, Journey, serving, with_accounts
from tests.web.test_home import leaders_data

from chiso.accounts import service as accounts
from chiso.accounts.schemas import UserCreate
from chiso.clock import VIETNAM, StartedClock

FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: "same-origin"}).then(async r => {
  const bytes = new Uint8Array(await r.arrayBuffer());
  let text = ""; for (const b of bytes) text += String.fromCharCode(b);
  done([r.status, r.headers.get("content-type"), btoa(text)]);
}).catch(e => done([0, String(e), ""]));
"""


# Read on 1/12/2026, before Digital Transformation Day: the 2030 rank target's year is not over.
DECEMBER_2026 = StartedClock(dt.datetime(2026, 12, 1, 9, tzinfo=VIETNAM))


def leader_and_data(s: Session) -> None:
    people = with_accounts(s)
    user_in = UserCreate(user="lanhdao", roles=frozenset({"viewer"}), password=PASSWORD)
    accounts.create_user(session=s, user_in=user_in, actor=people["admin"])
    f.task_plan(s, people["admin"], today=DECEMBER_2026.today())
    leaders_data(s, people["admin"])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with serving(tmp_path, leader_and_data, DECEMBER_2026) as base:
        yield base


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def test_a_leader_reads_the_home_and_the_report(server, browser, tmp_path):
    try:
        journey(Journey(browser, server, tmp_path), browser)
    except Exception:
        print(f"--- the browser was at {browser.current_url}:\n{browser.find_element(By.TAG_NAME, 'body').text[:3000]}")
        raise


def journey(j: Journey, browser) -> None:
    j.login("lanhdao")
    assert browser.current_url == j.base + "/home"  # the leader's home, not the overview
    assert browser.find_element(By.ID, "rank34").text == "Hạng 8/34"
    targets = browser.find_elements(By.CSS_SELECTOR, "#target-list li")
    shown = [(t.get_attribute("data-status"), t.find_element(By.CSS_SELECTOR, "a").text) for t in targets]
    assert shown[0][0] == "at_risk"
    at_risk = targets[0]
    assert at_risk.find_element(By.CSS_SELECTOR, ".badge").text == "Có nguy cơ không đạt"
    labels = {
        t.find_element(By.CSS_SELECTOR, "a").text: t.find_element(By.CSS_SELECTOR, ".badge").text for t in targets
    }

    # The target at risk, on the programme page.
    name = shown[0][1]
    j.click(at_risk.find_element(By.CSS_SELECTOR, "a"))
    assert "/programmes/" in browser.current_url and "#target-" in browser.current_url
    card = browser.find_element(By.ID, browser.current_url.split("#")[1])
    assert card.find_element(By.TAG_NAME, "h2").text == name
    assert card.find_element(By.CSS_SELECTOR, ".badge[class*=status-]").text == "Có nguy cơ không đạt"

    # Back home, the annual report: downloaded by the browser with the leader's session.
    j.go("/home")
    link = browser.find_element(By.ID, "report-pdf").get_attribute("href")
    browser.set_script_timeout(120)
    status, media, data = browser.execute_async_script(FETCH, link)
    assert status == 200 and media == "application/pdf", (status, media)
    pdf = base64.b64decode(data)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        text = flat("\n".join(page.extract_text() or "" for page in document.pages))
    assert re.search(r"2024 34 tỉnh \(sau 1/7/2025\) 0,\d{4} 8 34 công bố", text), text[:3000]  # 8th of 34
    for target, label in labels.items():  # every target, with its status
        assert target in text, target
        assert f"Trạng thái: {label}" in text or label in text, (target, label)
    assert "Có nguy cơ không đạt" in text
    for words in ("Báo cáo chuyển đổi số", "Thái Nguyên", "Chỉ tiêu của Nghị quyết", "Sở Khoa học và Công nghệ"):
        assert words in text, words  # Vietnamese, diacritics intact
    document = pypdfium2.PdfDocument(pdf)
    try:
        assert len(document) >= 2
        for index in range(len(document)):
            pixels = np.asarray(document[index].render(scale=0.5).to_pil().convert("L"), dtype=float)
            assert pixels.std() > 5 and (pixels < 200).mean() > 0.001, f"page {index + 1} is blank"
    finally:
        document.close()


def test_pages_print_without_menus_or_forms(server, browser):
    """The print stylesheet: Chromium's print-to-PDF of the programme and the national pages keeps their
    content and drops the menu, the language switch and the forms."""
    from selenium.webdriver.common.print_page_options import PrintOptions

    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7  # A4, in centimetres
    for path, heading in (
        ("/programmes/01-nq-tu", "Chương trình chuyển đổi số tỉnh Thái Nguyên"),
        ("/national/2024", "Chỉ số DTI"),
    ):
        browser.get(server + path)
        assert heading in browser.find_element(By.TAG_NAME, "h1").text
        pdf = base64.b64decode(browser.print_page(options))
        with pdfplumber.open(io.BytesIO(pdf)) as document:
            text = flat("\n".join(page.extract_text() or "" for page in document.pages))
            assert abs(document.pages[0].width - 595) < 2 and abs(document.pages[0].height - 842) < 2  # A4
        assert heading in text
        for menu in ("Đăng nhập", "Bộ chỉ số", "English", "Dữ liệu mở"):  # the header and footer links
            assert menu not in text, (path, menu)
