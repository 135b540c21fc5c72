"""The declaration page's context: each item with typed inputs described by its framework, the rule in
words, the points its figures give and the rules' findings; the summary bar above them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from chiso import numbers
from chiso.collection import progress, review
from chiso.collection import service as collection
from chiso.collection.models import CollectionPeriod, Evidence
from chiso.collection.progress import ItemProgress, UnitProgress
from chiso.collection.schemas import ItemView, Problem
from chiso.errors import NotFound
from chiso.framework import Framework, Indicator
from chiso.framework.describe import display_code, rule_in_words
from chiso.framework.spec import VariableSpec
from chiso.web.deps import Who
from chiso.web.pages.declare_render import in_language
from chiso.web.render import Page

# How each kind of variable is typed: the input's `inputmode` (the phone's keyboard).
INPUT_MODE = {"count": "numeric", "share": "decimal", "amount": "decimal"}
EXCEL_EPOCH = dt.date(1899, 12, 30)  # a date variable is stored as Excel's serial day number


@dataclass(frozen=True)
class Posted:
    """What the officer typed in an item's form, shown again as typed when the save is refused."""

    figures: dict[str, str]
    self_score: str
    explanation: str
    kept: frozenset[int]  # evidence rows ticked to keep
    doc_number: str
    doc_date: str
    summary: str
    file_name: str  # the file sent with the refused save (a browser cannot be handed it back)
    pending: str = ""  # a signed reference to that file, kept in the evidence store (web.pages.pending)


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Input:
    """One figure of an item as the form asks for it: label and unit of measure, typed by its kind."""

    variable: str  # the field's name (v:variable); never shown
    label: str
    unit: str
    kind: str  # count, share, amount, boolean, level, date, text ("" when the framework does not say)
    value: str  # as the field shows it: a share in per cent, a date as yyyy-mm-dd
    options: tuple[Option, ...] = ()
    hint: str = ""
    measured: bool = False

    @property
    def inputmode(self) -> str:
        return INPUT_MODE.get(self.kind, "decimal")


@dataclass(frozen=True)
class Item:
    view: ItemView
    indicator: Indicator
    number: str  # the official number (4.22.10)
    name: str
    rule: str
    inputs: list[Input]
    evidence: list[Evidence]
    pillar: str
    progress: ItemProgress
    errors: list[str] = field(default_factory=list)
    posted: Posted | None = None  # the refused input, shown instead of the stored item

    @property
    def editable(self) -> bool:
        return self.view.state in ("draft", "returned")

    def problems_at(self, column: str) -> list[Problem]:
        return [p for p in self.progress.problems if p.column == column]

    @property
    def problems_elsewhere(self) -> list[Problem]:
        """Findings that name no field of the form (the evidence, another figure)."""
        fields = {i.variable for i in self.inputs} | {"self_score"}
        return [p for p in self.progress.problems if p.column not in fields]


@dataclass(frozen=True)
class ImportProblem:
    sheet: str
    row: int | None
    column: str
    message: str


@dataclass(frozen=True)
class DeclarePage(Page):
    periods: list[tuple[str, str]]  # (code, name)
    period: str | None
    period_name: str
    unit_code: str | None
    unit_name: str
    state: str
    items: list[Item]
    summary: UnitProgress | None
    message: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    import_problems: list[ImportProblem] = field(default_factory=list)
    confirm: bool = False  # ask to confirm the submission (the form without JavaScript)
    lang: str = "vi"

    def say(self, message: str) -> str:
        """A bilingual message (the rules', the services') in the page's language."""
        return in_language(message, self.lang)

    @property
    def editable_items(self) -> int:
        return sum(1 for it in self.items if it.editable)


def period_name(framework: Framework, year: int, lang: str) -> str:
    name = framework.name_en if lang == "en" and framework.name_en else framework.name
    return name if str(year) in name else f"{name} {year}"


def _pillars(fw: Framework) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in fw.aggregates:
        if node.kind == "aggregate" and node.code != fw.index:
            title = f"{display_code(node)}. {node.name}" if node.number else node.name
            for child in node.children:
                out.setdefault(child.code, title)
    return out


def shown(spec: VariableSpec | None, value: float | None, lang: str) -> str:
    """A stored figure as its field shows it: a share in per cent, a date as yyyy-mm-dd."""
    if value is None:
        return ""
    kind = spec.kind if spec else None
    if kind == "share":
        return numbers.field(round(value * 100, 10), lang=lang)
    if kind == "date":
        return (EXCEL_EPOCH + dt.timedelta(days=int(value))).isoformat()
    return numbers.field(value, lang=lang)


def _spec(fw: Framework, variable: str) -> VariableSpec | None:
    try:
        return fw.variable(variable)
    except KeyError:
        return None


def _hint(spec: VariableSpec | None, lang: str) -> str:
    if spec is None or spec.kind not in ("count", "amount", "share"):
        return ""
    low, high = spec.min, spec.max
    if spec.kind == "share":
        low, high = (None if low is None else low * 100), (None if high is None else high * 100)
    if low is not None and high is not None:
        return f"{numbers.format(low, lang=lang)}–{numbers.format(high, lang=lang)}"
    if low is not None:
        return f"≥ {numbers.format(low, lang=lang)}"
    return ""


def inputs(fw: Framework, view: ItemView, lang: str, measured: set[str]) -> list[Input]:
    out = []
    for var, value in view.values.items():
        spec = _spec(fw, var)
        label = var
        if spec is not None:
            label = (spec.label_en or spec.label) if lang == "en" else (spec.label or spec.label_en)
            label = label or var
        options = tuple(
            Option(numbers.field(o.value, lang=lang), (o.label_en or o.label) if lang == "en" else o.label)
            for o in (spec.options if spec else ())
        )
        out.append(
            Input(
                var,
                label,
                "%" if spec is not None and spec.kind == "share" else (spec.unit if spec else ""),
                (spec.kind or "") if spec else "",
                shown(spec, value, lang),
                options,
                _hint(spec, lang),
                var in measured,
            )
        )
    return out


def item_of(
    fw: Framework, view: ItemView, evidence: list[Evidence], pillar: str, found: ItemProgress, lang: str
) -> Item:
    node = fw.node(view.indicator)
    assert isinstance(node, Indicator)
    vi, en = rule_in_words(node, fw.pipeline.normalise, framework=fw)
    measured = set(node.variables) if node.measurable else set()
    return Item(
        view,
        node,
        display_code(node),
        node.name_en if lang == "en" and node.name_en else node.name,
        en if lang == "en" else vi,
        inputs(fw, view, lang, measured),
        evidence,
        pillar,
        found,
    )


def _in_scope(session: Session, period: CollectionPeriod, unit_code: str) -> bool:
    try:
        collection.get_submission(session=session, period=period, unit_code=unit_code)
    except NotFound:
        return False
    return True


def build(
    session: Session,
    who: Who,
    period_code: str | None,
    unit_code: str | None,
    errors: dict[str, list[str]] | None = None,
    message: str = "",
    general: list[str] | None = None,
    warnings: list[str] | None = None,
) -> DeclarePage:
    from chiso.dashboard.service import list_periods, unit_name

    unit_code = unit_code or who.actor.unit_code
    periods = [p for p in list_periods(session=session, actor=who.actor, own_unit_only=True) if p.state != "published"]
    choices = []
    for p in periods:
        stored = collection.get_period(session=session, code=p.code)
        if unit_code is not None and not _in_scope(session, stored, unit_code):
            continue  # an officer is offered only the periods of their unit
        choices.append((p.code, period_name(collection.framework_of(stored), stored.year, who.lang)))
    if period_code is None or unit_code is None:
        return DeclarePage(choices, None, "", unit_code, "", "", [], None, message, lang=who.lang)
    views = review.list_items(session=session, period_code=period_code, actor=who.actor, unit_code=unit_code)
    period = collection.get_period(session=session, code=period_code)
    fw = collection.framework_of(period)
    summary = progress.unit_progress(session=session, period_code=period_code, unit_code=unit_code, actor=who.actor)
    submission = collection.get_submission(session=session, period=period, unit_code=unit_code)
    rows = {d.indicator_code: d for d in collection.items(session=session, submission=submission)}
    pillars = _pillars(fw)
    items = []
    for view in views:
        item = item_of(
            fw,
            view,
            list(rows[view.indicator].evidence),
            pillars.get(view.indicator, ""),
            summary.items[view.indicator],
            who.lang,
        )
        if errors and view.indicator in errors:
            item = Item(**{**item.__dict__, "errors": errors[view.indicator]})
        items.append(item)
    return DeclarePage(
        choices,
        period_code,
        period_name(fw, period.year, who.lang),
        unit_code,
        unit_name(unit_code, period.era),
        submission.state,
        items,
        summary,
        message,
        general or [],
        warnings or [],
        lang=who.lang,
    )
