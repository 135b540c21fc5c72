"""The DTI declaration page in real Chromium, on a desktop and on a 390 px phone: the comparison table
fits (scrolling inside its box), names and Vietnamese numbers shown; screenshots kept for a look
(CHISO_SCREENSHOTS=folder)."""

from __future__ import annotations

import os
from pathlib import Path

from selenium.webdriver.common.by import By
from tests.browser.conftest import Journey, chromium, serving, with_accounts
from tests.browser.test_layout import HEIGHT, WIDTH, assert_fits
from tests.ministry import helpers as h

from chiso.demo import ministry as example
from chiso.ministry import service as ministry


def declared_and_published(s) -> None:
    people = with_accounts(s)
    example.load(session=s, admin=people["admin"])
    ministry.open_declaration(session=s, year=h.YEAR, opens_on=h.OPENS, closes_on=h.CLOSES, actor=people["admin"])
    h.declare_and_appraise(s, people["admin"], people["appraiser"])
    h.publish(s, people["admin"])


def _shot(driver, name: str) -> None:
    folder = os.environ.get("CHISO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / name))


def test_the_comparison_on_a_desktop_and_a_phone(tmp_path):
    with serving(tmp_path, declared_and_published) as base:
        desktop = chromium(tmp_path / "desktop", 1280, 1000)
        try:
            journey = Journey(desktop, base, tmp_path)
            journey.login("thamdinh")
            journey.go(f"/ministry/{h.YEAR}")
            row = desktop.find_element(By.CSS_SELECTOR, '#comparison tr[data-code="awareness"]').text
            assert row == "1 Nhận thức số 0,5000 0,6000 -0,1000"
            assert "ví dụ minh họa" in journey.text() and "tp1_1" not in desktop.page_source
            desktop.set_window_size(1280, 1400)
            _shot(desktop, "ministry-desktop.png")
        finally:
            desktop.quit()
        phone = chromium(tmp_path / "phone", 500, HEIGHT)
        try:
            metrics = {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False}
            phone.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            journey = Journey(phone, base, tmp_path)
            journey.login("thamdinh")
            journey.go(f"/ministry/{h.YEAR}")
            assert_fits(phone, "/ministry", "#comparison")
            _shot(phone, "ministry-phone-360.png")
        finally:
            phone.quit()
