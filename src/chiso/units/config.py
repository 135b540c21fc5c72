"""A province's own unit configuration: changes to its departments and its ranking groups.

It is a YAML document with a schema header, e.g.

    schema: chiso/province-units
    version: 1
    province: "19"
    departments:
      - {action: add, code: 19-SDTTG, date: 2025-07-01}
      - {action: add, code: 19-XTTPVHCC, date: 2025-07-01, name: "Trung tâm Phục vụ hành chính công"}
      - {action: rename, code: 19-SVHTTDL, date: 2026-01-01, name: "Sở Văn hóa và Thể thao"}
      - {action: retire, code: 19-SNGV, date: 2025-12-31}
    groups:
      not_ranked: [19-TTRA]
      custom:
        - {code: khoi-kinh-te, name: "Khối kinh tế", members: [19-STC, 19-SCT, 19-SXD]}
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chiso.units.errors import ConfigError

SCHEMA = "chiso/province-units"


class DepartmentChange(BaseModel):
    """One dated change to a province's departments.

    `add`: the department exists from `date`; `rename`: it bears `name` from `date`; `retire`: `date`
    is its last day.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Literal["add", "rename", "retire"]
    code: str
    date: dt.date
    name: str | None = None
    name_en: str | None = None
    subtype: str | None = None

    @model_validator(mode="after")
    def _rename_needs_a_name(self) -> DepartmentChange:
        if self.action == "rename" and not self.name:
            raise ValueError(f"rename of {self.code} needs the new `name`")
        return self


class CustomGroup(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: str
    name_en: str | None = None
    members: tuple[str, ...]


class GroupsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    not_ranked: tuple[str, ...] = ()  # assessed, shown, but left out of rankings
    custom: tuple[CustomGroup, ...] = ()


class ProvinceUnitsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: Literal["chiso/province-units"] = Field(alias="schema")
    version: Literal[1]
    province: str
    departments: tuple[DepartmentChange, ...] = ()
    groups: GroupsConfig = GroupsConfig()


def load_config(path: Path) -> ProvinceUnitsConfig:
    """Read and validate a province's unit configuration; errors name the file and the field."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"Cannot read {path}: {error.strerror}.") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise ConfigError(f"{path} is not a province unit configuration: it must start with `schema: {SCHEMA}`.")
    try:
        return ProvinceUnitsConfig.model_validate(document)
    except ValidationError as error:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors(include_url=False)
        )
        raise ConfigError(f"{path}: {details}") from None
