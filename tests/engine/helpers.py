"""Small frameworks and panels built in code, for engine tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from chiso.engine import Panel, Result, run
from chiso.framework import Framework, parse_framework


def framework(nodes: list[dict[str, Any]], index: str = "total", **extra: Any) -> Framework:
    return parse_framework(
        {"schema": "chiso/framework", "version": 1, "code": "t", "name": "Thử", "index": index, "nodes": nodes, **extra}
    )


def indicator(code: str, rule: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"code": code, "kind": "indicator", "name": code, **extra}
    if rule is not None:
        node["scoring"] = rule
    return node


def aggregate(code: str, children: dict[str, float], **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "kind": "aggregate",
        "name": code,
        "children": [{"code": c, "weight": w} for c, w in children.items()],
        **extra,
    }


def score_one_period(fw: Framework, columns: dict[str, list[float]], **panel: Any) -> Result:
    units = [f"u{i}" for i in range(len(next(iter(columns.values()))))]
    variables = {k: np.array([v], dtype=float) for k, v in columns.items()}
    groups = {k: np.array([v], dtype=object) for k, v in panel.pop("groups", {}).items()}
    return run(fw, Panel.from_arrays(units, ["2025"], variables, groups=groups, **panel))


def values(result: Result, code: str) -> list[float]:
    return [float(v) for v in result.values[code][0]]
