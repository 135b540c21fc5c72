"""Validation rules as data, per framework: ranges, shares, numerator ≤ denominator, levels, evidence
when points > 0, consistency between indicators. Severity error (blocks) or warning (reported).

Rules live in `collection/rules/<framework code>.yaml`; a framework without a file gets the defaults.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from chiso.collection.schemas import Problem
from chiso.engine import Panel, run
from chiso.framework import Framework, Indicator
from chiso.framework.describe import label_of, number
from chiso.framework.spec import BooleanRule, RatioRule, TiersRule

Severity = Literal["error", "warning", "off"]
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class DefaultCheck(Frozen):
    severity: Severity = "error"
    except_: tuple[str, ...] = Field((), alias="except", description="Indicator codes the check skips.")


class Defaults(Frozen):
    non_negative: DefaultCheck = DefaultCheck()
    ratio_within_denominator: DefaultCheck = DefaultCheck()
    levels: DefaultCheck = DefaultCheck()
    self_score_within_max: DefaultCheck = DefaultCheck()
    evidence_when_points: DefaultCheck = DefaultCheck()
    self_score_matches_rule: DefaultCheck = DefaultCheck(severity="warning")


class RangeRule(Frozen):
    kind: Literal["range"]
    variables: tuple[str, ...] = Field(min_length=1)
    min: float | None = None
    max: float | None = None
    severity: Severity = "error"
    message: str = ""


class CompareRule(Frozen):
    kind: Literal["compare"]
    left: str
    op: Literal["<=", "<", ">=", ">", "=="]
    right: str
    severity: Severity = "error"
    message: str = ""


Rule = Annotated[RangeRule | CompareRule, Field(discriminator="kind")]


class RuleSet(Frozen):
    schema_: Literal["chiso/validation"] = Field("chiso/validation", alias="schema")
    version: Literal[1] = 1
    framework: str
    defaults: Defaults = Defaults()
    rules: tuple[Rule, ...] = ()


@functools.lru_cache(maxsize=32)
def load_rules(framework_code: str) -> RuleSet:
    resource = resources.files("chiso.collection.rules") / f"{framework_code}.yaml"
    if not resource.is_file():
        return RuleSet(framework=framework_code)
    return RuleSet.model_validate(yaml.safe_load(resource.read_text(encoding="utf-8")))


@dataclass
class ItemState:
    self_score: float | None = None
    evidence: int = 0


@dataclass
class UnitState:
    """Everything the rules read for one unit: its figures and, per indicator, self-score and evidence."""

    figures: dict[str, float | None] = field(default_factory=dict)
    items: dict[str, ItemState] = field(default_factory=dict)
    measured: set[str] = field(default_factory=set)  # figures computed from source records, not declared


def computed_points(framework: Framework, figures: Mapping[str, float | None]) -> dict[str, float]:
    """Points each indicator earns from the figures by its scoring rule (one unit, one period)."""
    variables = {
        v: np.array([[np.nan if figures.get(v) is None else float(figures[v])]])  # type: ignore[arg-type]
        for v in framework.variables
    }
    if all(np.isnan(a).all() for a in variables.values()):
        return {}
    result = run(framework, Panel.from_arrays(["unit"], ["period"], variables))
    out = {}
    for ind in framework.indicators:
        value = float(result.values[ind.code][0, 0])
        if not math.isnan(value):
            out[ind.code] = value
    return out


def validate(
    framework: Framework, rules: RuleSet, state: UnitState, points: Mapping[str, float] | None = None
) -> list[Problem]:
    """Every problem the rules find in one unit's state; `points` are `computed_points` of its figures
    when the caller has them already."""
    problems: list[Problem] = []
    d = rules.defaults
    owner = _variable_owner(framework)
    figures = state.figures

    def add(check: Severity, indicator: str, column: str, message: str) -> None:
        if check != "off":
            problems.append(Problem(message, check, column=column, indicator=indicator))

    for ind in framework.indicators:
        item = state.items.get(ind.code, ItemState())
        for var in ind.variables:
            value = figures.get(var)
            if value is not None and value < 0 and ind.code not in d.non_negative.except_ and owner[var] == ind.code:
                add(d.non_negative.severity, ind.code, var, f"số liệu không được âm / must not be negative ({value:g})")
        rule = ind.scoring
        if isinstance(rule, RatioRule) and ind.code not in d.ratio_within_denominator.except_:
            a, b = figures.get(rule.numerator), figures.get(rule.denominator)
            if a is not None and b is not None and a > b:
                add(
                    d.ratio_within_denominator.severity,
                    ind.code,
                    rule.numerator,
                    f"«{label_of(framework, rule.numerator)}» ({number(a)}) lớn hơn "
                    f"«{label_of(framework, rule.denominator)}» ({number(b)}) / "
                    f"“{label_of(framework, rule.numerator, 'en')}” ({a:g}) is above "
                    f"“{label_of(framework, rule.denominator, 'en')}” ({b:g})",
                )
        if isinstance(rule, TiersRule | BooleanRule) and ind.code not in d.levels.except_:
            var = ind.rule_variables[0]
            value = figures.get(var)
            levels = [t.value for t in rule.levels] if isinstance(rule, TiersRule) else [0.0, 1.0]
            if value is not None and value not in levels:
                text = ", ".join(f"{v:g}" for v in levels)
                add(
                    d.levels.severity, ind.code, var, f"mức khai phải là một trong {text} / level must be one of {text}"
                )
        problems.extend(_score_checks(ind, item, d))
    if points is None:
        points = computed_points(framework, figures) if state.items else {}
    for ind in framework.indicators:
        item = state.items.get(ind.code, ItemState())
        earned = item.self_score if item.self_score is not None else points.get(ind.code)
        # Points from measured figures rest on the records counted (their lineage), not on documents.
        from_records = item.self_score is None and set(ind.variables) <= state.measured
        if (
            earned
            and earned > 0
            and item.evidence == 0
            and not from_records
            and ind.code not in d.evidence_when_points.except_
        ):
            add(
                d.evidence_when_points.severity,
                ind.code,
                "evidence",
                f"có điểm ({number(earned)}) nhưng chưa có minh chứng / points claimed without evidence",
            )
        computed = points.get(ind.code)
        if (
            item.self_score is not None
            and computed is not None
            and abs(item.self_score - computed) > 0.01
            and ind.code not in d.self_score_matches_rule.except_
        ):
            add(
                d.self_score_matches_rule.severity,
                ind.code,
                "self_score",
                f"tự chấm {number(item.self_score)} điểm, theo số liệu được {number(computed)} điểm / "
                "self-score differs from the rule applied to the figures",
            )
    for r in rules.rules:
        problems.extend(_explicit(r, figures, owner))
    return problems


def _score_checks(ind: Indicator, item: ItemState, d: Defaults) -> list[Problem]:
    score, top = item.self_score, ind.max_points
    check = d.self_score_within_max
    if score is None or check.severity == "off" or ind.code in check.except_:
        return []
    if score < 0 or (top is not None and score > top):
        limit = number(top) if top is not None else "?"
        return [
            Problem(
                f"tự chấm phải từ 0 đến {limit} / self-score must be within 0–{limit} (got {number(score)})",
                check.severity,
                column="self_score",
                indicator=ind.code,
            )
        ]
    return []


def _explicit(
    rule: RangeRule | CompareRule, figures: Mapping[str, float | None], owner: dict[str, str]
) -> list[Problem]:
    if rule.severity == "off":
        return []
    out = []
    if isinstance(rule, RangeRule):
        for var in rule.variables:
            value = figures.get(var)
            if value is None:
                continue
            if (rule.min is not None and value < rule.min) or (rule.max is not None and value > rule.max):
                bounds = f"{'' if rule.min is None else f'{rule.min:g}'}–{'' if rule.max is None else f'{rule.max:g}'}"
                text = f"{var} = {value:g} ngoài khoảng {bounds} / outside {bounds}"
                out.append(_at(owner, var, f"{text}: {rule.message}" if rule.message else text, rule.severity))
        return out
    left, right = figures.get(rule.left), figures.get(rule.right)
    if left is None or right is None or OPERATORS[rule.op](left, right):
        return []
    text = f"{rule.left} ({left:g}) {rule.op} {rule.right} ({right:g}) không thoả / does not hold"
    return [_at(owner, rule.left, f"{text}: {rule.message}" if rule.message else text, rule.severity)]


def _at(owner: dict[str, str], variable: str, message: str, severity: str) -> Problem:
    return Problem(message, severity, column=variable, indicator=owner.get(variable, ""))


def _variable_owner(framework: Framework) -> dict[str, str]:
    """The first indicator that reads each variable (where a problem with it is reported)."""
    owner: dict[str, str] = {}
    for ind in framework.indicators:
        for var in ind.variables:
            owner.setdefault(var, ind.code)
    return owner
