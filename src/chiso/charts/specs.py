"""One Vega-Lite spec per chart. Data goes in the spec (values), so a spec is complete on its own."""

from __future__ import annotations

from typing import Any

Spec = dict[str, Any]
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
COLOUR = "#2b6cb0"
MUTED = "#a0aec0"


def _base(width: int, height: int, title: str = "") -> Spec:
    spec: Spec = {"$schema": SCHEMA, "width": width, "height": height, "background": "transparent"}
    if title:
        spec["title"] = {"text": title, "anchor": "start", "fontSize": 13}
    return spec


def trend(points: list[dict[str, Any]], *, y_title: str, unit_label: str = "", mean_label: str = "") -> Spec:
    """Lines over the years: the mean over units and, when given, one unit. Rows: year, series, value."""
    spec = _base(300, 160)
    spec["data"] = {"values": points}
    spec["mark"] = {"type": "line", "point": True}
    spec["encoding"] = {
        "x": {"field": "year", "type": "ordinal", "title": None, "axis": {"labelAngle": 0}},
        "y": {"field": "value", "type": "quantitative", "title": y_title, "scale": {"zero": False}},
        "color": {
            "field": "series",
            "type": "nominal",
            "title": None,
            "scale": {"domain": [s for s in (unit_label, mean_label) if s], "range": [COLOUR, MUTED]},
            "legend": {"orient": "bottom"},
        },
    }
    return spec


def pillars(rows: list[dict[str, Any]], *, x_title: str) -> Spec:
    """Horizontal bars per pillar: the unit's share of the maximum, with the mean of all units as a tick."""
    spec = _base(300, 26 * max(len(rows) // 2, 1))
    spec["data"] = {"values": rows}
    spec["encoding"] = {
        "y": {"field": "pillar", "type": "nominal", "title": None, "sort": None},
        "x": {
            "field": "share",
            "type": "quantitative",
            "title": x_title,
            "scale": {"domain": [0, 1]},
            "axis": {"format": ".0%"},
        },
    }
    spec["layer"] = [
        {"transform": [{"filter": "datum.series == 'unit'"}], "mark": {"type": "bar", "color": COLOUR}},
        {
            "transform": [{"filter": "datum.series == 'mean'"}],
            "mark": {"type": "tick", "color": "#c05621", "thickness": 3, "size": 18},
        },
    ]
    return spec


def distribution(rows: list[dict[str, Any]], *, x_title: str) -> Spec:
    """Each unit's share of the maximum on each pillar, as a box plot per pillar. Rows: pillar, share."""
    spec = _base(300, 28 * max(len({r["pillar"] for r in rows}), 1))
    spec["data"] = {"values": rows}
    spec["mark"] = {"type": "boxplot", "extent": 1.5, "color": COLOUR, "size": 14}
    spec["encoding"] = {
        "y": {"field": "pillar", "type": "nominal", "title": None, "sort": None},
        "x": {
            "field": "share",
            "type": "quantitative",
            "title": x_title,
            "scale": {"domain": [0, 1]},
            "axis": {"format": ".0%"},
        },
    }
    return spec


def forecast(
    observed: list[dict[str, Any]],
    outlook: dict[str, Any] | None,
    *,
    target: float,
    y_title: str,
    labels: dict[str, str],
    rank: bool = False,
    percent: bool = False,
) -> Spec:
    """A target's path: observed points, the forecast for the target year with its interval, the target.

    observed: rows year, value. outlook: year, value, low, high (the forecast and its interval), drawn as
    a band widening from the latest observation. A rank axis runs downwards (1 at the top).
    labels: the legend's names for "observed", "forecast" and "target".
    """
    spec = _base(300, 150)
    axis: dict[str, Any] = {"format": ".0%"} if percent else {}
    y = {
        "type": "quantitative",
        "title": y_title,
        "scale": {"zero": False, "reverse": rank, "nice": True},
        "axis": axis,
    }
    years = sorted({int(r["year"]) for r in observed} | ({int(outlook["year"])} if outlook else set()))
    ticks = list(range(years[0], years[-1] + 1)) if years else []  # whole years only, never 2023.5
    x: Spec = {"field": "year", "type": "quantitative", "title": None, "axis": {"format": "d", "values": ticks}}
    x["scale"] = {"zero": False, "nice": False}
    names = [labels["observed"], labels["forecast"], labels["target"]]
    colour: Spec = {"field": "series", "type": "nominal", "title": None, "legend": {"orient": "bottom"}}
    colour["scale"] = {"domain": names, "range": [COLOUR, "#805ad5", "#c05621"]}
    layers: list[Spec] = []
    if outlook is not None and observed:
        last = observed[-1]
        cone = [
            {"year": last["year"], "low": last["value"], "high": last["value"]},
            {"year": outlook["year"], "low": outlook["low"], "high": outlook["high"]},
        ]
        layers.append(
            {
                "data": {"values": cone},
                "mark": {"type": "area", "color": "#805ad5", "opacity": 0.18, "clip": True},
                "encoding": {"x": x, "y": {**y, "field": "low"}, "y2": {"field": "high"}},
            }
        )
        path = [{**last, "series": names[1]}, {"year": outlook["year"], "value": outlook["value"], "series": names[1]}]
        layers.append(
            {
                "data": {"values": path},
                "mark": {"type": "line", "strokeDash": [4, 3], "point": True},
                "encoding": {"x": x, "y": {**y, "field": "value"}, "color": colour},
            }
        )
    layers.append(
        {
            "data": {"values": [{**row, "series": names[0]} for row in observed]},
            "mark": {"type": "line", "point": True},
            "encoding": {"x": x, "y": {**y, "field": "value"}, "color": colour},
        }
    )
    layers.append(
        {
            "data": {"values": [{"value": target, "series": names[2]}]},
            "mark": {"type": "rule", "strokeDash": [6, 3], "strokeWidth": 1.5},
            "encoding": {"y": {**y, "field": "value"}, "color": colour},
        }
    )
    spec["layer"] = layers
    return spec
