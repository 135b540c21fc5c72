"""A commune officer declares on a 390 × 844 phone in real Chromium: typed inputs, a warning on save,
evidence, an Excel import with a bad cell (listed, nothing changed), fixed and imported, submitted."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from tests.browser.conftest import Journey, chromium

WIDTH, HEIGHT = 390, 844
TEMPLATE = """
const done = arguments[arguments.length - 1];
fetch(document.getElementById("excel-template").href, {credentials: "same-origin"})
  .then(r => r.arrayBuffer())
  .then(b => done(btoa(String.fromCharCode(...new Uint8Array(b)))));
"""


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    driver = chromium(tmp_path / "chromium-profile", 500, HEIGHT)
    # Chromium's windows are at least 500 px wide: the viewport is narrowed through the DevTools protocol.
    metrics = {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    driver.set_script_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def fits(driver: webdriver.Chrome) -> None:
    inner, client, scroll = driver.execute_script(
        "const d = document.documentElement; return [window.innerWidth, d.clientWidth, d.scrollWidth]"
    )
    assert inner == WIDTH and scroll <= client, f"the page is {scroll} px wide in {client} px"


def notes(driver: webdriver.Chrome, indicator: str, column: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, f'#{indicator} .notes[data-for="{column}"]').text)


def field(driver: webdriver.Chrome, indicator: str, variable: str) -> str:
    found = driver.find_element(By.CSS_SELECTOR, f'#{indicator} [name="v:{variable}"]')
    return str(found.get_attribute("value"))


def test_an_officer_declares_on_a_phone(server, phone, tmp_path):
    j = Journey(phone, server, tmp_path)
    j.login("canbo.ducxuan")
    j.go("/declare")
    fits(phone)
    assert "0/62 mục đã điền" in phone.find_element(By.ID, "summary").text
    phone.execute_script("window.stayed = true")  # gone if the page reloads

    # Numbers with their unit; the covered population above the population: saved, with a warning beside it.
    c1_2 = phone.find_element(By.ID, "c1_2")
    phone.execute_script("arguments[0].open = true", c1_2)
    assert "Số dân trong vùng phủ sóng 5G" in c1_2.text and "người" in c1_2.text
    form = c1_2.find_element(By.TAG_NAME, "form")
    j.fill(form, "v:population_5g_covered", "9000")
    j.fill(form, "v:population", "8000")
    live = WebDriverWait(phone, 10, ignored_exceptions=[StaleElementReferenceException])
    live.until(lambda d: "lớn hơn" in notes(d, "c1_2", "population_5g_covered"))  # computed as typed
    form.find_element(By.NAME, "doc_number").send_keys("12/BC-VNPT")
    j.save("c1_2")
    assert "lớn hơn «Dân số trên địa bàn»" in notes(phone, "c1_2", "population_5g_covered")
    assert "1 lỗi chặn việc gửi" in " ".join(phone.find_element(By.ID, "summary").text.split())
    j.fill(phone.find_element(By.CSS_SELECTOR, "#c1_2 form"), "v:population", "10000")
    j.save("c1_2")
    assert notes(phone, "c1_2", "population_5g_covered") == ""
    assert phone.find_element(By.CSS_SELECTOR, "#c1_2 [data-points]").text == "9,00"

    # A switch, a self-score and an evidence file; then a level chosen by its label.
    j.declare("c3_5", {"cyber_drill": "1"}, "10", "22/KH-UBND", True)
    assert phone.find_element(By.CSS_SELECTOR, "#c3_5 a.file").text == "c3_5.pdf"
    j.declare("c2_1", {"dx_officer_level": "2"}, "30", "5/QĐ-UBND", False)
    assert phone.find_element(By.CSS_SELECTOR, "#c2_1 select option:checked").text.startswith("Có quyết định")
    assert phone.execute_script("return window.stayed") is True
    assert "3/62 mục đã điền" in phone.find_element(By.ID, "summary").text
    fits(phone)

    # Excel: the template, one bad cell: every problem listed, nothing changed.
    workbook = load_workbook(tmp_path_of(phone, tmp_path))
    sheet = workbook["Kê khai"]
    row = next(r for r in range(3, sheet.max_row + 1) if sheet[f"A{r}"].value == "c1_1")
    sheet[f"G{row}"], sheet[f"I{row}"] = "nhiều", 400
    sheet[f"L{row}"] = "15/BC-UBND – 01/10/2025 – Báo cáo thuê bao"
    bad = tmp_path / "ke-khai.xlsx"
    workbook.save(bad)
    phone.execute_script("document.getElementById('excel').open = true")
    phone.find_element(By.CSS_SELECTOR, "#excel-import input[type=file]").send_keys(str(bad))
    press(j, phone.find_element(By.CSS_SELECTOR, "#excel-import button"))
    listed = phone.find_element(By.ID, "import-problems").text
    assert "không có gì thay đổi" in listed and f"Kê khai {row} G (Số liệu 1: giá trị)" in listed
    assert field(phone, "c1_1", "fixed_broadband_users") == ""  # the good cell was not applied either
    fits(phone)
    sheet[f"G{row}"] = 120
    workbook.save(bad)
    phone.execute_script("document.getElementById('excel').open = true")
    phone.find_element(By.CSS_SELECTOR, "#excel-import input[type=file]").send_keys(str(bad))
    press(j, phone.find_element(By.CSS_SELECTOR, "#excel-import button"))
    assert not phone.find_elements(By.ID, "import-problems"), phone.find_element(By.ID, "import-problems").text
    assert "Đã nhập tệp Excel" in phone.find_element(By.ID, "message").text
    assert field(phone, "c1_1", "fixed_broadband_users") == "400"

    # Submitted after confirming; a refresh does not submit again.
    j.submit()
    assert phone.find_element(By.ID, "unit-state").text == "Đã gửi"
    assert "done=submit" in phone.current_url
    phone.refresh()
    assert phone.find_element(By.ID, "unit-state").text == "Đã gửi"
    assert not phone.find_elements(By.CSS_SELECTOR, "#alerts .error")
    fits(phone)


def press(j: Journey, button) -> None:  # type: ignore[no-untyped-def]
    """Scroll a button clear of the sticky submission bar, as a thumb would, and press it."""
    j.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    j.click(button)


def tmp_path_of(driver: webdriver.Chrome, folder: Path) -> Path:
    """The "Tải mẫu Excel" file, fetched by the page's own link with the officer's session."""
    path = folder / "mau.xlsx"
    path.write_bytes(base64.b64decode(driver.execute_async_script(TEMPLATE)))
    return path
