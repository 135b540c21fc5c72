"""Administrative units of Vietnam before and after 1/7/2025, their succession, departments and maps.

Units are keyed by (era, code): era "2024" (63 provinces, districts, communes, to 30/6/2025) and era
"2025" (34 provinces, 3,321 communes, from 1/7/2025). Data is read from the package on first use.
"""

from __future__ import annotations

from chiso.units.errors import ConfigError, UnitsError, UnknownEraError, UnknownKindError, UnknownUnitError
from chiso.units.registry import children, find, get, list_units, parent, search
from chiso.units.schemas import Era, Kind, Link, ShareBasis, Unit

__all__ = [
    "ConfigError",
    "Era",
    "Kind",
    "Link",
    "ShareBasis",
    "Unit",
    "UnitsError",
    "UnknownEraError",
    "UnknownKindError",
    "UnknownUnitError",
    "children",
    "find",
    "get",
    "list_units",
    "parent",
    "search",
]
