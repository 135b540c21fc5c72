"""Issue 11, item 1: time is an input. The app and the CLI have one clock; nothing reads the system's."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path

from tests.conftest import TODAY

from chiso.clock import VIETNAM, StartedClock

SRC = Path(__file__).resolve().parents[2] / "src" / "chiso"
# (module, attribute) calls that read the machine's calendar; only chiso/clock.py may make them.
SYSTEM_TIME = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("time", "time")}


def _reads_of_system_time(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (name, node.func.attr) in SYSTEM_TIME:
                found.append(f"{path.relative_to(SRC)}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_nothing_but_the_clock_reads_the_system_time():
    reads = [r for p in sorted(SRC.rglob("*.py")) if p.name != "clock.py" for r in _reads_of_system_time(p)]
    assert reads == [], "read the clock of the session or the app (chiso.clock) instead"


def _at(day: dt.date) -> StartedClock:
    return StartedClock(dt.datetime.combine(day, dt.time(9), VIETNAM))


def test_the_app_judges_deadlines_by_its_own_clock(published):
    """The example plan's task 1.1 is due in 90 days: not overdue now, overdue by the app's clock a year on."""
    client = published.client("admin")
    overdue = {t["code"] for t in client.get("/api/v1/tasks?overdue=true").json()["items"]}
    assert "1.1" not in overdue and "1" in overdue
    published.app.state.clock = _at(TODAY + dt.timedelta(days=365))
    overdue = {t["code"] for t in client.get("/api/v1/tasks?overdue=true").json()["items"]}
    assert {"1", "1.1", "2"} <= overdue


def test_a_period_opened_on_the_web_opens_on_the_clock_s_day(published):
    """Opening a period on the web starts it on the app's today, whatever the machine's date is."""
    later = TODAY + dt.timedelta(days=400)
    published.app.state.clock = _at(later)
    client = published.client("chuongtrinh")
    page = client.get("/admin").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"framework": "commune-2025", "year": str(later.year), "province": "19", "csrf_token": token}
    # Due before the app's today: refused, although it is after the machine's today.
    early = client.post("/admin/periods/open", data={**form, "closes_on": str(later - dt.timedelta(days=1))})
    assert early.status_code == 400
    ok = client.post("/admin/periods/open", data={**form, "closes_on": str(later + dt.timedelta(days=30))})
    assert ok.status_code == 303, ok.text[:500]


def test_the_cli_reads_its_clock_from_the_setting(cli, cli_env, monkeypatch):
    """`CHISO_CLOCK` sets the CLI's today: a period due in 30 days is late by a clock set a year on."""

    def ok(*args: str) -> str:
        result = cli(*args)
        assert result.exit_code == 0, result.output + result.stderr
        return result.stdout

    ok("db", "upgrade", "--admin", "admin")
    due = TODAY + dt.timedelta(days=30)
    ok("period", "open", "--framework", "commune-2025", "--year", str(TODAY.year), "--unit", "01840",
       "--closes", str(due), "--officer", "01840=canbo.ducxuan", "--as", "admin")  # fmt: skip
    code = f"{TODAY.year}/commune-2025"
    assert json.loads(ok("period", "status", code, "--format", "json", "--as", "admin"))["overdue_items"] == 0
    monkeypatch.setenv("CHISO_CLOCK", str(TODAY + dt.timedelta(days=365)))
    assert json.loads(ok("period", "status", code, "--format", "json", "--as", "admin"))["overdue_items"] == 62
