"""The main journey in real Chromium (headless): declare, return, fix, accept, compute, publish, see.

Chromium and ChromeDriver are Debian's packages (`chromium`, `chromium-driver`), which
`python3 tools/dev.py setup` installs when they are missing. The app runs under uvicorn in a thread on a
free port of 127.0.0.1, on its own SQLite database.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from argon2 import PasswordHasher
from tests import factories as f

from chiso import migrations
from chiso.accounts import service as accounts
from chiso.accounts.schemas import UserCreate
from chiso.collection import review
from chiso.collection import service as collection
from chiso.db import make_engine, transaction
from chiso.settings import Settings
from chiso.web.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
PASSWORD = "mat-khau-thu"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"

if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is missing: python3 tools/dev.py setup installs chromium and chromium-driver")
    pytest.skip("Chromium is not installed (python3 tools/dev.py setup installs it)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.expected_conditions import staleness_of  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(url: str) -> None:
    engine = make_engine(url)
    try:
        migrations.upgrade(engine)
        with transaction(engine) as s:
            people = f.people(s)
            for key, actor in people.items():
                user_in = UserCreate(user=actor.user, roles=actor.roles, unit_code=actor.unit_code, password=PASSWORD)
                accounts.create_user(session=s, user_in=user_in, actor=None if key == "admin" else people["admin"])
            f.open_period(s, people["admin"])
            # The other commune is declared, submitted and approved already, so the period can be published.
            f.declare_all(s, people["other"], f.DECLARATIONS[:1], unit=f.OTHER)
            collection.submit(session=s, period_code=f.PERIOD, unit_code=f.OTHER, actor=people["other"])
            review.accept(session=s, period_code=f.PERIOD, unit_code=f.OTHER, actor=people["appraiser"])
            review.approve(session=s, period_code=f.PERIOD, unit_code=f.OTHER, actor=people["appraiser"])
    finally:
        engine.dispose()


@pytest.fixture
def server(tmp_path: Path, monkeypatch) -> Iterator[str]:
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    url = f"sqlite:///{tmp_path / 'chiso.sqlite3'}"
    seed(url)
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=url, secret_key="browser-test")
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    app_server = uvicorn.Server(config)
    thread = threading.Thread(target=app_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not app_server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        app_server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def _left(page) -> bool:  # type: ignore[no-untyped-def]
    """Whether the browser has left the page. Chromium sometimes reports an element of a page it has left
    as a node that "does not belong to the document" instead of a stale element: that is gone too."""
    try:
        return bool(staleness_of(page)(None))
    except WebDriverException as exc:
        if "does not belong to the document" in str(exc):
            return True
        raise


class Journey:
    def __init__(self, driver: webdriver.Chrome, base: str, files: Path) -> None:
        self.driver, self.base, self.files = driver, base, files

    def click(self, element) -> None:  # type: ignore[no-untyped-def]
        """Click something that loads a new page, and wait for it."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        WebDriverWait(self.driver, 15).until(lambda _: _left(page))

    def go(self, path: str) -> None:
        self.driver.get(self.base + path)

    def text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def login(self, user: str) -> None:
        self.driver.delete_all_cookies()
        self.go("/login")
        self.driver.find_element(By.ID, "user").send_keys(user)
        self.driver.find_element(By.ID, "password").send_keys(PASSWORD)
        self.click(self.driver.find_element(By.ID, "login"))
        assert user in self.driver.find_element(By.CSS_SELECTOR, ".who .user").text

    def declare(self, indicator: str, figures: dict[str, str], self_score: str, doc: str, attach: bool) -> None:
        item = self.driver.find_element(By.ID, indicator)
        self.driver.execute_script("arguments[0].open = true", item)
        form = item.find_element(By.TAG_NAME, "form")
        for name, value in figures.items():
            field = form.find_element(By.NAME, f"v:{name}")
            field.clear()
            field.send_keys(value)
        score = form.find_element(By.NAME, "self_score")
        score.clear()
        score.send_keys(self_score)
        form.find_element(By.NAME, "doc_number").send_keys(doc)
        form.find_element(By.NAME, "summary").send_keys("Báo cáo " + indicator)
        if attach:
            path = self.files / f"{indicator}.pdf"
            path.write_bytes(PDF)
            form.find_element(By.NAME, "file").send_keys(str(path))
        self.click(form.find_element(By.CSS_SELECTOR, "button.save"))
        assert "Đã lưu bản nháp." in self.driver.find_element(By.ID, "message").text


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
    j.click(browser.find_element(By.ID, "submit-all"))
    assert browser.find_element(By.ID, "unit-state").text == "Đã gửi"

    # The appraiser returns one item with a comment and accepts the rest in bulk.
    j.login("thamdinh")
    j.go("/appraise")
    row = browser.find_element(By.ID, f"item-{f.COMMUNE}-c3_5")
    row.find_element(By.NAME, "comment").send_keys("Cần bổ sung minh chứng: biên bản diễn tập")
    j.click(row.find_element(By.CSS_SELECTOR, "button[value=return]"))
    assert "Đã trả lại." in j.text()
    browser.find_element(By.CSS_SELECTOR, f"input.select-all[data-form=bulk-{f.COMMUNE}]").click()  # no page load
    j.click(browser.find_element(By.ID, f"bulk-accept-{f.COMMUNE}"))
    assert "Đã chấp nhận." in j.text()

    # The officer sees the comment, fixes the item and submits again.
    j.login("canbo.ducxuan")
    j.go("/declare")
    assert browser.find_element(By.ID, "unit-state").text == "Bị trả lại"
    assert "biên bản diễn tập" in browser.find_element(By.ID, "c3_5").text
    j.declare("c3_5", {"cyber_drill": "1"}, "10", "30/BB-UBND", True)
    j.click(browser.find_element(By.ID, "submit-all"))
    assert browser.find_element(By.ID, "unit-state").text == "Đã gửi lại"

    # The appraiser accepts it and approves the unit.
    j.login("thamdinh")
    j.go("/appraise")
    j.click(browser.find_element(By.ID, f"item-{f.COMMUNE}-c3_5").find_element(By.CSS_SELECTOR, "button[value=accept]"))
    j.click(browser.find_element(By.ID, f"approve-{f.COMMUNE}"))
    assert "Đã phê duyệt đơn vị." in j.text()

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
    assert first.startswith("1 Phường Đức Xuân") and "43,00" in first
    j.click(browser.find_element(By.LINK_TEXT, "Phường Đức Xuân"))
    assert browser.find_element(By.ID, "index-rank").text == "1"
    assert browser.find_element(By.ID, "index-value").text.startswith("43,00")
