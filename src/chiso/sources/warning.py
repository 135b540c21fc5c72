"""Early warning: dossiers not yet resolved whose deadline is near or past, per receiving unit.

Counting late dossiers at the end of a month tells a unit what went wrong; this tells it, today, which
dossiers will be late unless someone acts. A dossier is *open* when its current state (the newest
version valid at the moment asked, as a measure's `as_of` reads it) is `received` or `processing`
and it has a deadline. Deadlines of administrative procedures are counted in working days (ngày làm
việc, Decree 61/2018/NĐ-CP art. 2): Monday to Friday, less the public holidays. The fixed-date holidays
of the Labour Code (2019, art. 112) are known; the lunar ones (Tết, Giỗ Tổ Hùng Vương) and the days the
Government moves each year are announced yearly, so they come from a file the province keeps (setting
`holidays_file`, one ISO date per line).

Each open dossier gets `working_days_left`: the working days after today up to its due date (0 = due
today or on a day off before the next working day; negative = overdue by that many working days) and a
`state`: `overdue`, `due_today`, `due_soon` (within the asked number of working days) or `later`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlglot.expressions as exp

from chiso.clock import VIETNAM
from chiso.permissions import ACTIONS, Actor, check
from chiso.sources.compiler import as_of_condition
from chiso.sources.engines import DuckDBEngine
from chiso.sources.index import read_index
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain
from chiso.sources.schemas import SourceError, get_source
from chiso.sources.service import bind_records
from chiso.sources.versions import records

SOURCE = "dossiers"
OPEN_STATUSES = ("received", "processing")
STATES = ("overdue", "due_today", "due_soon", "later")
# Labour Code 2019, art. 112: the public holidays on fixed solar dates (month, day).
FIXED_HOLIDAYS = ((1, 1), (4, 30), (5, 1), (9, 2))
COLUMNS = [
    "id",
    "procedure_code",
    "receiving_unit",
    "unit_era",
    "level",
    "received_at",
    "due_at",
    "status",
    "simulated",
    "working_days_left",
    "state",
]


class HolidaysError(SourceError):
    """The holidays file cannot be read; says which line and how to write it."""


@dataclass(frozen=True)
class Calendar:
    """Working days: Monday–Friday, less the fixed public holidays and the listed days off."""

    days_off: frozenset[dt.date] = frozenset()

    def holidays(self, first: dt.date, last: dt.date) -> list[np.datetime64]:
        fixed = {dt.date(y, m, d) for y in range(first.year, last.year + 1) for m, d in FIXED_HOLIDAYS}
        return sorted(np.datetime64(day, "D") for day in fixed | self.days_off if first <= day <= last)

    def working_days_left(self, today: dt.date, due: Sequence[dt.date]) -> np.ndarray:
        """Working days in (today, due] for each due date; minus those in (due, today] when it has passed."""
        if not len(due):
            return np.zeros(0, dtype=int)
        days = np.array(due, dtype="datetime64[D]")
        start = np.datetime64(today, "D")
        first = min(days.min(), start).astype(dt.date)
        last = max(days.max(), start).astype(dt.date)
        holidays = self.holidays(first, last)
        ahead = np.busday_count(start + 1, days + 1, holidays=holidays)  # negative when due < today
        return np.where(days >= start, ahead, np.busday_count(days + 1, start + 1, holidays=holidays) * -1)


def calendar_of(holidays_file: Path | None) -> Calendar:
    """The working-day calendar of the setting `holidays_file` (none: the fixed holidays only)."""
    return Calendar(read_days_off(holidays_file) if holidays_file else frozenset())


def read_days_off(path: Path) -> frozenset[dt.date]:
    """The days off listed in a file: one ISO date per line; `#` starts a comment; blank lines ignored."""
    found = set()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise HolidaysError(f"Không đọc được tệp ngày nghỉ {path} — cannot read the holidays file: {exc}") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            found.add(dt.date.fromisoformat(entry))
        except ValueError:
            raise HolidaysError(
                f"Tệp ngày nghỉ {path}, dòng {number}: {entry!r} không phải ngày (viết 2026-02-16) — "
                f"line {number} is not an ISO date"
            ) from None
    return frozenset(found)


def open_dossiers(lake: Lake, *, at: dt.datetime, units: Iterable[str] | None = None) -> pd.DataFrame:
    """The dossiers open at `at` (local time) with a deadline: their state then, one row each."""
    parts = lake.parts(SOURCE)
    columns = COLUMNS[:9]
    if not parts:
        return pd.DataFrame(columns=columns)
    source = get_source(SOURCE)
    engine = DuckDBEngine()
    con = engine.con
    try:
        index = read_index(lake, SOURCE)
        bind_records(engine, index)
        table = records(SOURCE, source, index.history)
        cut = (at + dt.timedelta(microseconds=1)).isoformat(sep=" ", timespec="microseconds")
        current = as_of_condition(cut, Grain.MONTH, exp.column("received_at")).sql(dialect="duckdb")
        wanted = sorted(set(units)) if units is not None else None
        unit_filter = "AND receiving_unit IN (SELECT unnest($units))" if wanted is not None else ""
        sql = f"""
            SELECT {", ".join(columns[:-1])}, COALESCE(simulated, FALSE) AS simulated
            FROM ({table.sql(dialect="duckdb")}) AS s
            WHERE {current} AND status IN {OPEN_STATUSES} AND due_at IS NOT NULL AND received_at <= $at
              {unit_filter}
            ORDER BY due_at, id
        """
        params: dict[str, object] = {"at": at}
        if wanted is not None:
            params["units"] = wanted
        return con.execute(sql, params).df()
    finally:
        engine.close()


@dataclass(frozen=True)
class OpenDossier:
    """One open dossier as early warning sees it (local times, without an offset, as the records have them)."""

    id: str
    procedure_code: str
    receiving_unit: str
    unit_era: str
    level: str | None
    received_at: dt.datetime
    due_at: dt.datetime
    status: str
    simulated: bool
    working_days_left: int
    state: str


@dataclass(frozen=True)
class UnitDue:
    """A receiving unit's open dossiers counted by state."""

    unit_era: str
    receiving_unit: str
    overdue: int
    due_today: int
    due_soon: int
    later: int
    open: int


@dataclass(frozen=True)
class Warnings:
    """Open dossiers with their working days left, and the count per unit and state."""

    at: dt.datetime
    within: int
    dossiers: pd.DataFrame  # COLUMNS, due first
    by_unit: pd.DataFrame  # unit_era, receiving_unit, overdue, due_today, due_soon, later, open

    def unit_names(self) -> dict[tuple[str, str], str]:
        """The name of each (era, code) counted; the code itself for a unit the registry does not know."""
        from chiso import units
        from chiso.units.errors import UnitsError

        names = {}
        for counted in self.units():
            era, code = counted.unit_era, counted.receiving_unit
            try:
                names[(era, code)] = units.get(code, era=era).name
            except UnitsError:
                names[(era, code)] = code
        return names

    def rows(self, *, everything: bool = False, limit: int | None = None) -> list[OpenDossier]:
        """The dossiers needing action (or every open one), due first, as typed rows."""
        frame = self.dossiers if everything else self.attention
        records = frame.head(limit).to_dict(orient="records") if limit is not None else frame.to_dict("records")
        return [
            OpenDossier(
                id=str(r["id"]),
                procedure_code=str(r["procedure_code"]),
                receiving_unit=str(r["receiving_unit"]),
                unit_era=str(r["unit_era"]),
                level=None if pd.isna(r["level"]) else str(r["level"]),
                received_at=pd.Timestamp(r["received_at"]).to_pydatetime(),
                due_at=pd.Timestamp(r["due_at"]).to_pydatetime(),
                status=str(r["status"]),
                simulated=bool(r["simulated"]),
                working_days_left=int(r["working_days_left"]),
                state=str(r["state"]),
            )
            for r in records
        ]

    def units(self) -> list[UnitDue]:
        """The counts per unit, units with overdue dossiers first."""
        return [
            UnitDue(
                unit_era=str(r["unit_era"]),
                receiving_unit=str(r["receiving_unit"]),
                **{state: int(r[state]) for state in (*STATES, "open")},
            )
            for r in self.by_unit.to_dict(orient="records")
        ]

    @property
    def attention(self) -> pd.DataFrame:
        """The dossiers that need acting on now: overdue, due today or within the asked working days."""
        return self.dossiers[self.dossiers["state"] != "later"]


def warnings(
    lake: Lake,
    *,
    at: dt.datetime,
    within: int = 3,
    calendar: Calendar | None = None,
    units: Iterable[str] | None = None,
) -> Warnings:
    """Open dossiers at `at`, each with its working days left and state, and the counts per unit."""
    if within < 0:
        raise SourceError(f"Số ngày làm việc phải ≥ 0 — within must be 0 or more, not {within}")
    frame = open_dossiers(lake, at=at, units=units)
    due = [d.date() for d in pd.to_datetime(frame["due_at"])]
    left = (calendar or Calendar()).working_days_left(at.date(), due)
    frame = frame.assign(working_days_left=left.astype(int))
    frame["state"] = np.select(
        [left < 0, left == 0, left <= within], ["overdue", "due_today", "due_soon"], default="later"
    )
    counts = (
        pd.crosstab([frame["unit_era"], frame["receiving_unit"]], frame["state"])
        .reindex(columns=list(STATES), fill_value=0)
        .reset_index()
    )
    counts["open"] = counts[list(STATES)].sum(axis=1)
    counts = counts.sort_values(["overdue", "due_today", "due_soon", "receiving_unit"], ascending=[False] * 3 + [True])
    return Warnings(at, within, frame[COLUMNS].reset_index(drop=True), counts.reset_index(drop=True))


ACTION = "dossier.watch"


def for_actor(
    actor: Actor,
    lake: Lake,
    *,
    at: dt.datetime,
    within: int = 3,
    calendar: Calendar | None = None,
    unit: str | None = None,
) -> Warnings:
    """`warnings` as `actor` may see them: one unit's (asked, or an officer's own), or every unit's."""
    if unit is None and not actor.roles & ACTIONS[ACTION].roles:
        unit = actor.unit_code  # an officer sees their own unit without having to name it
    check(actor, ACTION, unit)
    return warnings(lake, at=at, within=within, calendar=calendar, units=None if unit is None else [unit])


def local(moment: dt.datetime) -> dt.datetime:
    """A moment as the lake's records write it: Vietnam's local time without an offset."""
    return moment.astimezone(VIETNAM).replace(tzinfo=None) if moment.tzinfo else moment


def parse_moment(text: str) -> dt.datetime:
    """A local date (its end: what was known that day) or date-time, for `--at` and `?at=`."""
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(23, 59, 59))
        return local(dt.datetime.fromisoformat(text))
    except ValueError:
        raise SourceError(
            f"Thời điểm không hợp lệ {text!r}: viết 2026-04-29 hoặc 2026-04-29T10:00 (giờ Việt Nam) — "
            "write a date or a local date-time"
        ) from None
