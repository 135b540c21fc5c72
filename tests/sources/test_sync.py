"""Connectors (issue 15, item 2): `chiso sources sync` against a real HTTP server on 127.0.0.1.

The server pages dossiers in its own JSON (Vietnamese field names, status codes), changes some between
syncs, fails some requests with 500 and sleeps past the client's timeout once; a sync killed with
SIGKILL after its first page resumes at the second page, with nothing duplicated or lost.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import duckdb
import pytest
import yaml
from tests.conftest import TEST_CLOCK

from chiso.sources.lake import Lake
from chiso.sources.measures import Grain, load_measures
from chiso.sources.service import measure
from chiso.sources.sync import SyncError, load_mapping, read_state, sync, sync_folder

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret"
WAIT = 60  # seconds: the longest a test waits for a subprocess (never reached when things work)


def _dossier(n: int, updated: str, *, resolved: bool = False) -> dict:
    return {
        "soHoSo": f"HS{n:04d}",
        "maTTHC": "1.1",
        "donVi": {"ma": "01840"},
        "capDo": "commune",
        "hinhThuc": "offline",
        "kenh": "counter",
        "ngayNhan": f"2025-03-{1 + n % 9:02d}T08:00:00",
        "hanTra": "2025-03-20T08:00:00",
        "ngayTra": "2025-03-25T08:00:00" if resolved else None,
        "trangThai": "4" if resolved else "1",
        "soHoa": False,
        "capNhat": updated,
    }


@dataclass
class Portal:
    """The system's API: records by id, requests seen, failures to inject, a page to hold back."""

    records: dict[str, dict] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)
    faults: dict[int, str] = field(default_factory=dict)  # request number (from 1) → "500" | "timeout"
    hold_page: int | None = None
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def page(self, query: dict[str, str]) -> tuple[int, dict]:
        number = len(self.requests)
        fault = self.faults.get(number)
        if fault == "500":
            return 500, {"error": "boom"}
        if fault == "timeout":
            time.sleep(1.0)  # beyond the mapping's 0.3 s
        since = query.get("updated_since", "")
        rows = sorted(
            (r for r in self.records.values() if r["capNhat"] >= since), key=lambda r: (r["capNhat"], r["soHoSo"])
        )
        size = int(query.get("per_page", "10"))
        if "page" in query:
            if int(query["page"]) == self.hold_page:
                self.release.wait(WAIT)
            offset = (int(query["page"]) - 1) * size
        else:
            offset = int(query.get("cursor") or 0)
        chunk = rows[offset : offset + size]
        after = offset + size if offset + size < len(rows) else None
        link = f"/api/dossiers?{urlencode({'cursor': after, 'per_page': size, 'updated_since': since})}"
        return 200, {
            "data": {"items": chunk},
            "links": {"next": link if after is not None else None},
            "meta": {"next_cursor": after},
        }


@pytest.fixture
def portal() -> Iterator[Portal]:
    state = Portal(records={f"HS{n:04d}": _dossier(n, f"2025-03-10T08:00:{n:02d}") for n in range(25)})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, {"error": "no token"})
                return
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            state.requests.append(query)
            status, body = state.page(query)
            self._send(status, body)

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout, killed): nothing to answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/dossiers"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


def _mapping(tmp_path: Path, portal: Portal, *, style: str = "page", timeout: float = 0.3) -> Path:
    text = {
        "schema": "chiso.sync/1",
        "name": "portal",
        "source": "dossiers",
        "url": portal.url,
        "auth": {"header": "Authorization", "env": "PORTAL_TOKEN", "prefix": "Bearer "},
        "records": "data.items",
        "pagination": {
            "style": style,
            "size": 10,
            "next_link": "links.next",
            "cursor_field": "meta.next_cursor",
        },
        "since": {"param": "updated_since", "field": "updated_at"},
        "fields": {
            "id": "soHoSo",
            "procedure_code": "maTTHC",
            "receiving_unit": "donVi.ma",
            "level": "capDo",
            "service_mode": "hinhThuc",
            "channel": "kenh",
            "received_at": "ngayNhan",
            "due_at": "hanTra",
            "resolved_at": "ngayTra",
            "status": "trangThai",
            "digitised": "soHoa",
            "updated_at": "capNhat",
        },
        "values": {"status": {"1": "received", "4": "resolved"}},
        "timeout": timeout,
        "retries": 4,
        "backoff": 0.01,
    }
    path = tmp_path / f"portal-{style}.yaml"
    path.write_text(yaml.safe_dump(text), encoding="utf-8")
    return path


def _lake_rows(lake: Lake) -> tuple[int, int]:
    """Versions and distinct ids of the dossiers in the lake."""
    parts = [str(p) for p in lake.parts("dossiers")]
    if not parts:
        return 0, 0
    row = duckdb.connect().execute(f"SELECT count(*), count(DISTINCT id) FROM read_parquet({parts!r})").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_pages_changes_and_failures(tmp_path: Path, portal: Portal, monkeypatch):
    monkeypatch.setenv("PORTAL_TOKEN", TOKEN)
    lake = Lake(tmp_path / "var", TEST_CLOCK)
    mapping = load_mapping(_mapping(tmp_path, portal))
    portal.faults = {2: "500", 3: "500", 5: "timeout"}
    first = sync(lake=lake, mapping=mapping)
    assert first.status == "synced", first
    assert (first.pages, first.records, first.added, first.updated) == (3, 25, 25, 0)
    assert first.retries == 3 and first.error_count == 3  # two 500s and one timeout, each asked again
    assert any("Timeout" in e for e in first.errors) and any("HTTP 500" in e for e in first.errors)
    assert _lake_rows(lake) == (25, 25)
    assert read_state(lake, "portal")["since"] == "2025-03-10T08:00:24"

    # Between syncs five dossiers are resolved (late) and two arrive.
    for n in range(5):
        portal.records[f"HS{n:04d}"] = _dossier(n, f"2025-04-02T09:00:{n:02d}", resolved=True)
    for n in (25, 26):
        portal.records[f"HS{n:04d}"] = _dossier(n, f"2025-04-02T10:00:{n:02d}")
    seen = len(portal.requests)
    second = sync(lake=lake, mapping=mapping)
    assert second.status == "synced"
    assert portal.requests[seen]["updated_since"] == "2025-03-10T08:00:24"
    # The record at the cursor comes again (the cursor is inclusive) and adds nothing.
    assert (second.records, second.added, second.updated, second.duplicates) == (8, 7, 5, 1)
    assert _lake_rows(lake) == (32, 27)
    results = load_measures("service-2025")
    now = measure(lake=lake, measures=results, grains=[Grain.MONTH], era=None, as_of="latest").values
    resolved = now[(now["variable"] == "resolved") & (now["period"] == "2025-03")]
    assert resolved["value"].tolist() == [5]
    then = measure(lake=lake, measures=results, grains=[Grain.MONTH], era=None).values
    assert then[(then["variable"] == "resolved")].empty  # at the end of March none was resolved yet

    third = sync(lake=lake, mapping=mapping)  # nothing changed: the last record comes again, nothing added
    assert (third.added, third.duplicates) == (0, 1)
    reports = sorted((lake.root / "sync" / "portal" / "reports").glob("*.json"))
    assert len(reports) == 3 and json.loads(reports[0].read_text())["retries"] == 3


@pytest.mark.parametrize("style", ["next_link", "cursor"])
def test_other_pagination_styles(tmp_path: Path, portal: Portal, monkeypatch, style: str):
    monkeypatch.setenv("PORTAL_TOKEN", TOKEN)
    lake = Lake(tmp_path / "var", TEST_CLOCK)
    report = sync(lake=lake, mapping=load_mapping(_mapping(tmp_path, portal, style=style)))
    assert (report.status, report.pages, report.added) == ("synced", 3, 25)
    assert _lake_rows(lake) == (25, 25)


def test_a_request_that_keeps_failing_stops_the_sync_and_keeps_the_cursor(tmp_path: Path, portal: Portal, monkeypatch):
    monkeypatch.setenv("PORTAL_TOKEN", TOKEN)
    lake = Lake(tmp_path / "var", TEST_CLOCK)
    portal.faults = {n: "500" for n in range(2, 8)}  # page 2 fails five times: more than the retries
    report = sync(lake=lake, mapping=load_mapping(_mapping(tmp_path, portal)))
    assert report.status == "failed" and "failed 5 times" in report.error
    assert _lake_rows(lake) == (10, 10)
    assert read_state(lake, "portal")["run"]["next"] == {"page": 2}
    portal.faults = {}
    again = sync(lake=lake, mapping=load_mapping(_mapping(tmp_path, portal)))
    assert again.status == "synced" and again.resumed_at == {"page": 2} and again.added == 15
    assert _lake_rows(lake) == (25, 25)


def test_a_missing_token_is_said(tmp_path: Path, portal: Portal, monkeypatch):
    monkeypatch.delenv("PORTAL_TOKEN", raising=False)
    report = sync(lake=Lake(tmp_path / "var", TEST_CLOCK), mapping=load_mapping(_mapping(tmp_path, portal)))
    assert report.status == "failed" and "PORTAL_TOKEN" in report.error
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema: chiso.sync/1\nname: x\nsource: dossiers\nurl: http://x\nfields: {nope: a}\n")
    with pytest.raises(SyncError, match="not fields of dossiers: nope"):
        load_mapping(bad)


def _env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "PORTAL_TOKEN": TOKEN,
        "CHISO_DATA_DIR": str(data_dir),
        "CHISO_CLOCK": TEST_CLOCK.now().isoformat(),
    }


def test_a_sync_killed_after_its_first_page_resumes_without_loss_or_copies(tmp_path: Path, portal: Portal, monkeypatch):
    monkeypatch.setenv("PORTAL_TOKEN", TOKEN)
    data = tmp_path / "var"
    mapping = _mapping(tmp_path, portal, timeout=WAIT)
    portal.hold_page = 2  # page 2 waits: the window in which the sync is killed
    child = subprocess.Popen(
        [sys.executable, "-m", "chiso", "sources", "sync", str(mapping)],
        cwd=ROOT,
        env=_env(data),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    state = data / "sync" / "portal" / "state.json"
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and child.poll() is None:
            if state.exists() and json.loads(state.read_text())["run"]["next"] == {"page": 2}:
                break
            time.sleep(0.05)
        assert child.poll() is None, child.stdout.read()
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(WAIT)
        if child.stdout is not None:
            child.stdout.close()
    portal.release.set()
    lake = Lake(data, TEST_CLOCK)
    assert _lake_rows(lake) == (10, 10)  # page 1 committed, nothing of page 2
    resumed = sync(lake=lake, mapping=load_mapping(mapping))
    assert resumed.status == "synced" and resumed.resumed_at == {"page": 2}
    assert (resumed.pages, resumed.added, resumed.duplicates) == (2, 15, 0)
    assert _lake_rows(lake) == (25, 25)
    assert [r["page"] for r in portal.requests] == ["1", "2", "2", "3"]
    assert read_state(lake, "portal") == {**read_state(lake, "portal"), "since": "2025-03-10T08:00:24", "run": None}


def test_a_watched_folder_is_ingested_once_and_the_loop_stops_on_sigterm(tmp_path: Path):
    folder = tmp_path / "drop"
    folder.mkdir()
    line = {
        "id": "F1",
        "procedure_code": "1.1",
        "receiving_unit": "01840",
        "level": "commune",
        "service_mode": "offline",
        "channel": "counter",
        "received_at": "2025-03-02T08:00:00",
        "status": "received",
        "digitised": False,
    }
    (folder / "dossiers-a.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a source file", encoding="utf-8")
    lake = Lake(tmp_path / "var", TEST_CLOCK)
    first = sync_folder(lake=lake, folder=folder)
    assert (first.status, first.added) == ("synced", 1)
    second = sync_folder(lake=lake, folder=folder)
    assert (second.pages, second.added) == (0, 0)  # nothing new: not even read again

    data = tmp_path / "loop"
    child = subprocess.Popen(
        [sys.executable, "-m", "chiso", "sources", "sync", "--folder", str(folder), "--every", "1h"],
        cwd=ROOT,
        env=_env(data),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and child.poll() is None and not list((data / "lake").rglob("*.parquet")):
            time.sleep(0.05)
        assert child.poll() is None
        child.send_signal(signal.SIGTERM)
        out, _ = child.communicate(timeout=WAIT)
    finally:
        child.kill()
        child.wait(WAIT)
    assert child.returncode == 0, out
    assert "stopped" in out
    assert _lake_rows(Lake(data)) == (1, 1)


def test_the_schedule():
    from chiso.clock import VIETNAM
    from chiso.sources.sync import next_run, parse_at, parse_every

    day = parse_every("24h")
    now = TEST_CLOCK.now().astimezone(VIETNAM).replace(hour=3, minute=0, second=0, microsecond=0)
    following = next_run(now, day, parse_at("02:00"))
    assert following.astimezone(VIETNAM).hour == 2 and following - now == parse_every("23h")
    assert next_run(now, parse_every("30m"), None) - now == parse_every("1800s")
    with pytest.raises(SyncError, match="--every '24x'"):
        parse_every("24x")
    with pytest.raises(SyncError, match="--at '2am'"):
        parse_at("2am")
