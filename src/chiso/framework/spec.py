"""The framework specification: frozen pydantic models that round-trip to YAML.

A framework is a DAG of nodes. *Indicators* turn raw variables into a score with a scoring rule;
*aggregates* combine children (with weights or maximum points) into a score; *views* are aggregates
outside the main tree (the DTI pillar scores reuse the five foundation indicators). The pipeline
declares the treatments a composite index needs before scoring (denominate, impute, screen, treat).

Only shape and local constraints live here; references, cycles and totals are checked in
`chiso.framework.validate`, which can name the node path of each problem.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

SCHEMA_ID: Final = "chiso/framework"
SCHEMA_VERSION: Final = 1

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
# Raw variables are named by the columns of the files that carry them, which may hold spaces.
VariableName = Annotated[str, Field(min_length=1, max_length=200)]
Direction = Literal[1, -1]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- scoring rules --------------------------------------------------------------------------------
# Points rules give points in [0, max_points] of their indicator; normalising rules give a score on
# their own scale (e.g. 0–100). Every rule names the variable it reads; most read one (`input`).


class RatioRule(Frozen):
    """a / b ÷ full_at × max_points, capped at max_points unless `cap` is false."""

    rule: Literal["ratio"]
    numerator: VariableName
    denominator: VariableName
    full_at: float = Field(1, gt=0, le=1, description="The share that earns full points (e.g. 0.6 = 60 %).")
    cap: bool = True
    on_zero_denominator: Literal["missing", "zero", "full", "not_applicable"] = Field(
        "missing",
        description=(
            "Score when the denominator is 0: missing (logged), zero points, full points, or not applicable"
            " (the indicator is left out of its parents for that unit, whatever their missing-data policy)."
        ),
    )


class Tier(Frozen):
    code: Code
    label: str = ""
    value: float = Field(description="The number that declares this level in the values.")
    share: float = Field(ge=0, le=1, description="Share of the maximum points this level earns.")


class TiersRule(Frozen):
    """Named levels (full / half / none, or any others), each worth a share of max_points."""

    rule: Literal["tiers"]
    input: VariableName | None = None
    levels: tuple[Tier, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _distinct_levels(self) -> TiersRule:
        values = [t.value for t in self.levels]
        if len(set(values)) != len(values):
            raise ValueError("two levels declare the same value; each level needs its own number")
        codes = [t.code for t in self.levels]
        if len(set(codes)) != len(codes):
            raise ValueError("two levels share a code")
        return self


class Step(Frozen):
    at_least: float
    points: float = Field(ge=0)


class ThresholdsRule(Frozen):
    """Stepwise points: the highest step whose `at_least` the value reaches (≥ 4 → 20, ≥ 3 → 15 …).

    With direction −1 the steps read `at_least` as "at most" (fewer incidents → more points).
    """

    rule: Literal["thresholds"]
    input: VariableName | None = None
    steps: tuple[Step, ...] = Field(min_length=1)
    below: float = Field(0, ge=0, description="Points when no step is reached.")


class BooleanRule(Frozen):
    """Any non-zero value earns max_points, zero earns none."""

    rule: Literal["boolean"]
    input: VariableName | None = None


class PointsRule(Frozen):
    """Points declared directly, bounded by [0, max_points] (values outside are clipped and logged)."""

    rule: Literal["points"]
    input: VariableName | None = None


class AssessedRule(Frozen):
    """Points given by people, not by a formula: the unit's self-score, then the appraiser's score.

    For indicators whose formula is not published (the Ministry's DTI components): the figure read is
    declared and kept as evidence, and without a score from a person the indicator has none.
    """

    rule: Literal["assessed"]
    input: VariableName | None = None


class GoalpostsRule(Frozen):
    """scale × (x − min) / (max − min) with fixed goalposts (DESI); capped to [0, scale] if `cap`."""

    rule: Literal["goalposts"]
    input: VariableName | None = None
    min: float
    max: float
    scale: float = Field(100, gt=0)
    cap: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> GoalpostsRule:
        if not self.max > self.min:
            raise ValueError(f"goalposts need max > min (got min {self.min}, max {self.max})")
        return self


class MinMaxRule(Frozen):
    """Min–max over the units of the run, per period, to the target range [low, high]."""

    rule: Literal["minmax"]
    input: VariableName | None = None
    low: float = 0
    high: float = 100

    @model_validator(mode="after")
    def _ordered(self) -> MinMaxRule:
        if not self.high > self.low:
            raise ValueError(f"minmax needs high > low (got low {self.low}, high {self.high})")
        return self


class ZScoreRule(Frozen):
    """Standardised over the units of the run per period, optionally rescaled to mean + sd·z."""

    rule: Literal["zscore"]
    input: VariableName | None = None
    mean: float = 0
    sd: float = Field(1, gt=0)


class RankRule(Frozen):
    """Rank among the units of the run (1 = lowest; ties share the average rank)."""

    rule: Literal["rank"]
    input: VariableName | None = None


class PercentileRule(Frozen):
    """Percentile rank among the units of the run: scale × (rank − 1) / (n − 1)."""

    rule: Literal["percentile"]
    input: VariableName | None = None
    scale: float = Field(100, gt=0)


class DistanceToTargetRule(Frozen):
    """scale × (x − worst) / (target − worst), `worst` the run's worst value; capped at scale if `cap`."""

    rule: Literal["distance_to_target"]
    input: VariableName | None = None
    target: float
    scale: float = Field(100, gt=0)
    cap: bool = True


ScoringRule = Annotated[
    RatioRule
    | TiersRule
    | ThresholdsRule
    | BooleanRule
    | PointsRule
    | AssessedRule
    | GoalpostsRule
    | MinMaxRule
    | ZScoreRule
    | RankRule
    | PercentileRule
    | DistanceToTargetRule,
    Field(discriminator="rule"),
]

POINTS_RULES = frozenset({"ratio", "tiers", "thresholds", "boolean", "points", "assessed"})
CROSS_SECTION_RULES = frozenset({"minmax", "zscore", "rank", "percentile", "distance_to_target"})


# --- nodes ---------------------------------------------------------------------------------------


def _quoted_number(value: object) -> object:
    # YAML reads an unquoted 4.10 as the decimal 4.1 (and 4.22.10 as text): refuse numbers outright.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f'write the number in quotes ("{value}"): unquoted, YAML reads 4.10 as the decimal 4.1')
    return value


NodeNumber = Annotated[
    str,
    BeforeValidator(_quoted_number),
    Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z]+(?:[.\-][0-9A-Za-z]+)*$"),
]


class Band(Frozen):
    """A named class of values (the DTI 2020 groups: > 0.4000, 0.3250–0.4000 …)."""

    code: Code
    label: str = ""
    min: float | None = Field(description="Lowest value in the band; null for the last band (everything below).")
    strict: bool = Field(False, description="The band starts strictly above `min` (> rather than ≥).")


class AppliesTo(Frozen):
    """The units a node applies to: those whose label in a unit-group column is one of `values`."""

    group: str = Field(min_length=1, description="Unit-group column of the values (e.g. `type`).")
    values: tuple[str, ...] = Field(min_length=1, description="Labels of the units the node applies to.")


class NodeBase(Frozen):
    code: Code
    number: NodeNumber | None = Field(None, description="Official number as published (4.22.10), beside the code.")
    name: str = Field(min_length=1, description="Vietnamese name, as published.")
    name_en: str = ""
    unit: str = ""
    description: str = ""
    evidence: str = Field("", description="What evidence a unit must attach (tài liệu kiểm chứng).")
    source: str = Field("", description="Where the figure comes from (data source, verifying agency).")
    basis: str = Field(
        "",
        description=(
            "What the node's formula and points rest on, where sources differ (e.g. the decision's text, the"
            " national portal's current rules, or Chiso's choice where neither says)."
        ),
    )
    max_points: float | None = Field(None, ge=0, description="Maximum points (điểm tối đa), if any.")
    bands: tuple[Band, ...] = Field((), description="Classes of values, from the highest band down.")
    applies_to: AppliesTo | None = Field(
        None,
        description=(
            "Only units of these groups have the node (e.g. the smart-city pillar for cities); for the"
            " others it is not applicable and its parents leave it out."
        ),
    )

    @model_validator(mode="after")
    def _bands_descend(self) -> NodeBase:
        floors = [b.min for b in self.bands]
        if any(f is None for f in floors[:-1]):
            raise ValueError("only the last band may have no `min`")
        known = [f for f in floors if f is not None]
        if known != sorted(known, reverse=True) or len(set(known)) != len(known):
            raise ValueError("bands go from the highest `min` down, each with its own `min`")
        return self


class Indicator(NodeBase):
    kind: Literal["indicator"]
    inputs: tuple[VariableName, ...] = Field(
        (), description="Raw variables read by the rule; empty means one variable named like the node."
    )
    scoring: ScoringRule | None = Field(
        None, description="Scoring rule; when absent the pipeline's `normalise` rule applies."
    )
    direction: Direction = 1
    denominator: VariableName | None = Field(None, description="Variable to divide the raw value by (denominate).")
    treat: bool = Field(True, description="Whether the pipeline's outlier treatment applies.")
    measurable: bool = Field(False, description="Computed from operational records, not declared.")

    @property
    def rule_variables(self) -> tuple[str, ...]:
        """The variables the scoring rule reads: numerator and denominator, or its one input."""
        rule = self.scoring
        if isinstance(rule, RatioRule):
            return (rule.numerator, rule.denominator)
        declared = rule.input if rule is not None else None
        return (declared or (self.inputs[0] if self.inputs else self.code),)

    @property
    def variables(self) -> tuple[str, ...]:
        """Every raw variable the indicator reads (declared inputs, rule inputs, denominator)."""
        found = dict.fromkeys((*self.inputs, *self.rule_variables))
        if self.denominator:
            found.setdefault(self.denominator, None)
        return tuple(found)


class Child(Frozen):
    code: Code
    weight: float = Field(1, ge=0)
    role: Literal["score", "bonus", "penalty"] = Field(
        "score",
        description=(
            "score: aggregated by the node's method; bonus / penalty: weight × value added to / subtracted"
            " from the result afterwards (missing counts as 0), outside the node's maximum."
        ),
    )
    provisional: bool = Field(
        False, description="The weight is not final yet (e.g. awaiting a decision): results carry a note."
    )


class Condition(Frozen):
    node: Code = Field(description="The node whose value is tested.")
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    value: float


class Gate(Frozen):
    """Where every condition holds, the node's value is `then` instead of what its children give."""

    when: tuple[Condition, ...] = Field(min_length=1, description="Conditions on other nodes, all must hold.")
    then: float = Field(description="The node's value in those cells.")
    detail: str = Field("", description="Why, as the step log shows it.")


AggregateMethod = Literal["sum", "mean", "geometric", "harmonic"]


class AggregateBase(NodeBase):
    method: AggregateMethod = "mean"
    children: tuple[Child, ...] = ()
    missing: Literal["respread", "zero"] = Field(
        "respread",
        description="Missing children: weights re-spread over the present ones, or counted as zero.",
    )
    output: Literal["points", "share"] = Field(
        "points", description="For `sum`: the points total, or the share of the maximum (0–1)."
    )
    scale: float | None = Field(
        None, gt=0, description="Value of full marks, for aggregates whose children do not say it."
    )
    total_weight: float | None = Field(None, gt=0, description="Declared total the weights must add up to.")
    given_only: bool = Field(
        False,
        description="Components not published: the node's value must be supplied, never computed.",
    )
    gates: tuple[Gate, ...] = Field(
        (), description="Rules that set the value when conditions on other nodes hold; the first that holds wins."
    )
    normalise: ScoringRule | None = Field(
        None,
        description=(
            "Normalise the aggregated value across the units of the run (minmax, zscore, rank, percentile,"
            " distance_to_target) or with fixed goalposts, e.g. a pillar rescaled to 0–100."
        ),
    )
    floor: float | None = Field(None, description="Lowest value the node can take (after penalties), e.g. 0.")

    @model_validator(mode="after")
    def _children_or_given(self) -> AggregateBase:
        if not self.children and not self.given_only:
            raise ValueError("an aggregate needs children, or `given_only: true` when they are not published")
        if self.children and self.given_only:
            raise ValueError("`given_only` is for aggregates without children; remove one of the two")
        return self


class Aggregate(AggregateBase):
    kind: Literal["aggregate"]


class View(AggregateBase):
    kind: Literal["view"]


Node = Annotated[Indicator | Aggregate | View, Field(discriminator="kind")]


# --- pipeline ------------------------------------------------------------------------------------


class Impute(Frozen):
    method: Literal["none", "mean", "median"] = "none"
    group: str | None = Field(None, description="Unit group column: impute from the unit's own group.")
    panel: Literal["none", "carry_forward", "linear"] = Field(
        "none", description="Fill gaps from the unit's own other periods first."
    )


class Screen(Frozen):
    min_coverage: float = Field(0, ge=0, le=1, description="Share of indicators a unit must have.")
    stage: Literal["raw", "imputed"] = Field("imputed", description="Which data the coverage is read on.")


class Treat(Frozen):
    skew: float = Field(2, gt=0)
    kurtosis: float = Field(3.5)
    winsorise_max: int = Field(5, ge=0)
    fallback: Literal["none", "log"] = "log"


class Pipeline(Frozen):
    denominate: bool = False
    impute: Impute = Impute()
    screen: Screen = Screen()
    treat: Treat | None = None
    normalise: ScoringRule | None = Field(None, description="Rule for indicators that declare none.")


class Provenance(Frozen):
    decision: str = Field("", description="The document the framework follows (number, date).")
    notes: str = Field("", description="What is read from the source and what is inferred.")


# --- variables: the raw inputs described for the people who declare them --------------------------

VariableKind = Literal["count", "share", "amount", "boolean", "level", "date", "text"]


class VariableOption(Frozen):
    """One answer of a `level` variable: the number stored and what it means on the form."""

    value: float
    label: str = Field(min_length=1, description="Vietnamese, as the form shows it (Đạt đầy đủ).")
    label_en: str = ""


class VariableSpec(Frozen):
    """A raw variable as a person declares it: its label, unit of measure, kind and allowed values.

    Values are stored as the engine reads them: a share as a decimal 0–1 (15 % = 0.15), yes/no as 1/0,
    a level as one of its option values.
    """

    name: VariableName
    label: str = Field("", description="Vietnamese label, as a form shows it (Số dân trong vùng phủ sóng 5G).")
    label_en: str = ""
    unit: str = Field("", description="Unit of measure in Vietnamese: người, hộ, thuê bao, triệu đồng, %, mức …")
    kind: VariableKind | None = Field(
        None,
        description=(
            "count (people, items), share (decimal 0–1), amount (money, points), boolean (1/0),"
            " level (one of `options`), date, text."
        ),
    )
    min: float | None = Field(None, description="Lowest value allowed (0 for counts).")
    max: float | None = Field(None, description="Highest value allowed (1 for shares).")
    options: tuple[VariableOption, ...] = Field((), description="For `level`: each value and its label.")


class Framework(Frozen):
    schema_: Literal["chiso/framework"] = Field(SCHEMA_ID, alias="schema")
    version: Literal[1] = SCHEMA_VERSION
    code: Code
    edition: str = Field("1", description="The framework's own version (e.g. the year of the decision).")
    name: str = Field(min_length=1)
    name_en: str = ""
    description: str = ""
    provenance: Provenance = Provenance()
    index: Code = Field(description="Code of the root node (the index).")
    pipeline: Pipeline = Pipeline()
    rank_decimals: int | None = Field(
        None,
        ge=0,
        le=10,
        description=(
            "Rank on values rounded to this many decimals (the publisher's precision; equal figures share a"
            " rank). Absent: rank on the values themselves, ties being values equal up to float noise."
        ),
    )
    nodes: tuple[Node, ...] = Field(min_length=1)
    # Describing the inputs for people; `variables` in YAML (`Framework.variables` lists the names read).
    collected: bool = Field(
        False,
        description=(
            "Declared by units on forms: every variable read needs an entry in `variables` (label, label_en,"
            " unit, kind) and every indicator a `number`."
        ),
    )
    variable_specs: tuple[VariableSpec, ...] = Field(
        (), alias="variables", description="The raw variables described for the people who declare them."
    )

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    # Lookups are derived from `nodes`; the validator guarantees codes are unique.
    def node(self, code: str) -> Indicator | Aggregate | View:
        for node in self.nodes:
            if node.code == code:
                return node
        raise KeyError(f"framework {self.code!r} has no node {code!r}")

    def variable(self, name: str) -> VariableSpec:
        """The declaration of a raw variable (KeyError if `variables` does not declare it)."""
        for spec in self.variable_specs:
            if spec.name == name:
                return spec
        raise KeyError(f"framework {self.code!r} declares no variable {name!r}")

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(n for n in self.nodes if isinstance(n, Indicator))

    @property
    def aggregates(self) -> tuple[Aggregate | View, ...]:
        return tuple(n for n in self.nodes if not isinstance(n, Indicator))

    @property
    def variables(self) -> tuple[str, ...]:
        """Raw variables the framework reads, in first-use order (inputs, then denominators)."""
        seen: dict[str, None] = {}
        for ind in self.indicators:
            seen.update(dict.fromkeys(ind.variables))
        return tuple(seen)
