"""Where a unit's declaration stands: items filled, points the figures give, what the rules say, deadline.

The declaration page shows it beside every item and in its summary bar; the same rules run on submit
(`service.submit`), where errors block. Typed but unsaved figures can be put on top (`pending`) for a
live preview: the engine computes the points, so the page never scores a rule by itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from chiso import clock
from chiso.collection import service as collection
from chiso.collection.schemas import DeclarationIn, Problem
from chiso.collection.validation import computed_points, load_rules, validate
from chiso.permissions import Actor, check


@dataclass(frozen=True)
class ItemProgress:
    """One item: whether anything is declared, the points its figures give, and the rules' findings."""

    filled: bool
    points: float | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def missing_evidence(self) -> bool:
        return any(p.column == "evidence" for p in self.problems)

    @property
    def blocking(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


@dataclass(frozen=True)
class UnitProgress:
    """The summary bar: items filled of all, missing evidence, warnings and errors, deadline."""

    items: dict[str, ItemProgress]
    closes_on: dt.date
    today: dt.date
    general: list[Problem] = field(default_factory=list)  # findings that name no item

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def filled(self) -> int:
        return sum(1 for i in self.items.values() if i.filled)

    @property
    def missing_evidence(self) -> int:
        return sum(1 for i in self.items.values() if i.missing_evidence)

    @property
    def warnings(self) -> int:
        return sum(1 for i in self.items.values() for p in i.problems if p.severity == "warning")

    @property
    def errors(self) -> int:
        found = sum(1 for i in self.items.values() for p in i.problems if p.severity == "error")
        return found + sum(1 for p in self.general if p.severity == "error")

    @property
    def days_left(self) -> int:
        """Days until the period closes (0 on its last day); negative once it is past."""
        return (self.closes_on - self.today).days


def unit_progress(
    *,
    session: Session,
    period_code: str,
    unit_code: str,
    actor: Actor,
    pending: Sequence[DeclarationIn] = (),
) -> UnitProgress:
    """The unit's progress on its stored declaration, with `pending` (typed, not saved) on top."""
    check(actor, "declaration.view", unit_code)
    period = collection.get_period(session=session, code=period_code)
    framework = collection.framework_of(period)
    state = collection.unit_state_for_rules(session=session, period=period, unit_code=unit_code, pending=pending)
    problems = validate(framework, load_rules(framework.code), state)
    points = computed_points(framework, state.figures)
    by_item: dict[str, list[Problem]] = {}
    general = []
    for problem in problems:
        if problem.indicator:
            by_item.setdefault(problem.indicator, []).append(problem)
        else:
            general.append(problem)
    items = {}
    for ind in framework.indicators:
        own = state.items.get(ind.code)
        filled = (own is not None and own.self_score is not None) or all(
            state.figures.get(v) is not None for v in ind.variables
        )
        items[ind.code] = ItemProgress(filled, points.get(ind.code), by_item.get(ind.code, []))
    return UnitProgress(items, period.closes_on, clock.of(session).today(), general)
