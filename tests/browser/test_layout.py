"""A 360 × 740 phone screen: the pages fit its width (tables scroll inside their box) and show their content."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy.orm import Session
from tests import factories as f
from tests.browser.conftest import Journey, Seed, chromium, serving, with_accounts

from chiso.collection import service as collection

WIDTH, HEIGHT = 360, 740


def published(folder: Path) -> Seed:
    """Published results; COMMUNE's c4_4 measured from source records (its lineage on the profile)."""
    measured = f.measure_dossiers(folder)

    def seed(s: Session) -> None:
        people = with_accounts(s)
        f.open_period(s, people["admin"])
        f.record_measured(s, people["admin"], measured)
        f.results_for(s, people)

    return seed


def collecting(s: Session) -> None:
    """The officer of COMMUNE has a draft; OTHER submitted an item, waiting for the appraiser."""
    people = with_accounts(s)
    f.open_period(s, people["admin"])
    f.declare_all(s, people["officer"], f.DECLARATIONS[:2])
    f.declare_all(s, people["other"], f.DECLARATIONS[:1], unit=f.OTHER)
    collection.submit(session=s, period_code=f.PERIOD, unit_code=f.OTHER, actor=people["other"])


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    driver = chromium(tmp_path / "chromium-profile", 500, HEIGHT)
    # Chromium's windows are at least 500 px wide: the viewport is narrowed through the DevTools protocol.
    metrics = {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        yield driver
    finally:
        driver.quit()


def assert_fits(driver: webdriver.Chrome, page: str, *visible: str) -> None:
    """No horizontal scroll of the page itself, and the navigation and `visible` shown on the first screen."""
    inner, client, scroll = driver.execute_script(
        "const d = document.documentElement; return [window.innerWidth, d.clientWidth, d.scrollWidth]"
    )
    assert inner == WIDTH, f"the window is {inner} px wide, not {WIDTH}"
    # clientWidth is the window less its vertical scroll bar: what the page may fill without scrolling sideways.
    assert scroll <= client <= inner, f"{page}: the page is {scroll} px wide in {client} px ({wide(driver)})"
    for selector in ("header.top nav", *visible):
        element = driver.find_element(By.CSS_SELECTOR, selector)
        assert element.is_displayed(), f"{page}: {selector} is not shown"
        box = element.rect
        assert box["x"] >= 0 and box["x"] + min(box["width"], 1) <= inner, f"{page}: {selector} is off screen: {box}"
    nav = driver.find_elements(By.CSS_SELECTOR, "header.top nav a")
    assert nav and all(a.is_displayed() for a in nav), f"{page}: a navigation link is hidden"


def wide(driver: webdriver.Chrome) -> str:
    """The elements that reach past the window's right edge, outside a scrolling box (for the message)."""
    found = driver.execute_script(
        """
        const out = [], w = window.innerWidth;
        const clipped = el => {
          for (let p = el.parentElement; p; p = p.parentElement) {
            if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true;
          }
          return false;
        };
        for (const el of document.body.querySelectorAll('*')) {
          const r = el.getBoundingClientRect();
          if (r.right > w + 0.5 && !clipped(el)) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
            + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '')
            + ' ' + Math.round(r.right));
        }
        return out.slice(0, 8).join(', ');
        """
    )
    return str(found)


def test_overview_and_unit_profile_fit_a_phone(tmp_path: Path, phone):
    with serving(tmp_path, published(tmp_path)) as base:
        j = Journey(phone, base, tmp_path)
        j.go("/")
        assert_fits(phone, "overview", "#ranking")
        assert "Phường Đức Xuân" in phone.find_element(By.ID, "ranking").text
        j.go(f"/units/{f.COMMUNE}")
        assert_fits(phone, "unit profile", "#index-value", "#items")
        assert "Đo tự động" in phone.find_element(By.ID, "items").text
        phone.execute_script("for (const d of document.querySelectorAll('details')) d.open = true")
        assert_fits(phone, "unit profile, lineage open", "#items", "#lineage-c4_4 dl")


def test_declaration_and_appraisal_fit_a_phone(tmp_path: Path, phone):
    with serving(tmp_path, collecting) as base:
        j = Journey(phone, base, tmp_path)
        j.login("canbo.ducxuan")
        j.go("/declare")
        assert_fits(phone, "declaration", "#c1_1", "#submit-all")
        phone.execute_script("document.getElementById('c1_1').open = true")
        assert_fits(phone, "declaration, an item open", "#c1_1 form")
        j.login("thamdinh")
        j.go("/appraise")
        assert_fits(phone, "appraisal queue", "#filters", f"#unit-{f.OTHER}")
        j.go(f"/appraise/unit?period={quote(f.PERIOD, safe='')}&unit={f.OTHER}")
        assert_fits(phone, "appraisal of one unit", "#unit-summary", "#item-c1_1", "#item-c1_1 form")
