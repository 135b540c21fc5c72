"""What the API returns: pydantic models, so that the OpenAPI document describes every response."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Generic, Literal, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from chiso.units.ref import CURRENT_ERA
from chiso.values.schemas import ERA_PATTERN

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int
    next_page: int | None = Field(None, description="The next page's number, if any.")


class UnitOut(BaseModel):
    era: str
    code: str
    kind: str
    subtype: str
    name: str
    name_en: str | None
    parent_code: str | None
    province_code: str


class FrameworkOut(BaseModel):
    code: str
    edition: str
    name: str
    name_en: str
    index: str
    indicators: int


class PeriodOut(BaseModel):
    code: str
    year: int
    era: str
    framework: str
    framework_name: str
    state: str
    closes_on: dt.date
    units: int
    published: bool


class ResultOut(BaseModel):
    unit_code: str
    node: str
    value: float | None
    points: float | None
    rank: int | None
    unit_era: str = Field(description="The era of the unit list the code belongs to (2024 or 2025).")


UPDATED_AT = "When the run was published (or computed, while provisional), UTC: the next `updated_since`."


class ResultsPage(Page[ResultOut]):
    run_id: int
    published: bool
    updated_at: dt.datetime = Field(description=UPDATED_AT)
    simulated: bool = Field(description="Computed from simulated values (a demonstration), not real data.")


class RankingOut(BaseModel):
    unit_code: str
    unit_name: str
    value: float | None
    points: float | None
    rank: int | None
    previous_rank: int | None
    change: int | None


class RankingPage(Page[RankingOut]):
    period: str
    unit_era: str = Field(description="The era of the unit list the codes belong to (the period's).")
    node: str
    group: str | None
    run_id: int
    published: bool
    updated_at: dt.datetime = Field(description=UPDATED_AT)
    simulated: bool = Field(description="Computed from simulated values (a demonstration), not real data.")
    units: int = Field(description="Units in the run (for the final run: the units approved).")
    scope: int = Field(description="Units of the period.")
    partial: bool = Field(description="Not every unit of the period is in the run: ranks may change.")
    changes_hidden: bool = Field(
        description="The previous period ranked other units, so no change of rank is given (`previous_rank` empty)."
    )


class ContributionOut(BaseModel):
    indicator: str
    contribution: float | None


class ValueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    unit_code: str
    variable: str
    period: str
    value: float | None
    version: int
    source: str
    recorded_at: dt.datetime
    recorded_by: str
    lineage: dict[str, Any] | None
    note: str
    unit_era: str = Field(
        validation_alias=AliasChoices("era", "unit_era"), description="The era of the unit list the code belongs to."
    )


class ValueWrite(BaseModel):
    """A measured or imported value; `expected_version` guards against overwriting someone else's change."""

    model_config = ConfigDict(extra="forbid")

    unit_era: str = Field(
        CURRENT_ERA,
        pattern=ERA_PATTERN,
        description="The era of the unit list the code belongs to: 2025 (the 34 provinces and 3,321 communes "
        "from 1/7/2025, the default) or 2024 (before); codes are reused across eras.",
    )
    unit_code: str = Field(min_length=1, max_length=32)
    variable: str = Field(min_length=1, max_length=200)
    period: str = Field(min_length=1, max_length=32)
    value: float | None = Field(allow_inf_nan=False)
    source: Literal["measured", "imported"] = "measured"
    lineage: dict[str, Any] | None = None
    note: str = Field("", max_length=2000)
    expected_version: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _no_nul(self) -> ValueWrite:
        # Databases refuse NUL characters in text (PostgreSQL); say so instead of failing later.
        if "\\u0000" in json.dumps(self.model_dump()):  # json.dumps writes a NUL as \u0000
            raise ValueError("text may not contain NUL (\\u0000) characters")
        return self


class IocNode(BaseModel):
    """A node of the framework: its code, official number and names, and the scale of its values."""

    code: str
    number: str | None = Field(description="The official number (4.22), if the framework gives one.")
    name: str
    name_en: str
    max_points: float | None = Field(description="The most the node scores, when it is scored in points.")
    measure_unit: str = Field(description="The unit of its values (điểm, %), empty when none is declared.")


class IocUnit(BaseModel):
    code: str
    name: str
    name_en: str
    unit_era: str = Field(description="The era of the unit list the code belongs to (2024 or 2025).")
    index: float | None = Field(description="The index's value, on the scale `index` describes.")
    rank: int | None = Field(description="The unit's rank on the index among the run's units.")
    pillars: dict[str, float | None] = Field(description="Each pillar's value by its code (see `pillars`).")


class IocBlock(BaseModel):
    framework: str
    framework_name: str
    framework_name_en: str
    period: str
    year: int
    published_at: dt.datetime | None
    simulated: bool
    index: IocNode
    pillars: dict[str, IocNode] = Field(description="The index's pillars by code, in the framework's order.")
    units: list[IocUnit]


class Health(BaseModel):
    status: str


class ProgrammeOut(BaseModel):
    code: str
    slug: str = Field(description="The document number as a URL segment (01-nq-tu); accepted wherever a code is.")
    name: str
    name_en: str
    document_number: str
    document_date: dt.date | None
    issuer: str
    unit_code: str
    horizon: tuple[int, int]
    targets: int


class IntervalOut(BaseModel):
    """A forecast for the target year and its prediction interval (a rank's: best and worst rank)."""

    year: int
    value: float
    low: float
    high: float
    level: float


class TargetStatusOut(BaseModel):
    code: str
    name: str
    name_en: str
    unit_code: str
    comparison: Literal["ge", "gt", "le", "lt", "eq", "top"]
    target: float
    year: int
    measure_unit: str
    baseline: float | None
    baseline_year: int | None
    value: float | None = Field(description="The latest observed value (a rank for `top` targets).")
    value_year: int | None
    progress: float | None = Field(description="Share of the way from the baseline to the target (1 = reached).")
    forecast: IntervalOut | None
    status: Literal["achieved", "on_track", "at_risk", "late", "no_data"] = Field(
        description=(
            "achieved: met in the target year; on_track: the target year has not come and the latest value meets "
            "the target (or this year's milestone) or its forecast does; at_risk: the forecast or the milestone is "
            "missed; late: the target year has passed unmet; no_data: nothing to judge by yet."
        )
    )
    status_label: str = Field(description="The status in Vietnamese.")
    reason: str = Field(description="Why, in Vietnamese (figures in Vietnamese format).")
    reason_en: str = Field(description="Why, in English.")
    reason_code: str = Field(description="The reason as a code, for machines (see reason_params).")
    reason_params: dict[str, float | int | str] = Field(description="The figures of the reason.")
    milestones: dict[int, float] = Field(description="The target's yearly roadmap, year → value.")
    source: str = Field(description="Where the target is set: document and article.")
    has_source: bool = Field(description="False: nothing measures this target yet.")
    simulated: bool = Field(description="The latest value is a simulated figure (a demonstration), not real data.")
    measured: str | None = Field(
        None,
        description=(
            "When the latest value was measured from records (đo tự động): the measure (set:code) that counted it; "
            "its full lineage: GET /api/v1/values or `chiso sources measure --lineage`."
        ),
    )


class ProgrammeStatusOut(BaseModel):
    programme: ProgrammeOut
    simulated: bool
    summary: dict[str, int] = Field(description="How many targets are in each status.")
    targets: list[TargetStatusOut]
    expectations: list[TargetStatusOut] = Field(
        description="Aims stated elsewhere (an interview) that the document does not set; not counted as targets."
    )


class TaskOut(BaseModel):
    plan: str
    code: str
    section: str
    title: str
    lead_unit: str
    co_units: list[str]
    start_date: dt.date | None
    due_date: dt.date | None
    status: Literal["not_started", "in_progress", "done", "paused", "cancelled"]
    progress: float
    result: str
    overdue: bool
    days_late: int | None
    updated_at: dt.datetime
    version: int


SOURCE_DOC = (
    "Where the figure comes from: declared (by the unit), appraised (scored by the appraiser), measured (from "
    "the public-service portal's or document system's records), imported, simulated (a demonstration figure), "
    "computed (an aggregate of its indicators)."
)


class SeriesPoint(BaseModel):
    """One node's score for one unit in one period."""

    period: str
    year: int
    framework: str
    unit_era: str = Field(description="The era of the unit list the code belongs to (2024 or 2025).")
    unit_code: str
    unit_name: str
    unit_name_en: str
    level: str = Field(description="province, commune, department (or district, era 2024).")
    node: str
    number: str | None = Field(description="The official number (4.22.10), if the framework gives one.")
    node_name: str
    node_name_en: str
    kind: Literal["index", "aggregate", "view", "indicator"]
    measure_unit: str = Field(description="The unit of `value` (điểm, %), empty when none is declared.")
    max_points: float | None
    value: float | None
    points: float | None
    rank: int | None = Field(description="Rank among the run's units (competition ranking: 1, 2, 2, 4).")
    source: Literal["declared", "appraised", "measured", "imported", "simulated", "computed"] | None = Field(
        description=SOURCE_DOC + " Empty when the unit gave nothing for the indicator."
    )
    simulated: bool = Field(description="The run read simulated values (a demonstration), not real data.")
    published: bool
    run_id: int
    updated_at: dt.datetime = Field(description="When the run was published (or computed, if not published).")


class SeriesPage(Page[SeriesPoint]):
    pass


class FigurePoint(BaseModel):
    """One variable's current figure for one unit in one period."""

    period: str
    year: int
    value_period: str
    framework: str
    unit_era: str
    unit_code: str
    unit_name: str
    unit_name_en: str
    level: str
    variable: str
    label: str
    label_en: str
    measure_unit: str = Field(description="The unit of the figure (người, hộ, %), empty when none is declared.")
    value: float | None
    source: Literal["declared", "imported", "measured"] = Field(description=SOURCE_DOC)
    simulated: bool
    version: int
    updated_at: dt.datetime = Field(description="When this version was recorded.")


class FiguresPage(Page[FigurePoint]):
    pass


class UnitProperties(BaseModel):
    code: str = Field(description="The official code (leading zeros kept): join data on it.")
    era: str
    name: str
    name_en: str | None
    kind: str
    province_code: str


class UnitFeature(BaseModel):
    type: Literal["Feature"]
    id: str = Field(description="The official code, as in `properties.code`.")
    geometry: dict[str, Any] = Field(description="A GeoJSON Polygon or MultiPolygon, WGS 84 longitude/latitude.")
    properties: UnitProperties


class UnitFeatures(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[UnitFeature]
