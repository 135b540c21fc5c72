"""Declared components of the Decision 766 index: the inputs Chiso cannot measure from its sources.

Six components are `measurable: false` (4.4 personal data store, 4.5a and 4.5b population data, 4.6
electronic certified copies, 5.1 and 5.2 feedback): the province's office or the unit declares their
inputs — the framework describes each (`variables`: label, unit, kind, bounds) — and every computation
of the index reads the latest declaration of each (`frame`). A component nobody declared has no value
and earns no points; the pages say "Chưa khai" rather than show a silent zero.

Declarations are versions (`Service766Declaration`): a new figure inserts the next version with who and
when; the same figure again inserts nothing. A batch is all or nothing: `declare` checks every figure
(`problems`) and writes none if one is wrong; what it writes counts at once: the stored results of its
periods are scored again (`rescore.apply`). Services do not commit.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chiso import clock, numbers, units
from chiso.audit import service as audit
from chiso.errors import MESSAGES, ChisoError, ConflictError
from chiso.framework.spec import RatioRule
from chiso.permissions import Actor, check
from chiso.service766 import rescore
from chiso.service766.compute import CODE, KINDS, framework
from chiso.service766.models import Service766Declaration, Service766Score
from chiso.service766.schemas import DeclarationIn
from chiso.sources.measures import load_measures
from chiso.units.ref import UnitRef

ERA = "2025"
PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2]))?$")
Key = tuple[str, str, str]  # unit code, period, variable
FIELDS = ("unit", "period", "component", "variable", "value")  # a file's columns, in the order problems are listed
CHUNK = 400  # (unit, period) pairs per statement: SQLite's bound-parameter limit


@dataclass(frozen=True)
class Input:
    """An input a person declares: what it is, the components that read it, and the bounds it keeps."""

    variable: str
    label: str
    label_en: str
    unit: str
    minimum: float | None
    maximum: float | None
    whole: bool  # a count
    components: tuple[str, ...]  # node codes, in the framework's order
    at_most: str | None  # the ratio's denominator it is the numerator of (declared, or measured: `received`)

    @property
    def name(self) -> Label:
        return Label(self.label, self.label_en)


@dataclass(frozen=True)
class Label:
    """A name shown in a message, in the reader's language."""

    vi: str
    en: str

    def __str__(self) -> str:
        return self.vi


MEASURED = {"received": Label("số hồ sơ tiếp nhận trong kỳ (đo tự động)", "dossiers received in the period (measured)")}


@dataclass(frozen=True)
class Problem:
    """What is wrong with one figure: its row (files), the field, the message code and its figures."""

    row: int | None
    field: str  # unit, period, component, variable or value
    code: str
    params: dict[str, Any]
    variable: str | None = None  # the input concerned, when known (the web shows the problem beside it)

    def text(self, gettext: Callable[[str], str] = str, lang: str = "vi") -> str:
        return gettext(MESSAGES[self.code]) % {k: _shown(v, lang) for k, v in self.params.items()}


class DeclarationRefused(ChisoError):
    """Figures that cannot be declared, each with its row and what to fix; nothing was written."""

    kind = "validation"

    def __init__(self, problems: Sequence[Problem], columns: Mapping[str, str] | None = None) -> None:
        self.problems = list(problems)
        self.columns = dict(columns or {})  # field → the header as a file names it
        super().__init__(code="s766.refused", params={"n": len(self.problems)})

    def lines(self, gettext: Callable[[str], str] = str, lang: str = "vi") -> list[str]:
        out = []
        for p in self.problems:
            if p.row is None:
                out.append(p.text(gettext, lang))
                continue
            column = self.columns.get(p.field, p.field)
            at = {"row": p.row, "column": column, "problem": p.text(gettext, lang)}
            out.append(gettext(MESSAGES["import.at"]) % at)
        return out

    def message(self, gettext: Callable[[str], str] = str, lang: str = "vi") -> str:
        return "\n".join([gettext(MESSAGES[self.code]) % {"n": len(self.problems)}, *self.lines(gettext, lang)])


@dataclass(frozen=True)
class Declared:
    """What a batch wrote: the new versions, how many figures were already so (nothing written), and
    what that did to the stored results."""

    written: list[Service766Declaration]
    unchanged: int
    rescored: rescore.Rescored = field(default_factory=rescore.Rescored)


@functools.cache
def inputs() -> dict[str, Input]:
    """The declared inputs by variable, from the framework: what the non-measurable components read,
    less what the `service-766` measures count (the dossiers received, 4.4's and 4.5b's denominator)."""
    fw = framework()
    measured = {o for m in load_measures(CODE).measures for o in m.outputs}
    readers: dict[str, list[str]] = {}
    limits: dict[str, str] = {}
    for node in fw.indicators:
        if node.measurable:
            continue
        for variable in node.variables:
            readers.setdefault(variable, []).append(node.code)
        if isinstance(node.scoring, RatioRule):
            limits[node.scoring.numerator] = node.scoring.denominator
    found = {}
    for variable, components in readers.items():
        if variable in measured:
            continue
        spec = fw.variable(variable)  # a KeyError here: the framework must describe every declared input
        found[variable] = Input(
            variable,
            spec.label,
            spec.label_en,
            spec.unit,
            spec.min,
            spec.max,
            spec.kind == "count",
            tuple(components),
            limits.get(variable),
        )
    return found


def component_of(code: str) -> str | None:
    """A component's node code from its number or code (5.1, s5_1), or None."""
    fw = framework()
    for node in fw.indicators:
        if code in (node.code, node.number):
            return node.code
    return None


def number_of(code: str) -> str:
    """A component's number as the Decision writes it (5.1), or its code when it has none."""
    return framework().node(code).number or code


def problems(*, session: Session, items: Sequence[DeclarationIn]) -> list[Problem]:
    """Every problem of the batch: unit, period, variable, value, duplicates, and a numerator above its
    denominator — as declared in the batch, stored already, or (for dossiers) counted in the stored results."""
    known = inputs()
    today = clock.of(session).today()
    found: list[Problem] = []
    first: dict[Key, int | None] = {}
    good: list[DeclarationIn] = []
    for item in items:
        before = len(found)
        found.extend(_unit_problems(item))
        found.extend(_period_problems(item, today))
        spec = known.get(item.variable)
        if spec is None:
            found.append(
                Problem(
                    item.row, "variable", "s766.variable-unknown", {"variable": item.variable, "known": list(known)}
                )
            )
        else:
            found.extend(_value_problems(item, spec))
        if item.key in first:
            params = {"unit": item.unit_code, "period": item.period, "variable": item.variable}
            found.append(Problem(item.row, "variable", "s766.row-twice", {**params, "first": first[item.key]}))
        first.setdefault(item.key, item.row)
        if len(found) == before:
            good.append(item)
    found.extend(_denominator_problems(session, good, known))
    return sorted(found, key=_order)


def _order(problem: Problem) -> tuple[int, int]:
    """As the file reads: by row, then by column."""
    return (problem.row or 0, FIELDS.index(problem.field) if problem.field in FIELDS else len(FIELDS))


def _unit_problems(item: DeclarationIn) -> list[Problem]:
    try:
        unit = units.get(item.unit_code, era=ERA)
    except units.UnitsError:
        return [Problem(item.row, "unit", "s766.unit-unknown", {"unit": item.unit_code})]
    if unit.kind.value not in KINDS:
        return [Problem(item.row, "unit", "s766.unit-kind", {"unit": f"{unit.name} ({unit.code})"})]
    return []


def period_start(period: str) -> dt.date | None:
    found = PERIOD.match(period)
    if found is None or not 2015 <= int(found.group(1)) <= 2100:
        return None
    return dt.date(int(found.group(1)), int(found.group(2) or 1), 1)


def _period_problems(item: DeclarationIn, today: dt.date) -> list[Problem]:
    start = period_start(item.period)
    if start is None:
        return [Problem(item.row, "period", "s766.period-invalid", {"period": item.period})]
    if start > today:
        return [
            Problem(item.row, "period", "s766.period-future", {"period": item.period, "today": f"{today:%d/%m/%Y}"})
        ]
    return []


def _value_problems(item: DeclarationIn, spec: Input) -> list[Problem]:
    params = {"label": spec.name, "value": item.value}
    value = item.value

    def problem(code: str, **more: Any) -> list[Problem]:
        return [Problem(item.row, "value", code, {**params, **more}, item.variable)]

    if not math.isfinite(value):
        return problem("s766.value-invalid", problem="không hữu hạn / not finite")
    if spec.minimum is not None and value < spec.minimum:
        return problem("s766.value-min", min=spec.minimum)
    if spec.maximum is not None and value > spec.maximum:
        return problem("s766.value-max", max=spec.maximum)
    if spec.whole and value != int(value):
        return problem("s766.value-whole")
    return []


def _denominator_problems(
    session: Session, items: Sequence[DeclarationIn], known: Mapping[str, Input]
) -> list[Problem]:
    """A numerator above its denominator, both as they will stand after the batch; reported once, on
    the numerator's row when the batch gives it, else on the denominator's."""
    if not items:
        return []
    batch = {i.key: i for i in items}
    places = {(i.unit_code, i.period) for i in items}
    state = {key: row.value for key, row in latest(session, places).items()} | {k: i.value for k, i in batch.items()}
    measured = _measured_inputs(session, places)
    found = []
    for unit, period in sorted(places):
        for numerator, spec in known.items():
            denominator = spec.at_most
            if denominator is None:
                continue
            item = batch.get((unit, period, numerator)) or batch.get((unit, period, denominator))
            top = state.get((unit, period, numerator))
            limit = state.get((unit, period, denominator))
            if limit is None and denominator not in known:  # a measured count, as the stored result read it
                limit = measured.get((unit, period), {}).get(denominator)
            if item is None or top is None or limit is None or top <= limit:
                continue
            other = known[denominator].name if denominator in known else MEASURED[denominator]
            params = {"label": spec.name, "value": top, "other": other, "limit": limit}
            found.append(Problem(item.row, "value", "s766.above-denominator", params, item.variable))
    return found


def latest(session: Session, places: Iterable[tuple[str, str]]) -> dict[Key, Service766Declaration]:
    """The current version of every declared input of these (unit, period) places."""
    wanted = sorted(set(places))
    found: dict[Key, Service766Declaration] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        rows = session.scalars(
            select(Service766Declaration)
            .where(
                Service766Declaration.era == ERA,
                tuple_(Service766Declaration.unit_code, Service766Declaration.period).in_(chunk),
            )
            .order_by(Service766Declaration.version)
        )
        for row in rows:  # later versions overwrite earlier ones
            found[(row.unit_code, row.period, row.variable)] = row
    return found


def _measured_inputs(session: Session, places: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    wanted = sorted(set(places))
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        rows = session.execute(
            select(Service766Score.unit_code, Service766Score.period, Service766Score.inputs).where(
                Service766Score.era == ERA, tuple_(Service766Score.unit_code, Service766Score.period).in_(chunk)
            )
        )
        for unit, period, values in rows:
            found[(unit, period)] = dict(values or {})
    return found


def declare(
    *,
    session: Session,
    items: Sequence[DeclarationIn],
    actor: Actor,
    expected: Mapping[Key, int] | None = None,
    refused: Sequence[Problem] = (),
    columns: Mapping[str, str] | None = None,
) -> Declared:
    """Record every figure of the batch as the next version of its input, or none of them.

    `refused` are problems found before (a file's unreadable rows): they are listed with the batch's
    own. `expected` (key → the version the caller read, 0 for none) makes a stale form a ConflictError
    carrying the current figure; so does a concurrent writer inserting the same version first.
    """
    for ref in dict.fromkeys(i.unit for i in items):
        check(actor, "service766.declare", ref)
    found = sorted([*refused, *problems(session=session, items=items)], key=_order)
    if found:
        raise DeclarationRefused(found, columns)
    current = latest(session, {(i.unit_code, i.period) for i in items})
    for key, version in (expected or {}).items():
        now = current.get(key)
        if (now.version if now else 0) != version:
            raise ConflictError(_subject(key), now.value if now else None)
    rows, unchanged = [], 0
    before: dict[str, dict[str, Any]] = {}
    after: dict[str, dict[str, Any]] = {}
    for item in items:
        old = current.get(item.key)
        if old is not None and old.value == item.value:
            unchanged += 1
            continue
        rows.append(
            Service766Declaration(
                era=item.era,
                unit_code=item.unit_code,
                period=item.period,
                variable=item.variable,
                value=item.value,
                version=(old.version if old else 0) + 1,
                recorded_by=actor.user,
                note=item.note,
            )
        )
        place = f"{item.period}/{item.variable}"
        before.setdefault(item.unit_code, {})[place] = None if old is None else old.value
        after.setdefault(item.unit_code, {})[place] = item.value
    if not rows:
        return Declared([], unchanged)
    try:
        with session.begin_nested():
            session.add_all(rows)
            session.flush()
    except IntegrityError:  # a concurrent writer inserted one of these versions first
        key = (rows[0].unit_code, rows[0].period, rows[0].variable)
        now = latest(session, [key[:2]]).get(key)
        raise ConflictError(_subject(key), now.value if now else None) from None
    for unit, figures in after.items():
        audit.record(
            session=session,
            actor=actor.user,
            action="service766.declare",
            entity="service766_declaration",
            entity_key=f"{ERA}:{unit}",
            unit_code=unit,
            before=before[unit],
            after=figures,
        )
    return Declared(rows, unchanged, rescore.apply(session=session, places={(r.unit_code, r.period) for r in rows}))


def _subject(key: Key) -> str:
    unit, period, variable = key
    spec = inputs().get(variable)
    return f"{spec.label if spec else variable} ({unit}, {period})"


def current(
    *, session: Session, unit: UnitRef, periods: Iterable[str], actor: Actor
) -> dict[tuple[str, str], Service766Declaration]:
    """A unit's current declarations of these periods, by (period, variable), for its pages."""
    check(actor, "results.view", unit)
    found = latest(session, [(unit.code, p) for p in periods])
    return {(period, variable): row for (_, period, variable), row in found.items()}


def frame(
    *,
    session: Session,
    province: str,
    actor: Actor,
    grains: Iterable[str] = ("month", "year"),
    since: str | None = None,
    until: str | None = None,
) -> pd.DataFrame:
    """unit, period, variable, value, version: the current declaration of every input of the province's
    units, for the periods a computation of these grains and dates makes (what `compute(declared=…)` takes)."""
    check(actor, "results.compute", province)
    latest = (
        select(
            Service766Declaration.unit_code,
            Service766Declaration.period,
            Service766Declaration.variable,
            func.max(Service766Declaration.version).label("version"),
        )
        .where(Service766Declaration.era == ERA)
        .group_by(Service766Declaration.unit_code, Service766Declaration.period, Service766Declaration.variable)
        .subquery()
    )
    rows = session.execute(
        select(
            Service766Declaration.unit_code,
            Service766Declaration.period,
            Service766Declaration.variable,
            Service766Declaration.value,
            Service766Declaration.version,
        ).join(
            latest,
            (Service766Declaration.unit_code == latest.c.unit_code)
            & (Service766Declaration.period == latest.c.period)
            & (Service766Declaration.variable == latest.c.variable)
            & (Service766Declaration.version == latest.c.version)
            & (Service766Declaration.era == ERA),
        )
    ).all()
    wanted = set(grains)
    low = dt.date.fromisoformat(since[:10]) if since else None
    high = dt.date.fromisoformat(until[:10]) if until else None
    kept = []
    for unit, period, variable, value, version in rows:
        start = period_start(period)
        if start is None or _grain(period) not in wanted or not _in_province(unit, province):
            continue
        end = _period_end(period)
        if (low is not None and end <= low) or (high is not None and start >= high):
            continue
        kept.append((unit, period, variable, float(value), int(version)))
    return pd.DataFrame(kept, columns=["unit", "period", "variable", "value", "version"])


def _grain(period: str) -> str:
    return "year" if len(period) == 4 else "month"


def _period_end(period: str) -> dt.date:
    """The first day after the period."""
    start = period_start(period)
    assert start is not None
    if len(period) == 4:
        return dt.date(start.year + 1, 1, 1)
    return dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)


@functools.cache
def _in_province(code: str, province: str) -> bool:
    try:
        return units.get(code, era=ERA).province_code == province or code == province
    except units.UnitsError:
        return False


def _shown(value: Any, lang: str) -> str:
    if isinstance(value, Label):
        return (value.en or value.vi) if lang == "en" else value.vi
    if isinstance(value, float):
        return numbers.format(value, lang=lang)
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)
