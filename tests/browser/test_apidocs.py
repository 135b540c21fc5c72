"""The API documentation renders in Chromium from the app's own files: no request leaves the machine,
the CSP refuses nothing, and the page knows the bearer-token scheme (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from tests.browser.conftest import chromium, serving, with_accounts


def test_the_api_docs_render_offline(tmp_path: Path):
    with serving(tmp_path, with_accounts) as base:
        driver = chromium(tmp_path / "profile", 1280, 1000, logs=True)
        try:
            driver.get(f"{base}/api/v1/docs")
            WebDriverWait(driver, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) > 10)
            assert "Chiso API" in driver.find_element(By.CSS_SELECTOR, ".info .title").text
            assert driver.find_elements(By.CSS_SELECTOR, "button.authorize"), "no Authorize button: no scheme"
            requested = [
                json.loads(entry["message"])["message"]["params"]["request"]["url"]
                for entry in driver.get_log("performance")
                if json.loads(entry["message"])["message"]["method"] == "Network.requestWillBeSent"
            ]
            assert requested, "no request seen"
            # chrome:// pages are the browser's own (its new tab), not the network.
            network = [u for u in requested if u.startswith(("http:", "https:", "ws:", "wss:"))]
            assert f"{base}/api/v1/openapi.json" in network
            outside = [u for u in network if not u.startswith(base + "/")]
            assert outside == [], f"requests leaving the machine: {outside}"
            refused = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            assert refused == [], refused
        finally:
            driver.quit()
