"""Province and commune maps as SVG from the shipped boundaries, joined on official codes.

The geometry is one SVG document per map (`<path id="u01840">` per unit), served once and cached by
the browser; a page colours it by referencing each path with `<use href="…#u01840" fill="…">`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

from chiso.units import geo

WIDTH = 600.0
# Sequential blues (5 classes), light to dark; grey where a unit has no value.
PALETTE = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
MISSING = "#e2e8f0"


@dataclass(frozen=True)
class Geometry:
    svg: str
    width: float
    height: float
    codes: frozenset[str]
    etag: str


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


@functools.lru_cache(maxsize=40)
def geometry(era: str, kind: str, province: str | None) -> Geometry:
    collection = geo.boundaries(era, kind=kind, province=province)
    features = collection["features"]
    points = [p for f in features for ring in _rings(f["geometry"]) for p in ring]
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    factor = math.cos(math.radians((south + north) / 2))
    scale = WIDTH / ((east - west) * factor)
    height = (north - south) * scale
    tolerance = 0.6 if kind == "commune" else 0.9  # pixels: drop points closer than this

    def project(lon: float, lat: float) -> tuple[float, float]:
        return ((lon - west) * factor * scale, (north - lat) * scale)

    paths = []
    for feature in features:
        code = feature["properties"]["code"]
        parts = []
        for ring in _rings(feature["geometry"]):
            kept: list[tuple[float, float]] = []
            for lon, lat, *_ in ring:
                x, y = project(lon, lat)
                if not kept or abs(x - kept[-1][0]) + abs(y - kept[-1][1]) >= tolerance:
                    kept.append((x, y))
            if len(kept) >= 3:
                parts.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in kept) + "Z")
        if parts:
            paths.append(f'<path id="u{code}" d="{"".join(parts)}"/>')
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} {height:.0f}">'
        f"<defs>{''.join(paths)}</defs></svg>"
    )
    import hashlib

    etag = hashlib.sha256(svg.encode()).hexdigest()[:16]
    codes = frozenset(f["properties"]["code"] for f in features)
    return Geometry(svg, WIDTH, height, codes, etag)


def classes(values: dict[str, float | None]) -> tuple[list[float], dict[str, str]]:
    """Quantile breaks (up to 5 classes) and each unit's colour."""
    present = sorted(v for v in values.values() if v is not None)
    if not present:
        return [], {code: MISSING for code in values}
    n = min(len(PALETTE), len(set(present)))
    breaks = [present[min(len(present) - 1, int(len(present) * k / n))] for k in range(1, n)]
    palette = PALETTE[-n:] if n < len(PALETTE) else PALETTE
    colours = {}
    for code, value in values.items():
        if value is None:
            colours[code] = MISSING
        else:
            colours[code] = palette[sum(1 for b in breaks if value >= b)]
    return [present[0], *breaks, present[-1]], colours
