"""Programmes as data: a resolution or decision, its targets, and what tracks each target.

A target says what it refers to (an indicator of a framework, a rank in it, or a raw variable of the
values store), for which unit, the value and year to reach, how to compare (≥, ≤, =, top N), and its
baseline. A target nothing measures yet says so (`tracks: null`) instead of pretending.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_ID: Final = "chiso/programme"
SCHEMA_VERSION: Final = 1

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Document(Frozen):
    kind: Literal["resolution", "decision", "plan", "directive"]
    number: str = Field(min_length=1, description="As issued, e.g. 01/NQ-TU, 749/QĐ-TTg.")
    date: dt.date | None = None
    issuer: str = Field(min_length=1, description="Issuing body, in Vietnamese.")
    title: str = ""


class UnitRef(Frozen):
    era: Literal["2024", "2025"]
    code: str = Field(min_length=1, description="Official code in that era; 'VN' for the whole country.")


class Baseline(Frozen):
    value: float
    year: int
    note: str = ""


class Tracks(Frozen):
    """What measures the target. `variable` reads the values store; `node` a framework's result."""

    framework: str | None = None
    node: str | None = None
    variable: str | None = None
    measured: str | None = Field(
        None,
        description=(
            "A measured variable (from a measure set over the records) that gives the figure of the years "
            "it was measured, before the `variable`'s imported figures."
        ),
    )
    statistic: Literal["value", "rank"] = Field(
        "value", description="`rank` compares the unit's competition rank among all units scored."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Tracks:
        if (self.node is None) == (self.variable is None):
            raise ValueError("give either `framework` + `node` or `variable`")
        if self.node is not None and self.framework is None:
            raise ValueError("`node` needs the `framework` it belongs to")
        if self.measured is not None and self.variable is None:
            raise ValueError("`measured` completes a `variable`'s series; give the variable too")
        if self.statistic == "rank" and self.node is None:
            raise ValueError("a rank is read from a framework node")
        return self

    @property
    def series_key(self) -> str:
        """Name of the series in a values table: the variable, or the node code."""
        return self.variable or str(self.node)


class Target(Frozen):
    code: Code
    name: str = Field(min_length=1, description="Vietnamese, as written in the document.")
    name_en: str = ""
    unit: UnitRef | None = Field(None, description="Defaults to the programme's unit.")
    comparison: Literal["ge", "gt", "le", "lt", "eq", "top"] = Field(
        description="≥, >, ≤, <, = the value; `top`: rank at most the value (top 15 → value 15)."
    )
    value: float
    year: int
    measure_unit: str = Field("", description="%, enterprises, rank …")
    bounds: tuple[float, float] | None = Field(None, description="Natural range of the series, e.g. [0, 100].")
    baseline: Baseline | None = None
    tracks: Tracks | None = Field(None, description="None: no data source yet.")
    milestones: dict[int, float] = Field(
        default_factory=dict,
        description="Yearly roadmap: year → value to reach by then. A year's value is judged against its milestone.",
    )
    source: str = Field("", description="Where the target is written: the document and its article or section.")
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.comparison == "top" and self.tracks is not None and self.tracks.statistic != "rank":
            raise ValueError("a `top` target tracks a rank (statistic: rank)")
        if self.bounds is not None and not self.bounds[0] < self.bounds[1]:
            raise ValueError("bounds need low < high")
        late = sorted(y for y in self.milestones if y > self.year)
        if late:
            raise ValueError(f"milestones after the target year {self.year}: {late}")
        return self


class Programme(Frozen):
    schema_: Literal["chiso/programme"] = Field(SCHEMA_ID, alias="schema")
    version: Literal[1] = SCHEMA_VERSION
    code: Code
    name: str = Field(min_length=1)
    name_en: str = ""
    document: Document
    unit: UnitRef
    horizon: tuple[int, int]
    pillars: tuple[str, ...] = ()
    targets: tuple[Target, ...] = Field(min_length=1)
    expectations: tuple[Target, ...] = Field(
        (),
        description=(
            "Aims stated elsewhere (an interview, a speech) that the document does not set: tracked and shown "
            "apart, never counted as the document's targets."
        ),
    )

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _unique_targets(self) -> Programme:
        codes = [t.code for t in (*self.targets, *self.expectations)]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"target codes used twice: {', '.join(duplicates)}")
        return self

    def unit_of(self, target: Target) -> UnitRef:
        return target.unit or self.unit

    @property
    def linkable(self) -> frozenset[str]:
        """Codes a task may say it moves: the targets, and the expectations stated beside them."""
        return frozenset(t.code for t in (*self.targets, *self.expectations))

    @property
    def slug(self) -> str:
        """The document number as a plain URL segment: 01/NQ-TU → 01-nq-tu, 749/QĐ-TTg → 749-qd-ttg."""
        return slugify(self.document.number)


def slugify(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", plain.casefold()).strip("-")
