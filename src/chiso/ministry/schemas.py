"""What the declaration services return: the components as declared, the estimate, the comparison."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Component:
    """One component as declared, appraised and counted in the estimate."""

    code: str
    number: str
    name: str
    unit: str
    main: str
    lead: str
    lead_name: str
    max_points: float
    state: str
    value: float | None
    self_score: float | None
    appraised_score: float | None
    evidence: list[tuple[str, dt.date | None, str, str]]  # số hiệu, ngày, trích yếu, file name

    @property
    def points(self) -> float | None:
        """What the estimate counts: the appraised score where given, else the self-score."""
        return self.appraised_score if self.appraised_score is not None else self.self_score


@dataclass(frozen=True)
class MainEstimate:
    code: str
    number: str
    name: str
    max_points: float
    points: float
    value: float  # share of the maximum points, 0–1, as the Ministry publishes main indicators
    components: int
    scored: int


@dataclass(frozen=True)
class Estimate:
    year: int
    province: str
    period: str
    framework: str  # the shipped method's code
    note: str
    mains: list[MainEstimate]
    pillars: list[tuple[str, str, float]]  # code, name, value
    dti: float
    components: list[Component]
    by_state: dict[str, int] = field(default_factory=dict)

    @property
    def unscored(self) -> list[Component]:
        return [c for c in self.components if c.points is None]


@dataclass(frozen=True)
class Line:
    code: str
    number: str
    name: str
    estimate: float
    published: float | None
    name_en: str = ""

    @property
    def gap(self) -> float | None:
        """Estimate minus published (positive: the province estimated more than the Ministry gave)."""
        return None if self.published is None else self.estimate - self.published


@dataclass(frozen=True)
class Comparison:
    estimate: Estimate
    mains: list[Line]
    pillars: list[Line]
    dti: Line
    published: bool  # the Ministry's main indicators for the year are in
    rank: int | None


@dataclass(frozen=True)
class YearState:
    """Where one year's declaration stands: its newest component list and, once opened, its period."""

    year: int
    province: str
    components: int
    leads: int
    file_name: str
    imported_at: dt.datetime
    imported_by: str
    note: str
    period: str | None  # the declaration's collection period, once opened
    state: str | None  # that period's state (open, closed)
    opens_on: dt.date | None
    closes_on: dt.date | None
