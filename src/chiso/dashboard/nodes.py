"""A framework's nodes as the dashboards read them: in reading order, with depth, parent and number."""

from __future__ import annotations

from chiso.dashboard.schemas import NodeInfo
from chiso.framework import Framework, Indicator

_NODES: dict[int, tuple[Framework, list[NodeInfo]]] = {}


def nodes_of(framework: Framework) -> list[NodeInfo]:
    """Nodes in reading order: the index, views, then the tree depth first (kept per framework object)."""
    found = _NODES.get(id(framework))
    if found is not None and found[0] is framework:
        return found[1]
    out = _nodes_of(framework)
    if len(_NODES) > 64:
        _NODES.clear()
    _NODES[id(framework)] = (framework, out)
    return out


def _nodes_of(framework: Framework) -> list[NodeInfo]:
    parent: dict[str, str] = {}
    for node in framework.aggregates:
        if node.kind == "aggregate":
            for child in node.children:
                parent.setdefault(child.code, node.code)
    out: list[NodeInfo] = []
    seen: set[str] = set()

    def visit(code: str, depth: int) -> None:
        if code in seen:
            return
        seen.add(code)
        node = framework.node(code)
        out.append(
            NodeInfo(code, node.name, node.name_en, node.kind, node.max_points, parent.get(code), depth, node.number)
        )
        if node.kind == "aggregate":
            for child in node.children:
                visit(child.code, depth + 1)

    visit(framework.index, 0)
    for view in framework.aggregates:
        if view.kind == "view":
            visit(view.code, 0)
    for each in framework.nodes:
        visit(each.code, 0)
    return out


def pillars_of(framework: Framework) -> list[str]:
    index = framework.node(framework.index)
    return [] if isinstance(index, Indicator) else [c.code for c in index.children]
