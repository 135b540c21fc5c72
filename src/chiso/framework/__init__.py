"""Indicator frameworks as data: YAML ⇄ frozen models, validation, the shipped frameworks."""

from chiso.framework.io import (
    FrameworkUnreadable,
    dump_framework,
    json_schema,
    load_framework,
    load_shipped,
    parse_framework,
    shipped_codes,
)
from chiso.framework.spec import Aggregate, Framework, Indicator, VariableOption, VariableSpec, View
from chiso.framework.validate import FrameworkError, Problem

__all__ = [
    "Aggregate",
    "Framework",
    "FrameworkError",
    "FrameworkUnreadable",
    "Indicator",
    "Problem",
    "VariableOption",
    "VariableSpec",
    "View",
    "dump_framework",
    "json_schema",
    "load_framework",
    "load_shipped",
    "parse_framework",
    "shipped_codes",
]
