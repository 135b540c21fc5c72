from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Source = Literal["declared", "imported", "measured"]


class ValueIn(BaseModel):
    """A value to record for unit × variable × period; `lineage` says where it comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_code: str = Field(min_length=1, max_length=32)
    variable: str = Field(min_length=1, max_length=200)
    period: str = Field(min_length=1, max_length=32)
    value: float | None
    source: Source
    lineage: dict[str, Any] | None = None
    note: str = ""
