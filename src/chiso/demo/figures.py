"""Simulated declarations for the demo: figures, self-scores and evidence for a unit and a year.

Every figure is drawn from a seeded model — a unit's size and capacity, a yearly improvement, and each
indicator's difficulty — and then put through the framework's own rules so that it is consistent: a
numerator never exceeds its denominator, levels are the declared levels, shares stay within 0–1, the
cross-indicator rules of `collection/rules/` hold. Self-scores are the points the figures give, with a
few units over- or under-claiming (as observed in published data) so that appraisal has work to do.
Evidence documents are invented and say so ("[mô phỏng]").
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from chiso.collection.schemas import DeclarationIn, EvidenceIn
from chiso.collection.validation import computed_points
from chiso.framework import Framework, Indicator
from chiso.framework.spec import BooleanRule, PointsRule, RatioRule, ThresholdsRule, TiersRule

SIMULATED = "[mô phỏng]"
# Harder indicators (negative) are achieved less often; offsets on the unit's capacity.
DIFFICULTY = {
    "c1_1": -0.55,
    "c1_2": -0.35,
    "c1_4": -0.35,
    "c1_6": -0.15,
    "c2_2": -0.1,
    "c3_1": -0.2,
    "c3_2": -0.15,
    "c4_4": -0.2,
    "c4_5": 0.1,
    "c4_6": 0.2,
    "c4_10": -0.05,
    "c4_11": -0.12,
    "c4_15": -0.4,
    "c4_17": -0.15,
    "c4_19": 0.1,
    "c4_20": -0.25,
    "c4_21": -0.1,
    "c5_1": -0.3,
    "c5_2": -0.25,
    "c5_3": -0.25,
    "c5_4": -0.3,
    "c6_3": -0.4,
    "c6_4": -0.15,
    "c6_5": -0.2,
    "d6_2": -0.1,
    "d6_9": -0.2,
    "d6_10": -0.2,
    "d7_1": -0.1,
}
NO_PUBLIC_SERVICES = {"TTRA"}  # department abbreviations with no public services: 6.1–6.5 not applicable
DIGITAL_ECONOMY = {"SCT", "SKHCN", "STC", "SNNMT", "SVHTTDL"}  # departments with a digital-economy mandate


def rng_for(seed: int, *key: object) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32("/".join(map(str, key)).encode())])


@dataclass(frozen=True)
class Profile:
    """What the simulation knows of a unit: its kind, size and capacity (0–1) and how fast it improves."""

    code: str
    kind: str  # "xa", "phuong" or "department"
    population: int
    capacity: float
    growth: float
    abbr: str = ""

    @classmethod
    def draw(cls, seed: int, code: str, subtype: str) -> Profile:
        rng = rng_for(seed, "profile", code)
        ward = subtype == "phuong"
        department = "-" in code
        population = 0 if department else int(rng.uniform(14_000, 48_000) if ward else rng.uniform(5_000, 22_000))
        capacity = float(np.clip(rng.normal(0.72 if ward or department else 0.6, 0.1), 0.3, 0.95))
        growth = float(rng.uniform(0.03, 0.09))
        kind = "department" if department else ("phuong" if ward else "xa")
        return cls(code, kind, population, capacity, growth, code.split("-")[-1] if department else "")


def _uniform(low: float, high: float) -> Callable[[Profile, np.random.Generator, dict[str, float]], float]:
    return lambda p, rng, f: float(rng.uniform(low, high))


def _base_rules() -> dict[str, Callable[[Profile, np.random.Generator, dict[str, float]], float]]:
    """How each denominator-like quantity is drawn: from the unit's size and the figures drawn before."""
    commune = {
        "population": lambda p, rng, f: p.population,
        "households": lambda p, rng, f: round(f["population"] / rng.uniform(3.4, 4.0)),
        "residents_14plus": lambda p, rng, f: round(f["population"] * rng.uniform(0.76, 0.8)),
        "residents_15plus": lambda p, rng, f: round(f["residents_14plus"] * rng.uniform(0.96, 0.985)),
        "residents_18plus": lambda p, rng, f: round(f["residents_15plus"] * rng.uniform(0.93, 0.96)),
        "hamlets": lambda p, rng, f: round(rng.uniform(10, 30) if p.kind == "phuong" else rng.uniform(12, 40)),
        "fixed_broadband_users": lambda p, rng, f: round(f["households"] * rng.uniform(0.5, 0.9)),
        "dossiers_received": lambda p, rng, f: round(f["population"] * rng.uniform(0.06, 0.2)),
        "dossiers_resolved": lambda p, rng, f: round(f["dossiers_received"] * rng.uniform(0.93, 0.99)),
        "online_ratings": lambda p, rng, f: round(f["dossiers_received"] * rng.uniform(0.2, 0.5)),
        "community_tech_members": lambda p, rng, f: round(f["hamlets"] * rng.uniform(3, 5)),
        "residents_skills_target": lambda p, rng, f: round(f["population"] * rng.uniform(0.05, 0.15)),
        "enterprises": lambda p, rng, f: round(f["population"] * rng.uniform(0.005, 0.02)),
        "budget_spending": lambda p, rng, f: round(rng.uniform(15_000, 60_000)),  # triệu đồng
        "budget_spending_recurrent": lambda p, rng, f: round(f["budget_spending"] * rng.uniform(0.6, 0.8)),
        "budget_spending_investment": lambda p, rng, f: f["budget_spending"] - f["budget_spending_recurrent"],
    }
    shared = {
        "staff": lambda p, rng, f: round(rng.uniform(40, 200) if p.kind == "department" else rng.uniform(25, 50)),
        "computers": lambda p, rng, f: f["staff"] + round(rng.uniform(3, 15)),
        "info_systems": lambda p, rng, f: round(rng.uniform(2, 8) if p.kind == "department" else rng.uniform(1, 4)),
        "documents_issued": lambda p, rng, f: round(rng.uniform(400, 2500) * (3 if p.kind == "department" else 1)),
        "work_records": lambda p, rng, f: round(rng.uniform(300, 1500) * (2 if p.kind == "department" else 1)),
        "meetings": lambda p, rng, f: round(rng.uniform(12, 40)),
        "reports_required": lambda p, rng, f: round(rng.uniform(10, 16)),
        "feedback_received": lambda p, rng, f: round(rng.uniform(5, 60) * (3 if p.kind == "department" else 1)),
        "feedback_rated": lambda p, rng, f: round(f["feedback_received"] * rng.uniform(0.4, 0.8)),
        "province_plan_tasks_assigned": lambda p, rng, f: round(rng.uniform(3, 12)),
    }
    department = {
        "it_staff": _uniform(2, 8),
        "procedures_eligible": lambda p, rng, f: 0 if p.abbr in NO_PUBLIC_SERVICES else round(rng.uniform(20, 150)),
        "dossiers_received": lambda p, rng, f: 0 if p.abbr in NO_PUBLIC_SERVICES else round(rng.uniform(500, 20_000)),
        "dx_directives_required": _uniform(2, 8),
        "econ_tasks_assigned": _uniform(3, 10),
        "own_plan_tasks": _uniform(8, 20),
    }
    return {**commune, **shared, **department}


BASE = _base_rules()


@dataclass
class UnitYear:
    """What the simulation declares for one unit in one year."""

    figures: dict[str, float | None]
    points: dict[str, float]
    items: list[DeclarationIn] = field(default_factory=list)
    overclaimed: list[str] = field(default_factory=list)
    underclaimed: list[str] = field(default_factory=list)


class Simulator:
    """Draws a unit's figures for a year from its profile; the same seed always gives the same figures."""

    def __init__(self, framework: Framework, seed: int) -> None:
        self.framework, self.seed = framework, seed

    def achievement(self, profile: Profile, indicator: str, year: int) -> float:
        rng = rng_for(self.seed, "achieve", profile.code, indicator, year)
        level = profile.capacity + profile.growth * (year - 2023) + DIFFICULTY.get(indicator, 0.0)
        return float(np.clip(level + rng.normal(0, 0.1), 0.0, 1.0))

    def figures(
        self,
        profile: Profile,
        year: int,
        *,
        totals: dict[str, int] | None = None,
        fixed: dict[str, float] | None = None,
    ) -> dict[str, float | None]:
        """The unit's figures for the year; `fixed` ones (measured from records) are kept as they are and the
        others drawn around them (a share of a measured denominator is a share of the measured count)."""
        rng = rng_for(self.seed, "figures", profile.code, year)
        fixed = fixed or {}
        drawn: dict[str, float] = dict(fixed)

        def get(var: str) -> float:
            if var not in drawn:
                rule = BASE.get(var)
                drawn[var] = rule(profile, rng, _Lazy(get)) if rule else round(rng.uniform(5, 50))
            return drawn[var]

        applies = self.applies(profile)
        for ind in self.framework.indicators:
            if ind.code not in applies:
                continue
            s = self.achievement(profile, ind.code, year)
            rule = ind.scoring
            if isinstance(rule, RatioRule):
                denominator = get(rule.denominator)
                share = s if ind.code != "c2_4" else s * 1.1
                limit = math.inf if ind.code == "c2_4" else denominator
                drawn[rule.numerator] = float(min(limit, round(share * denominator)))
            elif isinstance(rule, ThresholdsRule):
                var = ind.rule_variables[0]
                value = _threshold_value(rule, s, rng)
                if ind.denominator:
                    value = value * get(ind.denominator)
                    value = float(math.ceil(value)) if var == "digital_tech_enterprises" else round(value, 1)
                elif all(float(st.at_least).is_integer() for st in rule.steps):
                    value = float(math.ceil(value))
                drawn[var] = value if var != "steering_meetings" else max(1.0, value)
            elif isinstance(rule, TiersRule):
                levels = sorted(t.value for t in rule.levels)
                drawn[ind.rule_variables[0]] = levels[min(len(levels) - 1, int(s * len(levels) * 0.999))]
            elif isinstance(rule, BooleanRule):
                drawn[ind.rule_variables[0]] = 1.0 if s > 0.3 else 0.0
            elif isinstance(rule, PointsRule):
                top = ind.max_points or 0
                drawn[ind.rule_variables[0]] = round(s * top * 2) / 2
        if totals and "digital_tech_enterprises" in totals:
            drawn["digital_tech_enterprises"] = float(totals["digital_tech_enterprises"])
        drawn.update(fixed)
        self._consistent(drawn, set(fixed))
        return {var: drawn.get(var) for var in self.framework.variables if var in drawn}

    def applies(self, profile: Profile) -> set[str]:
        """Indicators the unit declares: a department without a digital-economy mandate leaves 7.1 empty."""
        codes = {ind.code for ind in self.framework.indicators}
        if profile.kind == "department" and profile.abbr not in DIGITAL_ECONOMY:
            codes.discard("d7_1")
        return codes

    @staticmethod
    def _consistent(f: dict[str, float], fixed: set[str]) -> None:
        """The cross-indicator rules (collection/rules/commune-2025.yaml) hold; fixed figures do not move."""
        if "dossiers_full_online" in f and "dossiers_online" in f:
            if "dossiers_full_online" in fixed:  # fully online dossiers were submitted online
                f["dossiers_online"] = max(f["dossiers_online"], f["dossiers_full_online"])
            else:
                f["dossiers_full_online"] = min(f["dossiers_full_online"], f["dossiers_online"])
        if {"dx_spending", "dx_spending_recurrent", "dx_spending_investment"} <= f.keys():
            f["dx_spending"] = round(f["dx_spending_recurrent"] + f["dx_spending_investment"], 1)
            f["dx_spending_recurrent"] = min(f["dx_spending_recurrent"], f["dx_spending"])

    def declare(self, profile: Profile, year: int, figures: dict[str, float | None]) -> UnitYear:
        """Items with figures, self-scores and evidence; a few units over- or under-claim."""
        points = computed_points(self.framework, figures)
        rng = rng_for(self.seed, "claims", profile.code, year)
        out = UnitYear(figures, points)
        applies = self.applies(profile)
        for n, ind in enumerate(self.framework.indicators, start=1):
            if ind.code not in applies:
                out.items.append(DeclarationIn(indicator=ind.code, evidence=()))
                continue
            earned = points.get(ind.code)
            top = ind.max_points or 0.0
            self_score = None if earned is None else round(earned, 2)
            draw = rng.random()
            if earned is not None and draw < 0.05 and earned < top - 1:
                self_score = round(min(top, earned + max(1.0, 0.4 * (top - earned))), 2)
                out.overclaimed.append(ind.code)
            elif earned is not None and draw > 0.975 and earned > 2:
                self_score = round(earned * 0.4, 2)
                out.underclaimed.append(ind.code)
            item_values = {v: figures.get(v) for v in ind.variables}
            out.items.append(
                DeclarationIn(
                    indicator=ind.code,
                    values=item_values,
                    self_score=self_score,
                    evidence=(document(profile, ind, year, n, rng),),
                )
            )
        return out


class _Lazy(dict[str, float]):
    """The figures drawn so far, drawing a missing one on first use (a base rule may read another)."""

    def __init__(self, get: Callable[[str], float]) -> None:
        super().__init__()
        self._get = get

    def __missing__(self, key: str) -> float:
        return self._get(key)


def _threshold_value(rule: ThresholdsRule, s: float, rng: np.random.Generator) -> float:
    steps = sorted(st.at_least for st in rule.steps)
    if getattr(rule, "direction", 1) == -1 or (steps[0] == 0 and len(steps) == 2 and steps[1] == 1):
        return 0.0 if s > 0.6 else (1.0 if s > 0.3 else float(rng.integers(2, 5)))
    reached = min(len(steps), int(s * (len(steps) + 1)))
    if reached == 0:
        return 0.0
    low = steps[reached - 1]
    high = steps[reached] if reached < len(steps) else low * 1.4
    return float(low + (high - low) * rng.uniform(0, 0.8))


def document(profile: Profile, ind: Indicator, year: int, n: int, rng: np.random.Generator) -> EvidenceIn:
    """An invented evidence document: số hiệu – ngày – trích yếu, marked as simulated."""
    issuer = f"BC-{profile.abbr}" if profile.kind == "department" else "BC-UBND"
    when = dt.date(year, int(rng.integers(8, 11)), int(rng.integers(1, 29)))
    return EvidenceIn(
        doc_number=f"{n + 10 * (year % 100)}/{issuer}",
        doc_date=when,
        summary=f"Báo cáo: {ind.name} năm {year} {SIMULATED}",
    )


def supplement(profile: Profile, ind: Indicator, year: int, item: DeclarationIn) -> DeclarationIn:
    """The item resubmitted after a return: one more document and an explanation."""
    extra = EvidenceIn(
        doc_number=f"{int(zlib.crc32(ind.code.encode()) % 200) + 1}/GT-UBND"
        if profile.kind != "department"
        else f"{int(zlib.crc32(ind.code.encode()) % 200) + 1}/GT-{profile.abbr}",
        doc_date=dt.date(year, 11, 20),
        summary=f"Giải trình, bổ sung minh chứng: {ind.name} {SIMULATED}",
    )
    return item.model_copy(
        update={
            "evidence": (*(item.evidence or ()), extra),
            "explanation": "Đã bổ sung minh chứng theo ý kiến thẩm định",
        }
    )
