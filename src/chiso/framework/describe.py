"""Frameworks in words a commune officer can read (Vietnamese), with the English alongside: scoring
rules, node numbers, variable labels and units."""

from __future__ import annotations

from typing import Literal

from chiso import numbers
from chiso.framework.spec import (
    Aggregate,
    AssessedRule,
    BooleanRule,
    DistanceToTargetRule,
    Framework,
    GoalpostsRule,
    Indicator,
    MinMaxRule,
    PercentileRule,
    PointsRule,
    RankRule,
    RatioRule,
    ScoringRule,
    ThresholdsRule,
    TiersRule,
    View,
    ZScoreRule,
)

Language = Literal["vi", "en"]


def number(value: float) -> str:
    """Vietnamese number format to four decimals, no trailing zeros (10,5 · 20 · 1.234,5)."""
    return numbers.format(round(value, 4))


def rule_in_words(
    indicator: Indicator, default: ScoringRule | None = None, *, framework: Framework | None = None
) -> tuple[str, str]:
    """(Vietnamese, English) description of how the indicator is scored.

    Given the framework, a ratio names its variables by their labels instead of their names.
    """
    rule = indicator.scoring or default
    mp = number(indicator.max_points) if indicator.max_points is not None else "?"
    lower = indicator.direction == -1
    if rule is None:
        return ("Chưa có quy tắc chấm điểm", "No scoring rule")
    if isinstance(rule, RatioRule):
        vi = f"{_named(framework, rule.numerator, 'vi')} / {_named(framework, rule.denominator, 'vi')}"
        en = f"{_named(framework, rule.numerator, 'en')} / {_named(framework, rule.denominator, 'en')}"
        if rule.full_at != 1:
            return (
                f"{vi}: đạt {number(rule.full_at * 100)} % trở lên được {mp} điểm, thấp hơn tính theo tỷ lệ",
                f"{en}: {rule.full_at:.0%} or more earns {mp} points, less pro rata",
            )
        cap = ", tối đa" if rule.cap else ""
        return (f"{vi} × {mp} điểm{cap}", f"{en} × {mp} points{', capped' if rule.cap else ''}")
    if isinstance(rule, TiersRule):
        vi = "; ".join(
            f"{t.label or t.code}: {number(t.share * (indicator.max_points or 0))} điểm" for t in rule.levels
        )
        en = "; ".join(f"{t.code}: {number(t.share * (indicator.max_points or 0))} points" for t in rule.levels)
        return (vi, en)
    if isinstance(rule, ThresholdsRule):
        sign = "≤" if lower else "≥"
        steps = sorted(rule.steps, key=lambda s: s.at_least, reverse=not lower)
        vi = "; ".join(f"{sign} {number(s.at_least)}: {number(s.points)} điểm" for s in steps)
        en = "; ".join(f"{sign} {number(s.at_least)}: {number(s.points)} points" for s in steps)
        return (f"{vi}; còn lại: {number(rule.below)} điểm", f"{en}; otherwise {number(rule.below)}")
    if isinstance(rule, BooleanRule):
        return (f"Có: {mp} điểm; không: 0 điểm", f"Yes: {mp} points; no: 0")
    if isinstance(rule, PointsRule):
        return (f"Điểm chấm trực tiếp, từ 0 đến {mp}", f"Points awarded directly, 0 to {mp}")
    if isinstance(rule, AssessedRule):
        return (
            f"Đơn vị tự chấm, cơ quan thẩm định chấm lại, từ 0 đến {mp} điểm (công thức chưa công bố)",
            f"Self-scored by the unit and scored again by the appraiser, 0 to {mp} points (formula not published)",
        )
    if isinstance(rule, GoalpostsRule):
        cap = "" if rule.cap else " (không giới hạn)"
        return (
            f"Chuẩn hoá theo mốc {number(rule.min)}–{number(rule.max)} về thang {number(rule.scale)}{cap}",
            f"Goalposts {rule.min:g}–{rule.max:g} to a 0–{rule.scale:g} scale{'' if rule.cap else ', uncapped'}",
        )
    if isinstance(rule, MinMaxRule):
        return (
            f"Chuẩn hoá min–max giữa các đơn vị về {number(rule.low)}–{number(rule.high)}",
            f"Min–max over the units to {rule.low:g}–{rule.high:g}",
        )
    if isinstance(rule, ZScoreRule):
        return ("Điểm chuẩn z giữa các đơn vị", "z-score over the units")
    if isinstance(rule, RankRule):
        return ("Thứ hạng giữa các đơn vị", "Rank among the units")
    if isinstance(rule, PercentileRule):
        return ("Phân vị giữa các đơn vị", "Percentile rank among the units")
    assert isinstance(rule, DistanceToTargetRule)
    return (
        f"Khoảng cách tới mục tiêu {number(rule.target)}, thang {number(rule.scale)}",
        f"Distance to the target {rule.target:g}, 0–{rule.scale:g} scale",
    )


def _named(framework: Framework | None, variable: str, lang: Language) -> str:
    return variable if framework is None else label_of(framework, variable, lang)


def display_code(node: Indicator | Aggregate | View) -> str:
    """What people call a node: its published number (4.22.10) when it has one, else its code."""
    return node.number or node.code


def label_of(framework: Framework, variable: str, lang: Language = "vi") -> str:
    """A variable's label in the language asked, else in the other one, else its name."""
    try:
        spec = framework.variable(variable)
    except KeyError:
        return variable
    first, second = (spec.label, spec.label_en) if lang == "vi" else (spec.label_en, spec.label)
    return first or second or variable


def unit_of(framework: Framework, variable: str) -> str:
    """A variable's unit of measure (người, hộ, %), or "" when none is declared."""
    try:
        return framework.variable(variable).unit
    except KeyError:
        return ""
