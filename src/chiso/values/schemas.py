from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chiso.units.ref import UnitRef

Source = Literal["declared", "imported", "measured"]
ERA_PATTERN = r"^(2024|2025)$"


class ValueIn(BaseModel):
    """A value to record for unit (era, code) × variable × period; `lineage` says where it comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    era: str = Field(pattern=ERA_PATTERN)  # no default: a code alone does not say which unit it is
    unit_code: str = Field(min_length=1, max_length=32)
    variable: str = Field(min_length=1, max_length=200)
    period: str = Field(min_length=1, max_length=32)
    value: float | None
    source: Source
    lineage: dict[str, Any] | None = None
    note: str = ""

    @property
    def unit(self) -> UnitRef:
        return UnitRef(self.era, self.unit_code)
