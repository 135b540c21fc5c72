"""Whole-framework checks that a single model cannot make: references, cycles, totals, rule ranges.

Every problem names the node path (`nodes[4] 'gov_activity' → children[2]`) and what to change, so a
province editing its YAML can fix all problems in one pass.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from chiso.errors import ChisoError
from chiso.framework.spec import (
    CROSS_SECTION_RULES,
    POINTS_RULES,
    Aggregate,
    Framework,
    Indicator,
    RatioRule,
    ThresholdsRule,
    TiersRule,
    VariableSpec,
    View,
)

WEIGHT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class FrameworkError(ChisoError, ValueError):
    """A framework file or object that cannot be used, with every problem found."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{head}{len(problems)} problem(s) in the framework:\n{lines}")


def node_path(index: int, code: str) -> str:
    return f"nodes[{index}] '{code}'"


def variable_path(index: int, name: str) -> str:
    return f"variables[{index}] '{name}'"


def check(framework: Framework) -> list[Problem]:
    """All problems of a parsed framework; empty when it can be scored."""
    problems = list(_duplicates(framework))
    if problems:
        return problems  # references cannot be resolved while codes are ambiguous
    problems += _references(framework)
    problems += _cycles(framework)
    problems += _totals(framework)
    problems += _rules(framework)
    problems += _reachability(framework)
    problems += _variables(framework)
    problems += _numbers(framework)
    problems += _gates(framework)
    problems += _adjustments(framework)
    return problems


def _duplicates(fw: Framework) -> Iterator[Problem]:
    first_seen: dict[str, int] = {}
    for i, node in enumerate(fw.nodes):
        if node.code in first_seen:
            yield Problem(
                node_path(i, node.code),
                f"duplicate code: also used by nodes[{first_seen[node.code]}]; every node needs its own code",
            )
        else:
            first_seen[node.code] = i


def _references(fw: Framework) -> Iterator[Problem]:
    kinds = {n.code: n.kind for n in fw.nodes}
    if fw.index not in kinds:
        yield Problem("index", f"unknown node {fw.index!r}; name the code of the root aggregate")
    elif kinds[fw.index] == "indicator":
        yield Problem("index", f"{fw.index!r} is an indicator; the index must be an aggregate")
    for i, node in enumerate(fw.nodes):
        path = node_path(i, node.code)
        if isinstance(node, Indicator):
            for var in node.variables:
                if kinds.get(var, "indicator") != "indicator":
                    yield Problem(path, f"variable {var!r} has the code of {kinds[var]} {var!r}; rename one")
            if node.inputs:
                for var in node.rule_variables:
                    if var not in node.inputs:
                        yield Problem(f"{path} → scoring", f"reads {var!r}, which is not among its inputs")
            continue
        seen: set[str] = set()
        for j, child in enumerate(node.children):
            child_path = f"{path} → children[{j}]"
            if child.code not in kinds:
                yield Problem(child_path, f"unknown node {child.code!r}")
            elif child.code in seen:
                yield Problem(child_path, f"{child.code!r} is listed twice")
            elif kinds[child.code] == "view" and isinstance(node, Aggregate):
                yield Problem(child_path, f"{child.code!r} is a view; views sit outside the main tree")
            seen.add(child.code)


def _cycles(fw: Framework) -> Iterator[Problem]:
    children = {n.code: [c.code for c in n.children] for n in fw.aggregates}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[str]] = set()

    def visit(code: str, trail: list[str]) -> Iterator[Problem]:
        state[code] = 1
        for child in children.get(code, []):
            if state.get(child) == 1:
                loop = [*trail[trail.index(child) :], child] if child in trail else [code, child]
                key = frozenset(loop)
                if key not in reported:
                    reported.add(key)
                    yield Problem(f"node '{child}'", "cycle: " + " → ".join(loop))
            elif child in children and state.get(child) is None:
                yield from visit(child, [*trail, child])
        state[code] = 2

    for code in children:
        if state.get(code) is None:
            yield from visit(code, [code])


def _totals(fw: Framework) -> Iterator[Problem]:
    max_points = {n.code: n.max_points for n in fw.nodes}
    for i, node in enumerate(fw.nodes):
        if isinstance(node, Indicator):
            continue
        path = node_path(i, node.code)
        scored = [c for c in node.children if c.role == "score"]  # bonus and penalty sit outside the totals
        weights = sum(c.weight for c in scored)
        if node.total_weight is not None and not math.isclose(
            weights, node.total_weight, rel_tol=0, abs_tol=WEIGHT_TOLERANCE * max(1.0, node.total_weight)
        ):
            yield Problem(path, f"weights add up to {weights:g}, not the declared total {node.total_weight:g}")
        if node.children and node.method != "sum" and weights <= 0:
            yield Problem(path, "all weights are zero; at least one child needs a positive weight")
        known = [c for c in scored if c.code in max_points]  # unknown ones are reported already
        if node.method == "sum" and node.max_points is not None and known:
            child_max = [max_points.get(c.code) for c in known]
            if all(m is not None for m in child_max):
                total = sum(m for m in child_max if m is not None)
                if not math.isclose(total, node.max_points, abs_tol=WEIGHT_TOLERANCE):
                    yield Problem(
                        path,
                        f"children's maximum points add up to {total:g}, not the declared {node.max_points:g}",
                    )
            else:
                missing = [c.code for c, m in zip(known, child_max, strict=True) if m is None]
                yield Problem(path, f"sums points, but children {missing} declare no max_points")


def _rules(fw: Framework) -> Iterator[Problem]:
    for i, node in enumerate(fw.nodes):
        if not isinstance(node, Indicator):
            continue
        path = node_path(i, node.code)
        rule = node.scoring or fw.pipeline.normalise
        if rule is None:
            yield Problem(path, "no scoring rule, and the pipeline declares no `normalise` rule")
            continue
        if rule.rule in POINTS_RULES and node.max_points is None:
            yield Problem(f"{path} → scoring", f"rule {rule.rule!r} gives points: declare max_points")
        if isinstance(rule, ThresholdsRule) and node.max_points is not None:
            for j, step in enumerate(rule.steps):
                if step.points > node.max_points:
                    yield Problem(
                        f"{path} → scoring.steps[{j}]",
                        f"{step.points:g} points is more than max_points {node.max_points:g}",
                    )
            if rule.below > node.max_points:
                yield Problem(f"{path} → scoring.below", "more points than max_points")
        if isinstance(rule, RatioRule) and rule.numerator == rule.denominator:
            yield Problem(f"{path} → scoring", "numerator and denominator are the same variable")
        if node.denominator is not None and node.denominator in node.rule_variables:
            yield Problem(path, f"denominator {node.denominator!r} is also an input of the rule")


def _reachability(fw: Framework) -> Iterator[Problem]:
    children = {n.code: [c.code for c in n.children] for n in fw.aggregates}
    roots = [fw.index, *(n.code for n in fw.nodes if isinstance(n, View))]
    reached: set[str] = set()
    stack = [r for r in roots if r in children]
    while stack:
        code = stack.pop()
        if code in reached:
            continue
        reached.add(code)
        stack.extend(children.get(code, []))
    for i, node in enumerate(fw.nodes):
        if node.code not in reached and not isinstance(node, View):
            yield Problem(
                node_path(i, node.code),
                f"not reached from the index {fw.index!r} or any view; add it as a child or remove it",
            )


# --- inputs described for people ---------------------------------------------------------------------

COLLECTED_FIELDS = ("label", "label_en", "unit", "kind")
UNITLESS_KINDS = frozenset({"date", "text"})


def _variables(fw: Framework) -> Iterator[Problem]:
    first_seen: dict[str, int] = {}
    for i, spec in enumerate(fw.variable_specs):
        path = variable_path(i, spec.name)
        if spec.name in first_seen:
            yield Problem(path, f"declared twice (also variables[{first_seen[spec.name]}])")
            continue
        first_seen[spec.name] = i
        if fw.collected:
            missing = [f for f in COLLECTED_FIELDS if not getattr(spec, f)]
            if spec.kind in UNITLESS_KINDS and "unit" in missing:
                missing.remove("unit")
            if missing:
                yield Problem(
                    path,
                    f"missing {', '.join(missing)}; a collected framework gives every variable "
                    "label, label_en, unit and kind",
                )
        yield from (Problem(path, m) for m in _bound_problems(spec))
    if fw.collected:
        reported: set[str] = set()
        for i, node in enumerate(fw.nodes):
            if not isinstance(node, Indicator):
                continue
            for var in node.variables:
                if var not in first_seen and var not in reported:
                    reported.add(var)
                    yield Problem(
                        node_path(i, node.code),
                        f"reads {var!r}, which `variables` does not declare; a collected framework declares "
                        "every variable it reads (label, label_en, unit, kind)",
                    )
    yield from _levels_match_tiers(fw, first_seen)


def _bound_problems(spec: VariableSpec) -> Iterator[str]:
    low, high = spec.min, spec.max
    if low is not None and high is not None and low > high:
        yield f"min {low:g} is above max {high:g}"
    bounds = [b for b in (low, high) if b is not None]
    if spec.kind in UNITLESS_KINDS and bounds:
        yield f"min and max are for numbers, not a {spec.kind} variable; remove them"
    if spec.kind == "share" and any(not 0 <= b <= 1 for b in bounds):
        yield "a share is a decimal from 0 to 1 (15 % = 0.15); its bounds must lie within 0–1"
    if spec.kind == "boolean" and any(not 0 <= b <= 1 for b in bounds):
        yield "a yes/no variable is 1 or 0; its bounds must lie within 0–1"
    if spec.kind == "level":
        values = [o.value for o in spec.options]
        if not values:
            yield "a level variable lists its `options` (value → label), e.g. 2 = Đạt đầy đủ"
        elif len(set(values)) != len(values):
            yield "two options declare the same value; each option needs its own number"
        outside = [v for v in values if (low is not None and v < low) or (high is not None and v > high)]
        if outside:
            yield f"options {', '.join(f'{v:g}' for v in outside)} lie outside min–max"
    elif spec.options:
        yield f"`options` are for level variables, not a {spec.kind or 'variable without kind'}; remove them"


def _levels_match_tiers(fw: Framework, declared: dict[str, int]) -> Iterator[Problem]:
    """A level variable offers exactly the values its tiers rules score, so no answer scores nothing."""
    for i, node in enumerate(fw.nodes):
        if not isinstance(node, Indicator) or not isinstance(node.scoring, TiersRule):
            continue
        var = node.rule_variables[0]
        if var not in declared:
            continue
        spec = fw.variable_specs[declared[var]]
        if spec.kind != "level" or not spec.options:
            continue
        offered, scored = {o.value for o in spec.options}, {t.value for t in node.scoring.levels}
        if offered != scored:
            yield Problem(
                variable_path(declared[var], var),
                f"options {_values(offered)} differ from the levels {_values(scored)} of "
                f"{node_path(i, node.code)} → scoring",
            )


def _values(values: set[float]) -> str:
    return ", ".join(f"{v:g}" for v in sorted(values))


def _numbers(fw: Framework) -> Iterator[Problem]:
    first_seen: dict[str, int] = {}
    for i, node in enumerate(fw.nodes):
        path = node_path(i, node.code)
        if node.number is None:
            if fw.collected and isinstance(node, Indicator):
                yield Problem(path, "no `number`; a collected framework shows every indicator by its published number")
        elif node.number in first_seen:
            yield Problem(path, f"number {node.number!r} is also used by nodes[{first_seen[node.number]}]")
        else:
            first_seen[node.number] = i


def _gates(fw: Framework) -> Iterator[Problem]:
    """Gates read other nodes: they must exist and not depend on the gated node (no cycle)."""
    from graphlib import CycleError, TopologicalSorter

    codes = {n.code for n in fw.nodes}
    graph = {n.code: [c.code for c in n.children] for n in fw.aggregates}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError:
        return  # `_cycles` reports it
    for i, node in enumerate(fw.nodes):
        if isinstance(node, Indicator):
            continue
        for j, gate in enumerate(node.gates):
            for k, condition in enumerate(gate.when):
                path = f"{node_path(i, node.code)} → gates[{j}].when[{k}]"
                if condition.node not in codes:
                    yield Problem(path, f"unknown node {condition.node!r}")
                elif condition.node == node.code:
                    yield Problem(path, "a gate cannot test the node it sets")
                else:
                    graph[node.code] = [*graph[node.code], condition.node]
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        loop = " → ".join(str(c) for c in exc.args[1])
        yield Problem("gates", f"a gate reads a node that depends on the gated one: {loop}")


def _adjustments(fw: Framework) -> Iterator[Problem]:
    """An aggregate's `normalise` rule compares units (or uses goalposts); bonus needs a score to add to."""
    for i, node in enumerate(fw.nodes):
        if isinstance(node, Indicator):
            continue
        path = node_path(i, node.code)
        rule = node.normalise
        if rule is not None:
            if rule.rule not in CROSS_SECTION_RULES | {"goalposts"}:
                allowed = ", ".join(sorted(CROSS_SECTION_RULES | {"goalposts"}))
                yield Problem(f"{path} → normalise", f"an aggregate is normalised with one of {allowed}")
            elif getattr(rule, "input", None) is not None:
                yield Problem(f"{path} → normalise", "reads the node's own value: remove `input`")
        if node.children and all(c.role != "score" for c in node.children):
            yield Problem(path, "only bonus and penalty children: at least one child needs `role: score`")
