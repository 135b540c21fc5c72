"""Source-record schemas: what a dossier, a document or a staff roster line must look like.

The schemas are data (`data/sources.yaml`, header `schema: chiso.sources/1` and a `version`); ingestion
compiles them to checks, the lake stores records with the Arrow types derived here, and measures are
checked against the fields they read.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from importlib import resources
from typing import Any, Literal

import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chiso.errors import ChisoError
from chiso.sources.conditions import Condition
from chiso.yamlio import safe_yaml


class SourceError(ChisoError, ValueError):
    """A source schema, file or record set that cannot be used; the message says why."""


class FieldType(StrEnum):
    STRING = "string"
    INT = "int"
    BOOL = "bool"
    TIMESTAMP = "timestamp"
    ENUM = "enum"
    UNIT = "unit"  # an administrative unit code, valid on the date given by `at`
    UNIT_LIST = "unit_list"  # several unit codes (";"-separated in CSV, a list in JSON and Parquet)


ARROW_TYPES: dict[FieldType, pa.DataType] = {
    FieldType.STRING: pa.string(),
    FieldType.INT: pa.int64(),
    FieldType.BOOL: pa.bool_(),
    FieldType.TIMESTAMP: pa.timestamp("us"),
    FieldType.ENUM: pa.string(),
    FieldType.UNIT: pa.string(),
    FieldType.UNIT_LIST: pa.list_(pa.string()),
}
SQL_TYPES: dict[FieldType, str] = {
    FieldType.STRING: "VARCHAR",
    FieldType.INT: "BIGINT",
    FieldType.BOOL: "BOOLEAN",
    FieldType.TIMESTAMP: "TIMESTAMP",
    FieldType.ENUM: "VARCHAR",
    FieldType.UNIT: "VARCHAR",
    FieldType.UNIT_LIST: "VARCHAR[]",
}
# Columns the lake adds to every record: where its unit sits, and which ingestion brought it.
DERIVED_FIELDS: dict[str, pa.DataType] = {
    "unit_era": pa.string(),  # era of the record's unit code: "2024" before 1/7/2025, "2025" from then
    "unit_kind": pa.string(),  # province, district, commune or department
    "province": pa.string(),  # the province of the record's unit, in the unit's era
    "_ingest": pa.string(),  # ingestion id (source and file hash): see `chiso sources ingest`
    "_row": pa.int64(),  # the record's row in its file (the line number for CSV and JSON Lines)
    # History: a record (one id) may arrive many times; each version is kept. It is valid from its own
    # `updated_at`, else from when it was ingested, until the next version's start (computed when read).
    "_valid_from": pa.timestamp("us"),
    "_ingested_at": pa.timestamp("us"),  # local time (UTC+7) of the ingestion; orders versions that tie
    "_hash": pa.string(),  # MD5 of the record's fields: the same version sent again is recognised
}
UPDATED_AT = "updated_at"  # the optional field that dates a version (see `Source.updated`)


class SourceField(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: FieldType
    required: bool = False
    values: tuple[str, ...] = ()  # the allowed values of an enum
    minimum: int | None = None
    maximum: int | None = None
    at: str | None = None  # for unit fields: the timestamp field that dates the code
    description: str
    description_vi: str = ""

    @model_validator(mode="after")
    def _shape(self) -> SourceField:
        if (self.type is FieldType.ENUM) != bool(self.values):
            raise ValueError(f"{self.name}: values belong to enum fields, and enum fields need them")
        if (self.type in (FieldType.UNIT, FieldType.UNIT_LIST)) != (self.at is not None):
            raise ValueError(f"{self.name}: unit fields need `at` (the timestamp that dates the code), others not")
        return self

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.type]


class Rule(BaseModel):
    """A cross-field rule every record must satisfy; `reason` is what the quarantine says when it does not."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str
    check: Condition


class Source(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    name_en: str
    system: str
    id: str
    unit: str  # the unit field that places a record (its era, kind and province are derived from it)
    fields: tuple[SourceField, ...]
    rules: tuple[Rule, ...] = ()
    # The lake orders each part's records by the month of `time`, then by these timestamp fields: a
    # measure placed by one of them reads the row groups of its months, not those of every month before.
    lake_order: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _refs(self) -> Source:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("field names repeat")
        by_name = {f.name: f for f in self.fields}
        if self.id not in by_name or not by_name[self.id].required:
            raise ValueError(f"id field {self.id!r} must be a required field")
        if self.unit not in by_name or by_name[self.unit].type is not FieldType.UNIT or not by_name[self.unit].required:
            raise ValueError(f"unit field {self.unit!r} must be a required unit field")
        for f in self.fields:
            if f.at is not None and (f.at not in by_name or by_name[f.at].type is not FieldType.TIMESTAMP):
                raise ValueError(f"{f.name}: `at` must name a timestamp field, not {f.at!r}")
        for name in self.lake_order:
            if name not in by_name or by_name[name].type is not FieldType.TIMESTAMP:
                raise ValueError(f"lake_order: {name!r} is not a timestamp field")
        for rule in self.rules:
            unknown = sorted(set(rule.check.columns()) - set(by_name))
            if unknown:
                raise ValueError(f"rule {rule.reason!r} reads unknown fields {unknown}")
        return self

    def field(self, name: str) -> SourceField:
        for f in self.fields:
            if f.name == name:
                return f
        raise SourceError(f"{self.name}: no field {name!r}; fields are {', '.join(self.column_names)}")

    @property
    def column_names(self) -> list[str]:
        """Every column of the source in the lake: its fields, then the derived ones."""
        return [f.name for f in self.fields] + list(DERIVED_FIELDS)

    @property
    def updated(self) -> str | None:
        """The field that dates a record's version, if the schema has one."""
        return UPDATED_AT if UPDATED_AT in {f.name for f in self.fields} else None

    @property
    def time(self) -> str:
        """The timestamp that dates the record's unit code."""
        at = self.field(self.unit).at
        assert at is not None
        return at

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(f.name, f.arrow_type) for f in self.fields] + list(DERIVED_FIELDS.items()))


class SourceCatalog(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: Literal["chiso.sources/1"] = Field(alias="schema")
    version: int
    sources: dict[str, Source]

    def get(self, name: str) -> Source:
        if name not in self.sources:
            raise SourceError(f"unknown source {name!r}; sources are {', '.join(self.sources)}")
        return self.sources[name]

    def to_yaml(self) -> str:
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        data = {"schema": self.schema_, "version": self.version, **{k: v for k, v in data.items() if k != "schema"}}
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)


def parse_catalog(text: str) -> SourceCatalog:
    try:
        return SourceCatalog.model_validate(safe_yaml(text))
    except (ValidationError, yaml.YAMLError) as exc:
        raise SourceError(f"invalid source schemas: {exc}") from exc


@functools.cache
def catalog() -> SourceCatalog:
    """The shipped source schemas."""
    return parse_catalog(resources.files("chiso.sources").joinpath("data", "sources.yaml").read_text("utf-8"))


def get_source(name: str) -> Source:
    return catalog().get(name)
