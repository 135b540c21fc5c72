"""Vega-Lite → SVG with vl-convert (offline), cached: the same spec renders once per process."""

from __future__ import annotations

import functools
import json
from typing import Any

VI_NUMBERS = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"], "percent": " %"}
EN_NUMBERS = {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["", " VND"]}


def svg(spec: dict[str, Any], lang: str = "vi") -> str:
    return _svg(json.dumps(spec, sort_keys=True, ensure_ascii=False), lang)


@functools.lru_cache(maxsize=512)
def _svg(spec_json: str, lang: str) -> str:
    import vl_convert

    text: str = vl_convert.vegalite_to_svg(
        spec_json, format_locale=VI_NUMBERS if lang == "vi" else EN_NUMBERS, config={"font": "sans-serif"}
    )
    # The SVG goes inline into the page: drop the XML prolog, let it scale to its container.
    start = text.find("<svg")
    return text[start:] if start > 0 else text
