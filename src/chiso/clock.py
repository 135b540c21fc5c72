"""Chiso's one clock: what "now" and "today" are, held by the app and the CLI, never read from the system
by a service or a page itself.

Deadlines, overdue tasks and token expiry depend on the date; a service that read `date.today()` made
the test suite fail once the calendar passed a date written in a test. The web app keeps a clock on
`app.state.clock`, the CLI makes one per command, and both hand it to the database session
(`bind(session, clock)`), where services and the models' timestamp defaults find it (`of(session)`).
The setting `CHISO_CLOCK` freezes it (rehearsals, tests); tests freeze it relative to the real date.

"Today" is the date in Vietnam (UTC+7, no daylight saving): a deadline of 30/11 ends at midnight in
the province, not in UTC. Timestamps are stored in UTC.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the clock itself needs no database; the CLI imports it before SQLAlchemy
    from sqlalchemy.orm import Session

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")
KEY = "chiso.clock"


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, aware, in UTC."""
        ...

    def today(self) -> dt.date:
        """The current date in Vietnam."""
        ...


@dataclass(frozen=True)
class SystemClock:
    """The machine's clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.now().astimezone(VIETNAM).date()


@dataclass(frozen=True)
class FixedClock:
    """A clock stopped at one instant (tests, rehearsals of a deadline)."""

    at: dt.datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("a fixed clock needs a time zone, e.g. 2026-12-07T09:00:00+07:00")

    def now(self) -> dt.datetime:
        return self.at.astimezone(dt.UTC)

    def today(self) -> dt.date:
        return self.at.astimezone(VIETNAM).date()

    def shifted(self, **delta: float) -> FixedClock:
        return FixedClock(self.at + dt.timedelta(**delta))


@dataclass(frozen=True)
class StartedClock:
    """A clock set to `start` when it was made, running on from there at the machine's pace.

    What the setting `clock` and the tests use: "today" is the day asked for, and time still moves, so
    that what is recorded later has a later time (a value recorded after a run was computed must not
    look as if the run read it).
    """

    start: dt.datetime
    origin: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("a clock needs a time zone, e.g. 2026-12-07T09:00:00+07:00")

    def now(self) -> dt.datetime:
        return self.start.astimezone(dt.UTC) + dt.timedelta(seconds=time.monotonic() - self.origin)

    def today(self) -> dt.date:
        return self.now().astimezone(VIETNAM).date()


SYSTEM = SystemClock()


def parse(text: str) -> StartedClock:
    """A clock started at `2027-12-07` (09:00 in Vietnam) or at an ISO date-time (Vietnam time unless it
    names its zone)."""
    try:
        if len(text.strip()) == 10:
            return StartedClock(dt.datetime.combine(dt.date.fromisoformat(text.strip()), dt.time(9), VIETNAM))
        at = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"not a date or date-time: {text!r} (e.g. 2027-12-07 or 2027-12-07T09:00:00+07:00)") from exc
    return StartedClock(at if at.tzinfo else at.replace(tzinfo=VIETNAM))


def from_setting(value: str | None) -> Clock:
    """The clock a setting names: started at its value, or the system clock when it is empty."""
    return parse(value) if value else SYSTEM


def bind(session: Session, clock: Clock) -> Session:
    """Give a session its clock: the services and the timestamp defaults of its rows read this one."""
    session.info[KEY] = clock
    return session


def of(session: Session) -> Clock:
    """The session's clock (the system clock for a session nobody gave one, e.g. a library caller's)."""
    clock: Clock = session.info.get(KEY, SYSTEM)
    return clock
