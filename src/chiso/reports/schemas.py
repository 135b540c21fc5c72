"""What a report is made of: sections of tables and figures, the same for the PDF and the workbook."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["text", "year", "int", "signed", "num", "pct", "rank", "date"]
SIMULATED = "số liệu mô phỏng"  # the words every simulated figure carries, in the PDF and the workbook


@dataclass(frozen=True)
class Column:
    header: str  # Vietnamese: the report is for the province's leaders
    kind: Kind = "text"
    digits: int = 2  # for `num` and `pct`


@dataclass(frozen=True)
class Table:
    key: str  # the workbook's sheet name (at most 31 characters)
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    note: str = ""
    heading: int | None = None  # in the PDF, each row as a block headed by this column (long texts)


@dataclass(frozen=True)
class Figure:
    key: str
    caption: str
    svg: str
    legend: tuple[tuple[str, str], ...] = ()  # (colour, what it stands for), for maps
    simulated: bool = False
    after: str = ""  # the key of the table it illustrates (drawn right after it); else with the section's charts


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


@dataclass(frozen=True)
class AnnualReport:
    province: str
    province_name: str
    era: str
    year: int
    made_on: dt.date  # on the session's clock
    simulated: bool  # some figure in the report is simulated
    sections: list[Section]

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    @property
    def title(self) -> str:
        return f"Báo cáo chuyển đổi số năm {self.year} — {self.province_name}"
