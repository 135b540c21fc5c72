"""The main journey in real Chromium (headless): declare, return, fix, accept, compute, publish, see."""

from __future__ import annotations

from urllib.parse import quote

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from tests import factories as f
from tests.browser.conftest import Journey


def test_declare_appraise_publish_and_see(server, browser, tmp_path):
    j = Journey(browser, server, tmp_path)
    # Before publication the public sees no results.
    j.go("/")
    assert "Chưa có kết quả nào được công bố" in j.text()

    # An officer logs in, fills three indicators with evidence and submits.
    j.login("canbo.ducxuan")
    j.go("/declare")
    j.declare("c1_1", {"fixed_broadband_users_gigabit": "120", "fixed_broadband_users": "400"}, "3", "15/BC-UBND", True)
    j.declare("c3_5", {"cyber_drill": "1"}, "10", "22/KH-UBND", True)
    j.declare("c2_1", {"dx_officer_level": "2"}, "30", "5/QĐ-UBND", False)
    j.submit()
    assert browser.find_element(By.ID, "unit-state").text == "Đã gửi"

    # The appraiser returns one item with a comment and accepts the rest in bulk.
    j.login("thamdinh")
    j.go("/appraise")
    j.click(browser.find_element(By.LINK_TEXT, "Phường Đức Xuân"))
    row = browser.find_element(By.ID, "item-c3_5")
    row.find_element(By.NAME, "comment").send_keys("Cần bổ sung minh chứng: biên bản diễn tập")
    row.find_element(By.CSS_SELECTOR, "button[value=return]").click()  # sent by the page's script: no page load
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.find_element(By.ID, "message").text == "Đã trả lại."
    )
    browser.find_element(By.CSS_SELECTOR, "input.select-all[data-form=bulk]").click()
    browser.find_element(By.ID, "bulk-accept").click()
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.find_element(By.ID, "message").text == "Đã chấp nhận."
    )

    # The officer sees the comment, fixes the item and submits again.
    j.login("canbo.ducxuan")
    j.go("/declare")
    assert browser.find_element(By.ID, "unit-state").text == "Bị trả lại"
    assert "biên bản diễn tập" in browser.find_element(By.ID, "c3_5").text
    j.declare("c3_5", {"cyber_drill": "1"}, "10", "30/BB-UBND", True)
    j.submit()
    assert browser.find_element(By.ID, "unit-state").text == "Đã gửi lại"

    # The appraiser accepts it and approves the unit.
    j.login("thamdinh")
    j.go(f"/appraise/unit?period={quote(f.PERIOD, safe='')}&unit={f.COMMUNE}")
    browser.find_element(By.ID, "item-c3_5").find_element(By.CSS_SELECTOR, "button[value=accept]").click()
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.find_element(By.ID, "approve").is_enabled()
    )
    browser.find_element(By.ID, "approve").click()
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.find_element(By.ID, "message").text == "Đã phê duyệt đơn vị."
    )

    # An administrator computes; the public still sees nothing; the administrator publishes.
    j.login("admin")
    j.go("/admin")
    j.click(browser.find_element(By.CSS_SELECTOR, "button.compute"))
    assert "Đã tính kết quả." in j.text()
    browser.delete_all_cookies()
    j.go("/")
    assert "Chưa có kết quả nào được công bố" in j.text()
    j.login("admin")
    j.go("/admin")
    j.click(browser.find_element(By.CSS_SELECTOR, "button[id^=publish-]"))
    assert browser.find_element(By.ID, "message").text == "Đã công bố kết quả."

    # The overview and the unit profile show the new score and rank, to the public too.
    browser.delete_all_cookies()
    j.go("/")
    ranking = browser.find_element(By.ID, "ranking").text
    assert "Phường Đức Xuân" in ranking and "Đã công bố" in j.text()
    first = browser.find_element(By.CSS_SELECTOR, "#ranking tbody tr").text
    assert first.split()[0] == "1" and "Phường Đức Xuân" in first and "43,00" in first  # rank, (interval,) unit
    j.click(browser.find_element(By.LINK_TEXT, "Phường Đức Xuân"))
    assert browser.find_element(By.ID, "index-rank").text == "1"
    assert browser.find_element(By.ID, "index-value").text.startswith("43,00")
