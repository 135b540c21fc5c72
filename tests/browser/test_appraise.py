"""The appraisal workspace in real Chromium: an appraiser filters the queue, opens evidence inside the page,
returns an item of one unit with a comment and approves another, each decision without a page load; the
officer then reads the comment on the declaration page, fixes the item and submits again."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy.orm import Session
from tests import factories as f
from tests.browser.conftest import PDF, Journey, Seed, serving, with_accounts

from chiso.collection import service as collection
from chiso.collection.evidence import FileStore
from chiso.collection.schemas import DeclarationIn, EvidenceIn

COMMENT = "Cần bổ sung minh chứng: biên bản diễn tập có chữ ký"


def png(width: int = 40, height: int = 20) -> bytes:
    """A real (grey) PNG image, so that the browser can draw it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def two_units_submitted(folder: Path) -> Seed:
    """Both communes submitted; Đức Xuân's drill report is a picture, its broadband report a PDF."""

    def seed(s: Session) -> None:
        people = with_accounts(s)
        f.open_period(s, people["admin"])
        files = FileStore(folder / "evidence", 1_000_000)
        (folder / "bien-ban.png").write_bytes(png())
        (folder / "bao-cao.pdf").write_bytes(PDF)
        attached = {"c3_5": ("22/KH-UBND", "bien-ban.png"), "c1_1": ("15/BC-UBND", "bao-cao.pdf")}
        for item in f.DECLARATIONS:
            number, name = attached.get(item.indicator, ("5/QĐ-UBND", ""))
            evidence = EvidenceIn(
                doc_number=number, summary=f"Báo cáo {item.indicator}", file=folder / name if name else None
            )
            collection.declare(
                session=s,
                period_code=f.PERIOD,
                unit_code=f.COMMUNE,
                item_in=DeclarationIn(**{**item.model_dump(), "evidence": (evidence,)}),
                actor=people["officer"],
                files=files,
            )
        collection.submit(session=s, period_code=f.PERIOD, unit_code=f.COMMUNE, actor=people["officer"])
        f.declare_all(s, people["other"], f.DECLARATIONS[:1], unit=f.OTHER)
        collection.submit(session=s, period_code=f.PERIOD, unit_code=f.OTHER, actor=people["other"])

    return seed


def settle(browser) -> WebDriverWait:  # type: ignore[no-untyped-def]
    """A wait through the moments when the script swaps the parts of the page (elements go stale)."""
    return WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,))


def marked(browser) -> bool:  # type: ignore[no-untyped-def]
    """Whether the page is still the one marked: a full page load forgets the mark."""
    return bool(browser.execute_script("return window.chisoMark === 42"))


def press(browser, element) -> None:  # type: ignore[no-untyped-def]
    """Click as a person does: with the element in the middle of the screen."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def wait_message(browser, text: str) -> None:  # type: ignore[no-untyped-def]
    settle(browser).until(lambda b: b.find_element(By.ID, "message").text == text)


def test_an_appraiser_returns_one_unit_and_approves_another_without_page_loads(tmp_path: Path, browser):
    with serving(tmp_path, two_units_submitted(tmp_path)) as base:
        j = Journey(browser, base, tmp_path)
        j.login("thamdinh")
        j.go("/appraise")
        queue = browser.find_element(By.ID, "queue").text
        assert "Phường Đức Xuân" in queue and "Phường Bắc Kạn" in queue and "2025/commune-2025" not in j.text()
        browser.find_element(By.NAME, "q").send_keys("duc xuan")  # accents optional
        j.click(browser.find_element(By.ID, "filter"))
        queue = browser.find_element(By.ID, "queue").text
        assert "Phường Đức Xuân" in queue and "Phường Bắc Kạn" not in queue
        j.click(browser.find_element(By.LINK_TEXT, "Phường Đức Xuân"))
        browser.execute_script("window.chisoMark = 42")

        # Evidence opens inside the page: the PDF framed from Chiso itself, the picture drawn.
        broadband = browser.find_element(By.ID, "item-c1_1")
        frame = broadband.find_element(By.CSS_SELECTOR, "details.preview iframe")
        loaded = browser.execute_async_script(
            "const [frame, done] = arguments; frame.addEventListener('load', () => done(true));"
            "frame.closest('details').querySelector('summary').click(); setTimeout(() => done(false), 8000)",
            frame,
        )
        assert loaded and frame.is_displayed()
        answer = browser.execute_async_script(
            "const done = arguments[1]; fetch(arguments[0].src).then(r => done("
            "[r.status, r.headers.get('content-type'), r.headers.get('content-disposition')]))",
            frame,
        )
        assert answer[0] == 200 and answer[1] == "application/pdf" and answer[2].startswith("inline")
        assert "15/BC-UBND" in broadband.text and "bao-cao.pdf" in broadband.text
        press(browser, broadband.find_element(By.CSS_SELECTOR, "details.preview summary"))  # closed again
        drill = browser.find_element(By.ID, "item-c3_5")
        press(browser, drill.find_element(By.CSS_SELECTOR, "details.preview summary"))
        picture = drill.find_element(By.CSS_SELECTOR, "details.preview img")
        settle(browser).until(lambda b: b.execute_script("return arguments[0].naturalWidth", picture) == 40)

        # Returning without a comment is refused next to the item, in Vietnamese; with one, it is returned.
        press(browser, drill.find_element(By.CSS_SELECTOR, "button[value=return]"))
        settle(browser).until(
            lambda b: "Trả lại cần ý kiến" in b.find_element(By.CSS_SELECTOR, "#item-c3_5 .field-error").text
        )
        comment = browser.find_element(By.CSS_SELECTOR, "#item-c3_5 textarea[name=comment]")
        active = browser.switch_to.active_element
        assert active == comment, active.get_attribute("outerHTML")[:300]  # focus waits for the comment
        comment.send_keys(COMMENT)
        press(browser, browser.find_element(By.CSS_SELECTOR, "#item-c3_5 button[value=return]"))
        wait_message(browser, "Đã trả lại.")
        assert "Bị trả lại" in browser.find_element(By.CSS_SELECTOR, "#item-c3_5 .badge.state").text
        assert browser.find_element(By.ID, "unit-state").text == "Bị trả lại"
        focused = browser.switch_to.active_element
        assert focused.get_attribute("name") == "score"  # on to the next item waiting for a decision
        assert marked(browser), "the page was loaded again"

        # The next unit: accepted from the keyboard, then all the rest at once, then approved.
        j.click(browser.find_element(By.ID, "next-unit"))
        assert "Phường Bắc Kạn" in browser.find_element(By.TAG_NAME, "h1").text
        browser.execute_script("window.chisoMark = 42")
        first = browser.find_element(By.CSS_SELECTOR, '.appraise-item[data-waiting="yes"]')
        first_id = first.get_attribute("id")
        first.find_element(By.CSS_SELECTOR, "button[value=accept]").send_keys(Keys.ENTER)
        wait_message(browser, "Đã chấp nhận.")
        assert "Đã chấp nhận" in browser.find_element(By.CSS_SELECTOR, f"#{first_id} .badge.state").text
        after = browser.switch_to.active_element
        assert after.get_attribute("name") == "score" and first_id not in after.get_attribute("aria-describedby")
        assert not browser.find_element(By.ID, "approve").is_enabled()
        press(browser, browser.find_element(By.CSS_SELECTOR, "input.select-all[data-form=bulk]"))
        press(browser, browser.find_element(By.ID, "bulk-accept"))
        settle(browser).until(lambda b: b.find_element(By.ID, "approve").is_enabled())
        assert browser.find_element(By.ID, "count-waiting").text == "0"
        press(browser, browser.find_element(By.ID, "approve"))
        wait_message(browser, "Đã phê duyệt đơn vị.")
        assert browser.find_element(By.ID, "unit-state").text == "Đã phê duyệt"
        assert marked(browser), "the page was loaded again"

        # The queue shows both outcomes; the officer reads the comment on the declaration page.
        j.go("/appraise")
        queue = browser.find_element(By.ID, "queue").text
        assert "Bị trả lại" in queue and "Đã phê duyệt" in queue
        j.login("canbo.ducxuan")
        j.go("/declare")
        assert browser.find_element(By.ID, "unit-state").text == "Bị trả lại"
        item = browser.find_element(By.ID, "c3_5")
        assert f"Ý kiến thẩm định: {COMMENT}" in item.text
        # ... fixes it (a further document, with its file) and sends the unit back for appraisal.
        j.declare("c3_5", {}, "10", "31/BC-UBND", attach=True)
        j.submit()
        assert browser.find_element(By.ID, "unit-state").text == "Đã gửi lại"
