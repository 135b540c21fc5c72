"""Measure definitions: filters, group-bys and counts over source records, as versioned YAML.

A *measure set* (`schema: chiso.measures/1`, `code`, `version`) holds measures. A measure reads one
source, keeps the records that pass its `where`, places each in a unit (`unit`: a unit column of the
source or `province`) and a period (by its `time` column: month, quarter or year), and computes
variables (`count`, `count_distinct` of a column, `sum` of a column, each with its own `where`) and
optionally ratios of two of them. Variables are what a framework reads: `dossiers_full_online` and
`dossiers_received` feed the ratio of commune indicator 4.4.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chiso.sources.conditions import Condition
from chiso.sources.schemas import FieldType, SourceCatalog, SourceError, catalog
from chiso.yamlio import SAFE_DUMPER, safe_yaml

NAME = r"^[a-z][a-z0-9_]*$"
SHIPPED = ("commune-2025", "service-2025", "service-766")


class Grain(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Aggregate(StrEnum):
    COUNT = "count"
    COUNT_DISTINCT = "count_distinct"
    SUM = "sum"


class Variable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=NAME)
    aggregate: Aggregate = Aggregate.COUNT
    column: str | None = None
    where: Condition | None = None
    indicator: str | None = None  # the framework indicator it feeds, for the reader
    description: str = ""

    @model_validator(mode="after")
    def _column(self) -> Variable:
        if (self.aggregate is Aggregate.COUNT) != (self.column is None):
            raise ValueError(f"{self.name}: count takes no column; count_distinct and sum need one")
        return self


class Ratio(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=NAME)
    numerator: str
    denominator: str
    description: str = ""


class Measure(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=NAME)
    name: str
    name_en: str
    source: str
    unit: str
    time: str
    where: Condition | None = None
    variables: tuple[Variable, ...] = Field(min_length=1)
    ratios: tuple[Ratio, ...] = ()
    description: str = ""

    @property
    def outputs(self) -> list[str]:
        return [v.name for v in self.variables] + [r.name for r in self.ratios]

    def variable(self, name: str) -> Variable | Ratio:
        items: list[Variable | Ratio] = [*self.variables, *self.ratios]
        for item in items:
            if item.name == name:
                return item
        raise SourceError(f"measure {self.code} has no variable {name!r}")


class MeasureSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: Literal["chiso.measures/1"] = Field(alias="schema")
    code: str
    version: int = Field(ge=1)
    name: str
    name_en: str
    framework: str | None = None
    description: str = ""
    measures: tuple[Measure, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> MeasureSet:
        codes = [m.code for m in self.measures]
        outputs = [o for m in self.measures for o in m.outputs]
        for what, names in (("measure code", codes), ("variable", outputs)):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ValueError(f"{what}s given more than once: {', '.join(repeated)}")
        return self

    def measure_of(self, variable: str) -> Measure:
        for measure in self.measures:
            if variable in measure.outputs:
                return measure
        raise SourceError(f"measure set {self.code} computes no variable {variable!r}")

    @property
    def sources(self) -> list[str]:
        return sorted({m.source for m in self.measures})

    def to_yaml(self) -> str:
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude_none=True)
        return yaml.dump(data, Dumper=SAFE_DUMPER, allow_unicode=True, sort_keys=False, width=110)


def check_against_sources(measures: MeasureSet, sources: SourceCatalog | None = None) -> list[str]:
    """Problems with the fields a definition reads: unknown fields, wrong types, values not in an enum."""
    sources = sources or catalog()
    problems = []
    for m in measures.measures:
        where = f"measure {m.code}"
        if m.source not in sources.sources:
            problems.append(f"{where}: unknown source {m.source!r} ({', '.join(sources.sources)})")
            continue
        source = sources.sources[m.source]
        fields = {f.name: f for f in source.fields}
        if m.unit != "province" and (m.unit not in fields or fields[m.unit].type is not FieldType.UNIT):
            problems.append(f"{where}: unit {m.unit!r} is neither a unit field of {m.source} nor 'province'")
        if m.time not in fields or fields[m.time].type is not FieldType.TIMESTAMP:
            problems.append(f"{where}: time {m.time!r} is not a timestamp field of {m.source}")
        conditions = [c for c in (m.where, *(v.where for v in m.variables)) if c is not None]
        readable = set(source.column_names)
        read = {c for cond in conditions for c in cond.columns()} | {v.column for v in m.variables if v.column}
        for column in sorted(read - readable):
            problems.append(f"{where}: {m.source} has no field {column!r}")
        for cond in conditions:
            for column, value in cond.literals():
                f = fields.get(column)
                if f is not None and f.type is FieldType.ENUM and value not in f.values:
                    problems.append(f"{where}: {value!r} is not a value of {column} ({', '.join(f.values)})")
        names = {v.name for v in m.variables}
        for ratio in m.ratios:
            for part in (ratio.numerator, ratio.denominator):
                if part not in names:
                    problems.append(f"{where}: ratio {ratio.name} uses {part!r}, not a variable of the measure")
    return problems


def parse_measures(text: str, origin: str = "measures") -> MeasureSet:
    try:
        measures = MeasureSet.model_validate(safe_yaml(text))
    except (ValidationError, yaml.YAMLError) as exc:
        raise SourceError(f"{origin}: invalid measure set: {exc}") from exc
    problems = check_against_sources(measures)
    if problems:
        raise SourceError(f"{origin}: " + "; ".join(problems))
    return measures


@functools.cache
def _shipped(code: str) -> MeasureSet:
    text = resources.files("chiso.sources").joinpath("data", "measures", f"{code}.yaml").read_text("utf-8")
    return parse_measures(text, code)


def load_measures(name: str | Path) -> MeasureSet:
    """A shipped measure set by code (`commune-2025`, `service-2025`) or a YAML file."""
    if str(name) in SHIPPED:
        return _shipped(str(name))
    path = Path(name)
    if not path.exists():
        raise SourceError(f"no shipped measure set {name!r} ({', '.join(SHIPPED)}) and no such file")
    return parse_measures(path.read_text(encoding="utf-8"), str(path))
