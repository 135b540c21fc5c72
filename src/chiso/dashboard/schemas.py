from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class NodeInfo:
    code: str
    name: str
    name_en: str
    kind: str  # indicator, aggregate, view
    max_points: float | None
    parent: str | None
    depth: int
    number: str | None = None  # the official numbering (4.22.10), where the framework gives one

    @property
    def label(self) -> str:
        """The number and the name (4.4 Tỷ lệ …), as pages show a node; never its code."""
        return f"{self.number} {self.name}" if self.number else self.name

    @property
    def label_en(self) -> str:
        return f"{self.number} {self.name_en}" if self.number and self.name_en else self.name_en


@dataclass(frozen=True)
class RunInfo:
    id: int
    variant: str
    published: bool
    computed_at: dt.datetime
    published_at: dt.datetime | None
    simulated: bool  # computed from values that a simulation produced (the demo), not from real declarations
    units: int = 0  # units the run speaks for: approved (final run) or submitted (the other variants)
    scope: int = 0  # units of the period

    @property
    def partial(self) -> bool:
        """Not every unit of the period is in the run: ranks are among those present, and may change."""
        return self.units < self.scope


@dataclass(frozen=True)
class PeriodInfo:
    code: str
    year: int
    era: str
    framework: str
    framework_name: str
    state: str
    closes_on: dt.date
    units: int
    published: bool  # a published final run exists


@dataclass(frozen=True)
class GroupInfo:
    code: str
    name: str
    name_en: str
    members: frozenset[str]


@dataclass(frozen=True)
class RankingRow:
    unit_code: str
    unit_name: str
    value: float | None
    points: float | None
    rank: int | None
    previous_rank: int | None
    rank_low: int | None = None  # the rank's interval when the weights vary (RankIntervals), where stored
    rank_high: int | None = None
    rate: float | None = None  # an indicator's own value (the share it scores), when ranked by it

    @property
    def change(self) -> int | None:
        """Places gained since the previous period (positive: up)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


@dataclass(frozen=True)
class Ranking:
    period: PeriodInfo
    run: RunInfo
    node: NodeInfo
    nodes: list[NodeInfo]
    groups: list[GroupInfo]
    group: GroupInfo | None
    previous_period: str | None
    rows: list[RankingRow]
    map_kind: str | None  # "commune" (of `province`), "province" (national) or None (departments)
    province: str | None
    changes_hidden: bool = False  # last period ranked other units: its ranks are not compared with these
    intervals: RankIntervals | None = None  # how the rows' rank intervals were drawn, when they have some
    rate_kind: str | None = None  # "share" or "value": an indicator ranked by its own value (`rate`)

    @property
    def by_rate(self) -> bool:
        """Ranked by the indicator's own value, its points beside."""
        return self.rate_kind is not None


@dataclass(frozen=True)
class RankIntervals:
    """How rank intervals were drawn: `draws` weight sets, each weight × (1 ± `factor`), 5–95 % of the ranks."""

    draws: int
    factor: float


@dataclass(frozen=True)
class TrendPoint:
    period: str
    year: int
    mean: float | None
    unit_value: float | None = None
    unit_rank: int | None = None


@dataclass(frozen=True)
class ItemScores:
    """One indicator of a unit: the three variants side by side, with its evidence where visible."""

    code: str
    name: str
    max_points: float | None
    self_score: float | None
    appraised: float | None
    final: float | None
    state: str | None
    evidence: list[EvidenceLine] = field(default_factory=list)
    measured: list[MeasuredInput] = field(default_factory=list)  # inputs computed from source records
    number: str | None = None  # official numbering (4.4)


@dataclass(frozen=True)
class MeasuredInput:
    """Where a measured input of an indicator comes from: its measure, the records counted, the files read."""

    variable: str
    value: float | None
    measure: str
    measure_version: int | None
    records: int | None
    period: str
    grain: str
    since: dt.date | None  # the window of records the measure kept, when narrowed
    until: dt.date | None
    first_record_at: dt.datetime | None  # the first and last record counted (their own clock)
    last_record_at: dt.datetime | None
    computed_at: dt.datetime | None
    engine: str | None
    files: list[str]
    lake_parts: int | None
    lake_snapshot: str | None
    simulated: bool


@dataclass(frozen=True)
class EvidenceLine:
    id: int
    text: str
    file_name: str | None


@dataclass(frozen=True)
class Gap:
    code: str
    name: str
    points: float
    max_points: float
    mean_points: float | None
    number: str | None = None

    @property
    def lost(self) -> float:
        return self.max_points - self.points


@dataclass(frozen=True)
class Improvement:
    code: str
    name: str
    points: float
    next_points: float
    max_points: float
    step: str  # what the next tier is, in words
    index_gain: float
    rank_before: int | None
    rank_after: int | None
    number: str | None = None  # official numbering (4.22.10)

    @property
    def rank_gain(self) -> int | None:
        if self.rank_before is None or self.rank_after is None:
            return None
        return self.rank_before - self.rank_after


@dataclass(frozen=True)
class NodeScore:
    node: NodeInfo
    value: float | None
    points: float | None
    rank: int | None
    mean: float | None
    units: int


@dataclass(frozen=True)
class UnitProfile:
    unit_code: str
    unit_name: str
    period: PeriodInfo
    run: RunInfo
    index: NodeScore
    pillars: list[NodeScore]
    history: list[tuple[str, int, list[NodeScore]]]  # (period, year, index and pillars)
    items: list[ItemScores]
    strengths: list[Gap]
    weaknesses: list[Gap]
    can_see_declarations: bool
    interval: tuple[int, int] | None = None  # the index rank's interval when the weights vary
    intervals: RankIntervals | None = None
