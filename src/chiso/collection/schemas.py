from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PeriodOpen(Frozen):
    framework: str = Field(description="Shipped framework code or a YAML file.")
    year: int = Field(ge=2000, le=2100)
    units: tuple[str, ...] = Field(min_length=1)
    opens_on: dt.date
    closes_on: dt.date
    era: str = "2025"
    code: str | None = Field(None, max_length=64, description="Default: YEAR/FRAMEWORK, e.g. 2025/commune-2025.")
    assigned: dict[str, tuple[str, ...]] | None = Field(
        None,
        description=(
            "The indicators each unit declares, when units share the framework's indicators between them (the"
            " province's DTI declaration: each component led by one department); default: every indicator."
        ),
    )


class EvidenceIn(Frozen):
    """A document cited as evidence: số hiệu – ngày – trích yếu, and optionally a file to store."""

    doc_number: str = Field(min_length=1, max_length=100)
    doc_date: dt.date | None = None
    summary: str = ""
    file: Path | None = None


class DeclarationIn(Frozen):
    """What a unit declares for one indicator. `evidence` None leaves the evidence as it is."""

    indicator: str
    values: dict[str, float | None] = Field(default_factory=dict)
    self_score: float | None = None
    explanation: str = ""
    evidence: tuple[EvidenceIn, ...] | None = None


@dataclass(frozen=True)
class Problem:
    """One problem found in a file or by a validation rule, located as precisely as known."""

    message: str
    severity: str = "error"
    sheet: str = ""
    row: int | None = None
    column: str = ""
    indicator: str = ""

    def __str__(self) -> str:
        indicator = "" if self.row else self.indicator
        where = [p for p in (self.sheet, f"row {self.row}" if self.row else "", indicator, self.column) if p]
        head = "Lỗi / error" if self.severity == "error" else "Cảnh báo / warning"
        return f"{head}: {', '.join(where)}: {self.message}" if where else f"{head}: {self.message}"


@dataclass(frozen=True)
class UnitStatus:
    unit_code: str
    unit_name: str
    state: str
    items: int
    declared: int
    by_state: dict[str, int]
    submitted_at: dt.datetime | None
    overdue: int


@dataclass(frozen=True)
class PeriodStatus:
    code: str
    framework: str
    state: str
    opens_on: dt.date
    closes_on: dt.date
    units: list[UnitStatus]

    @property
    def not_declared(self) -> list[str]:
        return [u.unit_code for u in self.units if u.declared == 0]

    @property
    def not_submitted(self) -> list[str]:
        return [u.unit_code for u in self.units if u.state == "draft"]

    @property
    def overdue_items(self) -> int:
        return sum(u.overdue for u in self.units)


@dataclass(frozen=True)
class ItemView:
    """One declaration item as the appraiser sees it."""

    unit_code: str
    indicator: str
    state: str
    max_points: float | None
    self_score: float | None
    appraised_score: float | None
    values: dict[str, float | None]
    explanation: str
    comment: str
    evidence: list[str]
    version: int
