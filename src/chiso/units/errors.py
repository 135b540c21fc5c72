"""Errors of the unit registry. Each message says what is wrong and how to put it right."""

from __future__ import annotations

from chiso.errors import ChisoError


class UnitsError(ChisoError):
    """Base class: bad input to the registry (unknown code, era, kind or configuration)."""


class UnknownEraError(UnitsError, ValueError):
    pass


class UnknownKindError(UnitsError, ValueError):
    pass


class UnknownUnitError(UnitsError, LookupError):
    kind = "not-found"


class ConfigError(UnitsError, ValueError):
    """A province's unit configuration (departments, groups) is invalid."""
