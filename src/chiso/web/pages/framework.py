"""Framework: the tree with weights, maximum points, rules in words and the evidence to attach."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chiso.dashboard.nodes import nodes_of
from chiso.errors import NotFound
from chiso.framework import Framework, Indicator, shipped_codes
from chiso.framework.describe import display_code, rule_in_words
from chiso.permissions import check
from chiso.web.api.catalog import shipped
from chiso.web.deps import WhoDep
from chiso.web.render import Page, render

router = APIRouter()


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    name_en: str
    depth: int
    kind: str
    weight: float | None
    max_points: float | None
    rule_vi: str
    rule_en: str
    evidence: str
    source: str


@dataclass(frozen=True)
class FrameworksPage(Page):
    frameworks: list[Framework]


@dataclass(frozen=True)
class FrameworkPage(Page):
    framework: Framework
    rows: list[Row]


@router.get("/frameworks")
def frameworks(request: Request, who: WhoDep) -> Response:
    check(who.actor, "framework.view")
    return render(request, who, FrameworksPage([shipped(c) for c in shipped_codes()]))


@router.get("/frameworks/{code}")
def framework_page(request: Request, who: WhoDep, code: str) -> Response:
    check(who.actor, "framework.view")
    if code not in shipped_codes():
        raise NotFound(f"no framework {code!r}")
    fw = shipped(code)
    weights: dict[str, float] = {}
    for aggregate in fw.aggregates:
        for child in aggregate.children:
            weights.setdefault(child.code, child.weight)
    rows = []
    for info in nodes_of(fw):
        node = fw.node(info.code)
        vi, en = rule_in_words(node, fw.pipeline.normalise, framework=fw) if isinstance(node, Indicator) else ("", "")
        rows.append(
            Row(
                display_code(node),
                node.name,
                node.name_en,
                info.depth,
                node.kind,
                weights.get(node.code),
                node.max_points,
                vi,
                en,
                node.evidence,
                node.source,
            )
        )
    return render(request, who, FrameworkPage(fw, rows))
