"""What comes into the 766 declarations: one declared figure, as a file row or a web form gives it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chiso.units.ref import UnitRef


class DeclarationIn(BaseModel):
    """A figure a person declares for unit (era, code), period (YYYY-MM or YYYY) and input variable.

    The shape only; whether the unit, period, variable and value make sense is checked against the
    framework by `declarations.problems`, which says what is wrong and how to fix it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    era: Literal["2025"] = "2025"  # the index is computed on 2025 units
    unit_code: str = Field(min_length=1, max_length=32)
    period: str = Field(min_length=1, max_length=16)
    variable: str = Field(min_length=1, max_length=64)
    value: float
    row: int | None = None  # the file's row it came from (1 is the header), for the messages
    note: str = ""

    @property
    def unit(self) -> UnitRef:
        return UnitRef(self.era, self.unit_code)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.unit_code, self.period, self.variable)
