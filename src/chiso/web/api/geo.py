"""The shipped boundaries as GeoJSON, each feature keyed by the unit's official code (public)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from chiso import units
from chiso.errors import NotFound
from chiso.units import geo
from chiso.units.errors import UnitsError
from chiso.web.api import cache
from chiso.web.api.schemas import UnitFeatures

router = APIRouter(tags=["units"])


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"


@router.get(
    "/geo/units",
    response_model=UnitFeatures,
    response_class=GeoJSONResponse,
    responses={304: {"description": "Not modified: the ETag sent in If-None-Match is still the answer's"}},
)
def unit_boundaries(
    request: Request,
    era: Annotated[Literal["2025", "2024"], Query(description="2025 (after 1/7/2025) or 2024.")] = "2025",
    kind: Annotated[Literal["province", "commune"], Query(description="Provinces, or 2025 communes.")] = "province",
    province: Annotated[
        str | None, Query(pattern="^[0-9]{2}$", description="With kind=commune: one province's communes.")
    ] = None,
) -> Any:
    """Boundaries of the provinces (2024 or 2025) or of the 2025 communes (of one province, or all 3,321):
    a GeoJSON FeatureCollection (RFC 7946) whose features' `id` and `properties.code` are official codes.

    A simplified reference map, not legal boundaries (MIT notice: docs/units.md)."""
    key = ("geo", era, kind, province)
    store = cache.of(request)
    entry = store.get(key)
    if entry is None:
        try:
            collection = geo.boundaries(era, kind=kind, province=province if kind == "commune" else None)
        except UnitsError as exc:
            raise NotFound(str(exc)) from exc
        body = json.dumps(_keyed(collection, era), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        entry = cache.entry_of(body, "application/geo+json")
        store.put(key, entry)
    return cache.send(request, entry)


def _keyed(collection: dict[str, Any], era: str) -> dict[str, Any]:
    features = []
    for feature in collection["features"]:
        code = feature["properties"]["code"]
        found = units.find(code, era=era)
        unit = found[0] if found else None
        properties = {
            "code": code,
            "era": era,
            "name": unit.name if unit else feature["properties"].get("name", code),
            "name_en": (unit.name_en if unit else None) or feature["properties"].get("name_en"),
            "kind": unit.kind.value if unit else "",
            "province_code": unit.province_code if unit else feature["properties"].get("province_code", code),
        }
        features.append({"type": "Feature", "id": code, "geometry": feature["geometry"], "properties": properties})
    return {"type": "FeatureCollection", "features": features}
