"""Real Chromium (headless) against the app under uvicorn: fixtures shared by the browser tests.

Chromium and ChromeDriver are Debian's packages (`chromium`, `chromium-driver`), which
`python3 tools/dev.py setup` installs when they are missing. The app runs under uvicorn in a thread on a
free port of 127.0.0.1, on its own SQLite database, seeded through the services.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from argon2 import PasswordHasher
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy.orm import Session
from tests import factories as f
from tests.conftest import TEST_CLOCK

from chiso import migrations
from chiso.accounts import service as accounts
from chiso.accounts.schemas import UserCreate
from chiso.clock import Clock
from chiso.collection import review
from chiso.collection import service as collection
from chiso.db import make_engine, transaction
from chiso.settings import Settings
from chiso.web.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
PASSWORD = "mat-khau-thu"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"
Seed = Callable[[Session], None]


def require_chromium() -> None:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.fail(
            f"Chromium or ChromeDriver is missing ({CHROMIUM}, {CHROMEDRIVER}): python3 tools/dev.py setup installs "
            "Debian's chromium and chromium-driver"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_accounts(s: Session) -> dict:
    """The factories' people, each with a login (password PASSWORD)."""
    people = f.people(s)
    for key, actor in people.items():
        user_in = UserCreate(user=actor.user, roles=actor.roles, unit_code=actor.unit_code, password=PASSWORD)
        accounts.create_user(session=s, user_in=user_in, actor=None if key == "admin" else people["admin"])
    return people


def open_with_other_approved(s: Session) -> None:
    """An open period; the other commune is declared, submitted and approved, so the period can be published."""
    people = with_accounts(s)
    f.open_period(s, people["admin"])
    f.declare_all(s, people["other"], f.DECLARATIONS[:1], unit=f.OTHER)
    collection.submit(session=s, period_code=f.PERIOD, unit_code=f.OTHER, actor=people["other"])
    review.accept(session=s, period_code=f.PERIOD, unit_code=f.OTHER, actor=people["appraiser"])
    review.approve(session=s, period_code=f.PERIOD, unit_code=f.OTHER, actor=people["appraiser"])


def seed(url: str, how: Seed = open_with_other_approved, clock: Clock = TEST_CLOCK) -> None:
    engine = make_engine(url)
    try:
        migrations.upgrade(engine)
        with transaction(engine, clock) as s:
            how(s)
    finally:
        engine.dispose()


@contextmanager
def serving(folder: Path, how: Seed, clock: Clock = TEST_CLOCK) -> Iterator[str]:
    """The app on a fresh database seeded by `how`, under uvicorn, on `clock`; yields its base URL."""
    url = f"sqlite:///{folder / 'chiso.sqlite3'}"
    seed(url, how, clock)
    settings = Settings(_env_file=None, data_dir=folder, database_url=url, secret_key="browser-test")
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, clock=clock), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
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


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch) -> None:
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """An open period: the journey's starting point."""
    with serving(tmp_path, open_with_other_approved) as base:
        yield base


def chromium(profile: Path, width: int, height: int, logs: bool = False) -> webdriver.Chrome:
    """Headless Chromium; with `logs`, its console and network events can be read (`driver.get_log`)."""
    require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    if logs:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(5)
    return driver


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    driver = chromium(tmp_path / "chromium-profile", 1280, 1000)
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

    def fill(self, form, name: str, value: str) -> None:  # type: ignore[no-untyped-def]
        """Type a figure as its input asks: a switch is turned on or off, a level chosen, a number typed."""
        field = form.find_elements(By.NAME, name)[-1]  # a switch comes after its hidden "no"
        if field.get_attribute("type") == "checkbox":
            if field.is_selected() != (value == "1"):
                # in the middle of the screen, clear of the sticky submission bar at the bottom
                self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", field)
                field.click()
        elif field.tag_name == "select":
            Select(field).select_by_value(value)
        else:
            field.clear()
            field.send_keys(value)

    def save(self, indicator: str) -> None:
        """Save one item (without reloading the page) and wait until it says so."""
        button = self.driver.find_element(By.ID, indicator).find_element(By.CSS_SELECTOR, "button.save")
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
        WebDriverWait(self.driver, 15, ignored_exceptions=[StaleElementReferenceException]).until(
            lambda d: "Đã lưu bản nháp." in d.find_element(By.ID, f"status-{indicator}").text
        )

    def declare(self, indicator: str, figures: dict[str, str], self_score: str, doc: str, attach: bool) -> None:
        item = self.driver.find_element(By.ID, indicator)
        self.driver.execute_script("arguments[0].open = true", item)
        form = item.find_element(By.TAG_NAME, "form")
        for name, value in figures.items():
            self.fill(form, f"v:{name}", value)
        score = form.find_element(By.NAME, "self_score")
        score.clear()
        score.send_keys(self_score)
        form.find_element(By.NAME, "doc_number").send_keys(doc)
        form.find_element(By.NAME, "summary").send_keys("Báo cáo " + indicator)
        if attach:
            path = self.files / f"{indicator}.pdf"
            path.write_bytes(PDF)
            form.find_element(By.NAME, "file").send_keys(str(path))
        self.save(indicator)

    def submit(self) -> None:
        """Gửi thẩm định, then confirm in the dialog."""
        self.driver.find_element(By.ID, "submit-all").click()
        WebDriverWait(self.driver, 5).until(lambda d: d.find_element(By.ID, "confirm-yes").is_displayed())
        self.click(self.driver.find_element(By.ID, "confirm-yes"))
