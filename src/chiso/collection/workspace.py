"""The appraiser's workspace, read side: a period's queue of units, and one unit's sheet.

The sheet shows each item as the framework publishes it (official number, name, group), the figures
with their labels and units, the evidence documents, the self-score beside the points the engine gives
the figures (`validation.computed_points`), and the validation warnings. The decisions themselves are
`collection.review`'s. A queue counts each unit's warnings with the validation rules; a unit's count is
kept in a `WarningCounts` (the app holds one) until anything it reads changes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload, selectinload

from chiso import units
from chiso.collection.models import CollectionPeriod, Declaration, Evidence, Submission
from chiso.collection.service import framework_of, get_period, get_submission
from chiso.collection.validation import ItemState, UnitState, computed_points, load_rules, validate
from chiso.errors import NotFound
from chiso.framework import Framework, Indicator
from chiso.framework.describe import display_code
from chiso.framework.spec import Aggregate, View
from chiso.permissions import Actor, check
from chiso.values import service as values
from chiso.values.models import Value

WAITING = ("submitted", "resubmitted")
DECIDED = ("accepted", "approved", "published")
PREVIEWS = {"application/pdf": "pdf", "image/png": "image", "image/jpeg": "image"}


# --- periods ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodChoice:
    code: str
    name: str  # "2025 · Bộ chỉ số đánh giá chuyển đổi số cấp xã, phường 2025"
    name_en: str  # the framework's name is stored in its own language only
    state: str


def period_choice(period: CollectionPeriod) -> PeriodChoice:
    # the framework's name as stored with it: its YAML (deferred, large) stays unread
    name = f"{period.year} · {period.framework_version.name}"
    return PeriodChoice(period.code, name, name, period.state)


def periods(*, session: Session, actor: Actor) -> list[PeriodChoice]:
    """The periods the actor may appraise in: every period not yet published (newest first)."""
    check(actor, "declaration.appraise")
    found = session.scalars(
        select(CollectionPeriod)
        .where(CollectionPeriod.state != "published")
        .order_by(CollectionPeriod.year.desc(), CollectionPeriod.code)
    ).all()
    return [period_choice(p) for p in found]


# --- the queue --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    unit_code: str
    unit_name: str
    kind: str  # xã, phường, sở …
    state: str
    items: int
    to_decide: int
    returned: int
    decided: int
    warnings: int | None  # None while the unit is a draft (its warnings are the officer's)
    last_change: dt.datetime | None


@dataclass(frozen=True)
class Queue:
    period: PeriodChoice
    rows: list[QueueRow]

    @property
    def kinds(self) -> list[str]:
        return sorted({r.kind for r in self.rows})

    @property
    def states(self) -> list[str]:
        order = ("submitted", "resubmitted", "returned", "accepted", "approved", "draft", "published")
        return [s for s in order if any(r.state == s for r in self.rows)]


class Memo:
    """A bounded, thread-safe memo of what the workspace computes from data it keys by (the app keeps
    one): each unit's warning count, each unit's points and problems. A key says everything the value
    was computed from, so a changed unit simply misses."""

    def __init__(self, size: int = 4096) -> None:
        self._found: OrderedDict[tuple[object, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def get(self, key: tuple[object, ...]) -> Any:
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], value: object) -> None:
        with self._lock:
            self._found[key] = value
            while len(self._found) > self.size:
                self._found.popitem(last=False)


@dataclass
class _Tally:
    """One unit's items as the queue counts them."""

    state: str
    states: dict[str, int] = field(default_factory=dict)
    changed: dt.datetime | None = None
    versions: int = 0


def queue(*, session: Session, period_code: str, actor: Actor, counts: Memo | None = None) -> Queue:
    """The period's units with their state, items to decide, returned and decided, warnings, last change."""
    check(actor, "declaration.appraise")
    period = get_period(session=session, code=period_code)
    counts = counts or Memo()
    rows = session.execute(
        select(
            Submission.unit_code,
            Submission.state,
            Declaration.state,
            func.count(),
            func.max(Declaration.updated_at),
            func.sum(Declaration.version),
        )
        .join(Declaration, Declaration.submission_id == Submission.id)
        .where(Submission.period_id == period.id)
        .group_by(Submission.unit_code, Submission.state, Declaration.state)
    ).all()
    latest_value = dict(
        session.execute(
            select(Value.unit_code, func.max(Value.id))
            .where(Value.period == period.value_period, Value.era == period.era)
            .group_by(Value.unit_code)
        ).all()
    )
    by_unit: dict[str, _Tally] = {}
    for unit_code, unit_state, item_state, n, changed, versions in rows:
        tally = by_unit.setdefault(unit_code, _Tally(unit_state))
        tally.states[item_state] = n
        tally.versions += int(versions or 0)
        if changed is not None and (tally.changed is None or changed > tally.changed):
            tally.changed = changed
    # what a count reads: the items (their versions and last change) and the unit's values (the latest id)
    keys = {
        code: ("warnings", period.id, code, tally.versions, tally.changed, latest_value.get(code))
        for code, tally in by_unit.items()
    }
    warnings = {code: counts.get(key) for code, key in keys.items() if by_unit[code].state != "draft"}
    missing = [code for code, found in warnings.items() if found is None]
    if missing:
        for code, count in _count_warnings(session, period, missing).items():
            warnings[code] = count
            counts.put(keys[code], count)
    out = []
    for code, tally in sorted(by_unit.items()):
        states = tally.states
        found = units.find(code, era=period.era)
        out.append(
            QueueRow(
                code,
                found[0].name if found else code,
                found[0].subtype_label if found else "",
                tally.state,
                sum(states.values()),
                sum(states.get(s, 0) for s in WAITING),
                states.get("returned", 0),
                sum(states.get(s, 0) for s in DECIDED),
                warnings.get(code),
                tally.changed,
            )
        )
    return Queue(period_choice(period), out)


def _count_warnings(session: Session, period: CollectionPeriod, unit_codes: list[str]) -> dict[str, int]:
    framework = framework_of(period)
    rules = load_rules(framework.code)
    stored = values.current(session=session, period=period.value_period, era=period.era, unit_codes=unit_codes)
    evidence = dict(
        session.execute(
            select(Evidence.declaration_id, func.count())
            .group_by(Evidence.declaration_id)
            .where(
                Evidence.declaration_id.in_(
                    select(Declaration.id)
                    .join(Submission, Declaration.submission_id == Submission.id)
                    .where(Submission.period_id == period.id, Submission.unit_code.in_(unit_codes))
                )
            )
        ).all()
    )
    items = session.execute(
        select(Submission.unit_code, Declaration.id, Declaration.indicator_code, Declaration.self_score)
        .join(Submission, Declaration.submission_id == Submission.id)
        .where(Submission.period_id == period.id, Submission.unit_code.in_(unit_codes))
    ).all()
    states = {code: UnitState() for code in unit_codes}
    for (code, variable), value in stored.items():
        states[code].figures[variable] = value.value
        if value.source == "measured":
            states[code].measured.add(variable)
    for code, item_id, indicator, self_score in items:
        states[code].items[indicator] = ItemState(self_score, evidence.get(item_id, 0))
    return {
        code: sum(1 for p in validate(framework, rules, state) if p.severity == "warning")
        for code, state in states.items()
    }


# --- one unit's sheet -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    variable: str
    label: str
    label_en: str
    unit: str
    kind: str  # count, share, amount, boolean, level, date, text ("" when the framework does not say)
    value: float | None
    option: str = ""  # the label of a level's value
    option_en: str = ""


@dataclass(frozen=True)
class Document:
    """An evidence document: số hiệu – ngày – trích yếu, and its file if one was attached."""

    id: int
    doc_number: str
    doc_date: dt.date | None
    summary: str
    file_name: str | None
    preview: str  # "pdf", "image" or "" (shown in the page only when the browser can show it safely)


@dataclass(frozen=True)
class SheetItem:
    code: str
    number: str
    name: str
    name_en: str
    max_points: float | None
    state: str
    self_score: float | None
    computed: float | None  # the points the engine gives the figures
    appraised_score: float | None
    comment: str
    explanation: str
    required: str  # the evidence the framework asks for
    figures: list[Figure]
    documents: list[Document]
    warnings: list[str]
    version: int

    @property
    def difference(self) -> float | None:
        """Self-score minus the points from the figures: positive when the unit claims more."""
        if self.self_score is None or self.computed is None:
            return None
        return self.self_score - self.computed

    @property
    def waiting(self) -> bool:
        return self.state in WAITING

    @property
    def returnable(self) -> bool:
        return self.state in (*WAITING, "accepted")


@dataclass(frozen=True)
class Group:
    code: str
    number: str
    name: str
    name_en: str
    items: list[SheetItem]


@dataclass(frozen=True)
class Sheet:
    period: PeriodChoice
    unit_code: str
    unit_name: str
    state: str
    groups: list[Group]
    by_state: dict[str, int] = field(default_factory=dict)  # every item of the unit, by state

    @property
    def items(self) -> list[SheetItem]:
        return [i for g in self.groups for i in g.items]

    @property
    def approvable(self) -> bool:
        """Every item of the unit accepted (all of them, also when the sheet holds only some)."""
        return set(self.by_state) == {"accepted"}

    @property
    def to_decide(self) -> int:
        return sum(n for state, n in self.by_state.items() if state in WAITING)


def groups_of(framework: Framework) -> list[tuple[Aggregate | View, list[Indicator]]]:
    """The framework's groups of indicators in reading order: each aggregate with the indicators right under it."""
    out: list[tuple[Aggregate | View, list[Indicator]]] = []
    seen: set[str] = set()

    def walk(node: Aggregate | View) -> None:
        own: list[Indicator] = []
        entry = (node, own)
        out.append(entry)
        for child in node.children:
            found = framework.node(child.code)
            if isinstance(found, Indicator):
                if found.code not in seen:
                    seen.add(found.code)
                    own.append(found)
            else:
                walk(found)

    root = framework.node(framework.index)
    assert not isinstance(root, Indicator)
    walk(root)
    rest = [i for i in framework.indicators if i.code not in seen]
    if rest:
        out.append((root, rest))
    return [(node, own) for node, own in out if own]


def _figure(framework: Framework, variable: str, value: float | None) -> Figure:
    try:
        spec = framework.variable(variable)
    except KeyError:
        return Figure(variable, variable, variable, "", "", value)
    option = next((o for o in spec.options if value is not None and o.value == value), None)
    return Figure(
        variable,
        spec.label or variable,
        spec.label_en or spec.label or variable,
        spec.unit,
        spec.kind or "",
        value,
        option.label if option else "",
        (option.label_en or option.label) if option else "",
    )


def _document(e: Evidence) -> Document:
    preview = PREVIEWS.get(e.media_type or "", "") if e.file_sha256 else ""
    return Document(e.id, e.doc_number, e.doc_date, e.summary, e.file_name, preview)


def sheet(
    *,
    session: Session,
    period_code: str,
    unit_code: str,
    actor: Actor,
    only: Sequence[str] = (),
    memo: Memo | None = None,
) -> Sheet:
    """One unit's items, grouped as the framework groups them; `only` keeps just these indicators.

    The points from the figures and the rules' problems are kept in `memo` by what they read (the
    figures' latest versions, self-scores, evidence counts): a decision changes none of them."""
    check(actor, "declaration.appraise", unit_code)
    period = get_period(session=session, code=period_code)
    submission = get_submission(session=session, period=period, unit_code=unit_code)
    framework = framework_of(period)
    rows = {
        d.indicator_code: d
        for d in session.scalars(
            select(Declaration)
            .where(Declaration.submission_id == submission.id)
            .options(lazyload(Declaration.submission), selectinload(Declaration.evidence))
        )
    }
    stored = values.current(session=session, period=period.value_period, era=period.era, unit_codes=[unit_code])
    figures = {variable: v.value for (_, variable), v in stored.items()}
    state = UnitState(
        figures=dict(figures),
        items={code: ItemState(d.self_score, len(d.evidence)) for code, d in rows.items()},
        measured={variable for (_, variable), v in stored.items() if v.source == "measured"},
    )
    key = (
        "analysis",
        period.id,
        unit_code,
        max((v.id for v in stored.values()), default=0),
        tuple(sorted((code, i.self_score, i.evidence) for code, i in state.items.items())),
    )
    memo = memo or Memo()
    found = memo.get(key)
    if found is None:
        points = computed_points(framework, figures)
        problems: dict[str, list[str]] = {}
        for p in validate(framework, load_rules(framework.code), state, points):
            if p.indicator:
                problems.setdefault(p.indicator, []).append(p.message)
        found = (points, problems)
        memo.put(key, found)
    points, problems = found
    groups = []
    for node, indicators in groups_of(framework):
        items = []
        for ind in indicators:
            row = rows.get(ind.code)
            if row is None or (only and ind.code not in only):
                continue
            items.append(
                SheetItem(
                    ind.code,
                    display_code(ind),
                    ind.name,
                    ind.name_en or ind.name,
                    ind.max_points,
                    row.state,
                    row.self_score,
                    points.get(ind.code),
                    row.appraised_score,
                    row.comment,
                    row.explanation,
                    ind.evidence,
                    [_figure(framework, v, figures.get(v)) for v in ind.variables],
                    [_document(e) for e in row.evidence],
                    problems.get(ind.code, []),
                    row.version,
                )
            )
        if items:
            groups.append(Group(node.code, node.number or "", node.name, node.name_en or node.name, items))
    by_state: dict[str, int] = {}
    for d in rows.values():
        by_state[d.state] = by_state.get(d.state, 0) + 1
    found = units.find(unit_code, era=period.era)
    return Sheet(
        period_choice(period), unit_code, found[0].name if found else unit_code, submission.state, groups, by_state
    )


def next_waiting(*, session: Session, period_code: str, unit_code: str, actor: Actor) -> str:
    """The unit after `unit_code` (by code, wrapping round) with items waiting for a decision, or ""."""
    check(actor, "declaration.appraise")
    period = get_period(session=session, code=period_code)
    codes = session.scalars(
        select(Submission.unit_code)
        .where(
            Submission.period_id == period.id,
            Submission.state.in_(WAITING),
            Submission.unit_code != unit_code,
        )
        .order_by(Submission.unit_code)
    ).all()
    later = [c for c in codes if c > unit_code]
    return (later or list(codes) or [""])[0]


def evidence_for_preview(*, session: Session, evidence_id: int, actor: Actor) -> Evidence:
    """An evidence document whose file the actor may see in the page (PDF, PNG, JPEG only)."""
    row = session.execute(
        select(Evidence, Submission.unit_code)
        .join(Declaration, Evidence.declaration_id == Declaration.id)
        .join(Submission, Declaration.submission_id == Submission.id)
        .where(Evidence.id == evidence_id)
    ).first()
    if row is None:
        raise NotFound(f"không có minh chứng số {evidence_id} / no evidence {evidence_id}")
    evidence, unit_code = row
    check(actor, "declaration.view", unit_code)
    if not evidence.file_sha256 or (evidence.media_type or "") not in PREVIEWS:
        raise NotFound("minh chứng này không có tệp xem được trong trang / this evidence has no file to preview")
    return evidence
