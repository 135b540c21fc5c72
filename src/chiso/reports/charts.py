"""The report's charts: the pages' Vega-Lite specs rendered to SVG, and choropleth maps as plain SVG.

Typst draws an SVG with its own fonts only (the report embeds no system font), so the charts name the
report's font instead of the generic `sans-serif` the pages use.
"""

from __future__ import annotations

import re
from typing import Any

from chiso.charts import maps, render
from chiso.units.errors import UnitsError

FONT = "Libertinus Serif"  # shipped inside Typst; covers Vietnamese
_PATH = re.compile(r'<path id="u(?P<code>[^"]+)" d="(?P<d>[^"]+)"/>')


def chart(spec: dict[str, Any]) -> str:
    text = render.svg(spec, "vi")
    return text.replace('font-family="sans-serif"', f'font-family="{FONT}"').replace(
        "font-family: sans-serif", f"font-family: {FONT}"
    )


def choropleth(
    era: str, kind: str, province: str | None, values: dict[str, float | None]
) -> tuple[str, list[tuple[str, float, float]]] | None:
    """A standalone map coloured by quantile class, and its legend (colour, from, to); None without boundaries."""
    try:
        geometry = maps.geometry(era, kind, province)
    except UnitsError:
        return None
    breaks, colours = maps.classes(values)
    paths = [
        f'<path d="{m["d"]}" fill="{colours.get(m["code"], maps.MISSING)}" stroke="#ffffff" stroke-width="0.6"/>'
        for m in _PATH.finditer(geometry.svg)
    ]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {geometry.width:.0f} {geometry.height:.0f}" '
        f'width="{geometry.width:.0f}" height="{geometry.height:.0f}">{"".join(paths)}</svg>'
    )
    palette = maps.PALETTE[-(len(breaks) - 1) :] if len(breaks) > 1 else ()
    legend = [(colour, breaks[i], breaks[i + 1]) for i, colour in enumerate(palette)]
    return svg, legend
