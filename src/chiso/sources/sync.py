"""Connectors: pull source records from an operational system's JSON API, or from a watched folder.

A mapping file (`schema: chiso.sync/1`) says where the API is, how to authenticate (a header whose
value comes from an environment variable), how it pages (page/per_page, a next link or a cursor), which
parameter asks for records changed since the last sync, and how the system's JSON fields become the
fields of a Chiso source. Each page is mapped, written as a JSON Lines file under the data directory and
ingested like any file (checked, quarantined, versions kept: see `ingest.py`); only then is the cursor
advanced, by an atomic write. A sync killed half way resumes at the first page not committed; a page
fetched twice adds nothing (its file is recognised by its hash, its versions by theirs).

    <data dir>/sync/<name>/state.json           the cursor: since, and the next page of a run under way
    <data dir>/sync/<name>/pages/*.jsonl        each page as ingested (lineage names these files)
    <data dir>/sync/<name>/reports/*.json       one report per sync
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chiso.clock import VIETNAM, Clock
from chiso.sources.ingest import IngestReport, ingest_file
from chiso.sources.lake import Lake, atomic_write
from chiso.sources.readers import file_format
from chiso.sources.schemas import SourceError, get_source

MAX_WAIT = 60.0  # seconds: the longest pause between two attempts
KEPT_ERRORS = 20  # a report keeps the first errors, and counts them all


class SyncError(SourceError):
    """A sync that cannot go on: a bad mapping, an API that keeps failing, a page that cannot be ingested."""


class Auth(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    header: str = "Authorization"
    env: str  # the environment variable that holds the secret: never written in the mapping
    prefix: str = ""  # e.g. "Bearer "


class Pagination(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    style: Literal["page", "next_link", "cursor"] = "page"
    page_param: str = "page"  # page: the page number parameter, from `first_page`
    size_param: str = "per_page"  # page and cursor: the page size parameter
    size: int = Field(500, ge=1)
    first_page: int = 1
    next_link: str = "next"  # next_link: dotted path of the next page's URL in the page's JSON
    cursor_param: str = "cursor"  # cursor: the parameter that asks for the next page
    cursor_field: str = "next_cursor"  # cursor: dotted path of the next cursor in the page's JSON


class Since(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    param: str  # e.g. updated_since
    field: str = "updated_at"  # the Chiso field whose largest value becomes the next `since`


class SyncMapping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: Literal["chiso.sync/1"] = Field(alias="schema")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    source: str
    url: str
    auth: Auth | None = None
    params: dict[str, str] = {}  # fixed query parameters
    records: str = ""  # dotted path of the list of records in a page ("" : the page is the list)
    pagination: Pagination = Pagination()
    since: Since | None = None
    fields: dict[str, str]  # Chiso field → dotted path in the system's record
    values: dict[str, dict[str, str]] = {}  # Chiso field → the system's value → Chiso's
    timeout: float = Field(30.0, gt=0)  # seconds per request
    retries: int = Field(5, ge=0, le=20)  # further attempts after a failed request
    backoff: float = Field(1.0, ge=0)  # seconds before the first retry; doubles, at most a minute

    @model_validator(mode="after")
    def _fields(self) -> SyncMapping:
        source = get_source(self.source)
        names = {f.name for f in source.fields}
        unknown = sorted((set(self.fields) | set(self.values)) - names)
        if unknown:
            raise ValueError(f"not fields of {self.source}: {', '.join(unknown)}")
        if source.id not in self.fields:
            raise ValueError(f"the mapping must give the id field {source.id!r}")
        if self.since is not None and self.since.field not in self.fields:
            raise ValueError(f"since.field {self.since.field!r} must be one of the mapped fields")
        return self


def load_mapping(path: Path) -> SyncMapping:
    try:
        return SyncMapping.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError) as exc:
        raise SyncError(f"Tệp ánh xạ không dùng được — mapping {path} cannot be used: {exc}") from exc


@dataclass
class SyncReport:
    name: str
    source: str
    url: str
    status: str = "synced"  # synced | stopped | failed
    since_before: str | None = None
    since_after: str | None = None
    resumed_at: dict[str, Any] | None = None  # the page a run killed before resumed from
    pages: int = 0
    records: int = 0
    added: int = 0
    updated: int = 0
    duplicates: int = 0
    quarantined: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    files: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    started_at: str = ""
    finished_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def failed_attempt(self, text: str) -> None:
        self.error_count += 1
        if len(self.errors) < KEPT_ERRORS:
            self.errors.append(text)

    def count(self, ingested: IngestReport) -> None:
        self.added += ingested.added
        self.updated += ingested.updated
        self.duplicates += ingested.duplicates
        self.quarantined += ingested.quarantined
        self.files.append(
            {"file": Path(ingested.file).name, "ingest_id": ingested.ingest_id, "status": ingested.status}
        )


def sync_dir(lake: Lake, name: str) -> Path:
    return lake.root / "sync" / name


def read_state(lake: Lake, name: str) -> dict[str, Any]:
    path = sync_dir(lake, name) / "state.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=1)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _at(data: Any, path: str) -> Any:
    """The value at a dotted path ("data.items"; "" is the whole), None where it is missing."""
    for key in path.split(".") if path else []:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def map_record(mapping: SyncMapping, record: Mapping[str, Any]) -> dict[str, Any]:
    """One of the system's records as a Chiso source record (fields missing in it stay empty)."""
    out: dict[str, Any] = {}
    for name, path in mapping.fields.items():
        value = _at(record, path)
        table = mapping.values.get(name)
        if table is not None and value is not None:
            value = table.get(str(value), value)  # an unknown value is kept: the check quarantines it
        out[name] = value
    return out


def _stamp(clock: Clock) -> str:
    return clock.now().isoformat(timespec="seconds")


class _Retry(Exception):
    """A response worth asking again for (5xx, 429, a body that is not JSON)."""


def _fetch(
    client: httpx.Client,
    mapping: SyncMapping,
    url: str,
    params: Mapping[str, str],
    report: SyncReport,
    sleep: Callable[[float], object],
) -> Any:
    headers = {}
    if mapping.auth is not None:
        secret = os.environ.get(mapping.auth.env)
        if not secret:
            raise SyncError(f"Thiếu khóa truy cập — the environment variable {mapping.auth.env} is not set")
        headers[mapping.auth.header] = mapping.auth.prefix + secret
    for attempt in range(mapping.retries + 1):
        try:
            response = client.get(url, params=params or None, headers=headers)  # {} would drop a link's query
            if response.status_code >= 500 or response.status_code == 429:
                raise _Retry(f"HTTP {response.status_code}")
            if response.status_code >= 400:
                raise SyncError(f"Hệ thống nguồn từ chối — {url} answered HTTP {response.status_code}")
            try:
                return response.json()
            except json.JSONDecodeError as exc:
                raise _Retry(f"not JSON: {exc.msg}") from exc
        except (httpx.TransportError, _Retry) as exc:  # timeouts and refused connections are TransportErrors
            report.failed_attempt(f"{url} {dict(params)}: {type(exc).__name__}: {exc}")
            if attempt == mapping.retries:
                raise SyncError(
                    f"Không lấy được dữ liệu — {url} failed {mapping.retries + 1} times; last: {exc}"
                ) from exc
            report.retries += 1
            sleep(min(mapping.backoff * 2**attempt, MAX_WAIT))
    raise AssertionError("unreachable")  # pragma: no cover


def _first(mapping: SyncMapping) -> dict[str, Any]:
    if mapping.pagination.style == "page":
        return {"page": mapping.pagination.first_page}
    if mapping.pagination.style == "next_link":
        return {"url": mapping.url}
    return {"cursor": None}


def _request(mapping: SyncMapping, position: Mapping[str, Any], since: str | None) -> tuple[str, dict[str, str]]:
    paging = mapping.pagination
    if paging.style == "next_link" and position["url"] != mapping.url:
        return str(position["url"]), {}  # a next link carries its own parameters
    params = dict(mapping.params)
    if mapping.since is not None and since is not None:
        params[mapping.since.param] = since
    if paging.style == "page":
        params[paging.page_param] = str(position["page"])
        params[paging.size_param] = str(paging.size)
    elif paging.style == "cursor":
        params[paging.size_param] = str(paging.size)
        if position["cursor"] is not None:
            params[paging.cursor_param] = str(position["cursor"])
    return mapping.url, params


def _next(mapping: SyncMapping, position: Mapping[str, Any], page: Any, count: int) -> dict[str, Any] | None:
    paging = mapping.pagination
    if paging.style == "page":
        return {"page": int(position["page"]) + 1} if count >= paging.size else None
    if paging.style == "next_link":
        link = _at(page, paging.next_link)
        return {"url": str(httpx.URL(str(position["url"])).join(str(link)))} if link else None
    cursor = _at(page, paging.cursor_field)
    return {"cursor": cursor} if cursor not in (None, "") and count else None


def _write_page(lake: Lake, mapping: SyncMapping, rows: list[dict[str, Any]]) -> Path:
    text = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = sync_dir(lake, mapping.name) / "pages" / f"{mapping.source}-{mapping.name}-{digest}.jsonl"
    if not path.exists():
        atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


def sync(
    *,
    lake: Lake,
    mapping: SyncMapping,
    stop: threading.Event | None = None,
    sleep: Callable[[float], object] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> SyncReport:
    """Pull every record changed since the last sync, page by page; returns the report (also stored).

    The cursor (`state.json`) moves only after a page's records are committed to the lake: after a
    crash the next sync starts at the first page not committed. `stop` ends the run between pages.
    """
    waiter = threading.Event()
    pause = sleep or (lambda seconds: (stop or waiter).wait(seconds))
    report = SyncReport(mapping.name, mapping.source, mapping.url, started_at=_stamp(lake.clock))
    state_path = sync_dir(lake, mapping.name) / "state.json"
    state = read_state(lake, mapping.name)
    report.since_before = state.get("since")
    run = state.get("run")
    if run:  # a run killed or stopped before its end: go on from its first page not committed
        report.resumed_at = run["next"]
    else:
        run = {"since": state.get("since"), "next": _first(mapping), "largest": state.get("since")}
    try:
        with httpx.Client(timeout=mapping.timeout, transport=transport, follow_redirects=True) as client:
            position: dict[str, Any] | None = run["next"]
            while position is not None:
                if stop is not None and stop.is_set():
                    report.status = "stopped"
                    break
                url, params = _request(mapping, position, run["since"])
                page = _fetch(client, mapping, url, params, report, pause)
                items = _at(page, mapping.records)
                if not isinstance(items, list):
                    raise SyncError(f"Trang không đúng dạng — {url}: no list of records at {mapping.records!r}")
                rows = [map_record(mapping, r) for r in items if isinstance(r, dict)]
                if rows:
                    ingested = ingest_file(_write_page(lake, mapping, rows), mapping.source, lake=lake)
                    if ingested.status == "failed":
                        raise SyncError(f"Trang không nạp được — a page could not be ingested: {ingested.error}")
                    report.count(ingested)
                report.pages += 1
                report.records += len(rows)
                if mapping.since is not None:
                    seen = [str(r[mapping.since.field]) for r in rows if r.get(mapping.since.field) is not None]
                    run["largest"] = max([*seen, *([run["largest"]] if run["largest"] else [])], default=None)
                following = _next(mapping, position, page, len(items))
                if following == position:
                    raise SyncError(f"Trang lặp lại — {url}: the API gives the same page as the next one")
                position = following
                run["next"] = position
                # The page is in the lake: only now may the cursor pass it.
                _write_json(state_path, {**state, "run": run if position is not None else None})
            if report.status == "synced":
                state = {"since": run["largest"], "run": None, "last_sync": _stamp(lake.clock)}
                _write_json(state_path, state)
    except SyncError as exc:
        report.status = "failed"
        report.error = str(exc)
    report.since_after = read_state(lake, mapping.name).get("since")
    report.finished_at = _stamp(lake.clock)
    _write_report(lake, mapping.name, report.to_dict())
    return report


def _write_report(lake: Lake, name: str, report: dict[str, Any]) -> None:
    stamp = dt.datetime.fromisoformat(report["started_at"]).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S")
    folder = sync_dir(lake, name) / "reports"
    # Numbered within the second, so that the names sort in the order the syncs ran.
    n = 1
    while (folder / f"{stamp}-{n:03d}.json").exists():
        n += 1
    _write_json(folder / f"{stamp}-{n:03d}.json", report)


INGESTIBLE = (".csv", ".jsonl", ".ndjson", ".json", ".parquet")


def sync_folder(*, lake: Lake, folder: Path, source: str | None = None) -> SyncReport:
    """Ingest the files of a watched folder that were not ingested yet (each once, whatever its name)."""
    folder = Path(folder)
    name = "folder-" + hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:12]
    report = SyncReport(name, source or "", str(folder.resolve()), started_at=_stamp(lake.clock))
    state_path = sync_dir(lake, name) / "state.json"
    state = read_state(lake, name)
    seen: dict[str, list[int]] = state.get("files", {})
    if not folder.is_dir():
        raise SyncError(f"Không có thư mục — {folder} is not a folder")
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in INGESTIBLE):
        stat = path.stat()
        mark = [stat.st_size, stat.st_mtime_ns]
        if seen.get(path.name) == mark:
            continue  # unchanged since it was ingested: not even hashed again
        chosen = source or path.name.split("-", 1)[0].split(".", 1)[0]
        try:
            get_source(chosen)
            file_format(path)
        except SourceError as exc:
            report.failed_attempt(f"{path.name}: {exc}")
            continue
        ingested = ingest_file(path, chosen, lake=lake)
        report.count(ingested)
        report.pages += 1
        report.records += ingested.rows
        if ingested.status == "failed":
            report.failed_attempt(f"{path.name}: {ingested.error}")
            continue
        seen[path.name] = mark
        _write_json(state_path, {"folder": str(folder.resolve()), "files": seen})
    report.status = "failed" if report.error_count else "synced"
    report.finished_at = _stamp(lake.clock)
    _write_report(lake, name, report.to_dict())
    return report


def parse_every(text: str) -> dt.timedelta:
    """'24h', '30m', '45s', '1d' → a duration (at least one second)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = text[:-1], text[-1:].lower()
    if unit not in units or not number.isdigit() or int(number) == 0:
        raise SyncError(f"--every {text!r}: write a whole number and s, m, h or d (e.g. 24h)")
    return dt.timedelta(seconds=int(number) * units[unit])


def parse_at(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise SyncError(f"--at {text!r}: write a local time HH:MM (e.g. 02:00)") from None


def next_run(now: dt.datetime, every: dt.timedelta, at: dt.time | None) -> dt.datetime:
    """The next start: the next `at` (local time) when given, else `every` from now."""
    if at is None:
        return now + every
    local = now.astimezone(VIETNAM)
    start = dt.datetime.combine(local.date(), at, VIETNAM)
    while start <= local:
        start += every if every < dt.timedelta(days=1) else dt.timedelta(days=1)
    return start


def run_every(
    job: Callable[[], object], *, every: dt.timedelta, at: dt.time | None, clock: Clock, stop: threading.Event
) -> None:
    """Run `job` now (or first at `at`), then every `every`, until `stop` is set (e.g. by SIGTERM)."""
    due = next_run(clock.now(), every, at) if at is not None else clock.now()
    while not stop.is_set():
        wait = (due - clock.now()).total_seconds()
        if wait > 0 and stop.wait(wait):
            return
        job()
        due = next_run(clock.now(), every, at)
