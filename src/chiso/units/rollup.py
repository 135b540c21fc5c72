"""Values across the 1/7/2025 break: new units over old periods, and old units over new periods.

Values are long DataFrames with columns `unit, variable, period, value`. Each variable declares how it
crosses the break (`Rule`); the result keeps the rule and the units that contributed, so a derived value
is never mistaken for a reported one. Reported values are never rewritten: these functions return new
frames.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

import numpy as np
import pandas as pd

from chiso.units.errors import UnitsError
from chiso.units.schemas import Kind
from chiso.units.succession import succession_frame

VALUE_COLUMNS = ["unit", "variable", "period", "value"]
FORWARD_COLUMNS = [*VALUE_COLUMNS, "rule", "predecessors", "missing", "note"]
BACKWARD_COLUMNS = [*VALUE_COLUMNS, "rule", "method", "successors", "note"]


class Rule(StrEnum):
    """How a variable's value for a merged unit follows from its predecessors' values."""

    MEAN = "mean"  # unweighted mean: the Ministry's rule for the DTI 2024 of merged provinces
    SUM = "sum"  # Σ source_share × value: counts and amounts (population, dossiers, budget)
    WEIGHTED = "weighted"  # Σ target_share × value / Σ target_share: rates weighted by each part's share


def _rules_for(variables: pd.Series, rules: Mapping[str, Rule | str] | None, default: Rule | str) -> pd.Series:
    def parse(value: Rule | str, variable: str) -> str:
        try:
            return Rule(str(value)).value
        except ValueError:
            choices = ", ".join(r.value for r in Rule)
            raise UnitsError(f"Unknown roll-up rule {value!r} for {variable!r}; use one of: {choices}.") from None

    declared = {name: parse(rule, name) for name, rule in (rules or {}).items()}
    fallback = parse(default, "the default")
    return variables.map(lambda v: declared.get(v, fallback))


def _check_values(values: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in VALUE_COLUMNS if c not in values.columns]
    if missing:
        raise UnitsError(f"The values frame needs columns {VALUE_COLUMNS}; {missing} missing.")
    frame = values[VALUE_COLUMNS].copy()
    frame["unit"] = frame["unit"].astype(str)
    frame["value"] = pd.to_numeric(frame["value"], errors="raise").astype(float)
    return frame.dropna(subset=["value"])


def _join_codes(codes: pd.Series) -> str:
    return ",".join(sorted(codes))


def derive_new_units(
    values: pd.DataFrame,
    *,
    rules: Mapping[str, Rule | str] | None = None,
    default: Rule | str = Rule.MEAN,
    kind: Kind | str = Kind.PROVINCE,
    succession: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Values of 2025 units for periods reported by their 2024 predecessors.

    `values` holds old (2024) codes. A new unit gets a value for a (variable, period) when at least one
    predecessor has one; if some predecessor has none, the value is NaN and `missing` names them, since a
    mean or sum over part of the predecessors would silently change its meaning. `sum` needs every
    predecessor's source share and `weighted` every target share; when the sources do not give them the
    value is NaN and `note` says so.
    """
    frame = _check_values(values)
    links = succession if succession is not None else succession_frame(kind)
    expected = links.groupby("to_code")["from_code"].agg(_join_codes).rename("expected")
    merged = frame.merge(links, left_on="unit", right_on="from_code", how="inner")
    merged["rule"] = _rules_for(merged["variable"], rules, default)
    merged["by_source"] = merged["value"] * merged["source_share"]
    merged["by_target"] = merged["value"] * merged["target_share"]
    merged["source_known"] = merged["source_share"].notna()
    merged["target_known"] = merged["target_share"].notna()
    grouped = merged.groupby(["to_code", "variable", "period", "rule"], sort=True, dropna=False)
    result = grouped.agg(
        mean=("value", "mean"),
        first=("value", "first"),
        total=("by_source", "sum"),
        weighted_total=("by_target", "sum"),
        weight=("target_share", "sum"),
        source_known=("source_known", "all"),
        target_known=("target_known", "all"),
        predecessors=("from_code", _join_codes),
    ).reset_index()
    result = result.join(expected, on="to_code")
    result["missing"] = [
        ",".join(sorted(set(want.split(",")) - set(have.split(","))))
        for want, have in zip(result["expected"], result["predecessors"], strict=True)
    ]
    single = ~result["expected"].str.contains(",")
    weighted = np.where(single, result["first"], result["weighted_total"] / result["weight"])
    result["value"] = np.select(
        [result["rule"] == Rule.MEAN, result["rule"] == Rule.SUM, result["rule"] == Rule.WEIGHTED],
        [result["mean"], result["total"], weighted],
    )
    share_unknown_sum = (result["rule"] == Rule.SUM) & ~result["source_known"]
    share_unknown_weighted = (result["rule"] == Rule.WEIGHTED) & ~result["target_known"] & ~single
    incomplete = result["missing"] != ""
    result["note"] = np.select(
        [incomplete, share_unknown_sum, share_unknown_weighted],
        [
            "no value for predecessor(s) " + result["missing"],
            "the share of a split predecessor is unknown",
            "a predecessor's share of the new unit is unknown",
        ],
        default="",
    )
    result.loc[incomplete | share_unknown_sum | share_unknown_weighted, "value"] = np.nan
    result = result.rename(columns={"to_code": "unit"})
    return result[FORWARD_COLUMNS].reset_index(drop=True)


def derive_old_units(
    values: pd.DataFrame,
    *,
    rules: Mapping[str, Rule | str] | None = None,
    default: Rule | str = Rule.MEAN,
    kind: Kind | str = Kind.PROVINCE,
    succession: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Values of 2024 units for periods reported by their 2025 successors, where that is defined.

    Defined when the old unit went whole into one new unit: for `mean` and `weighted` it inherits the
    new unit's value (method "inherit"); for `sum` it gets the new value times its share of the new unit
    ("apportion"), which needs that share. A new unit with a single, whole predecessor passes its value
    unchanged ("identity"). An old unit split among several new ones gets NaN with method "undefined".
    """
    frame = _check_values(values)
    links = succession if succession is not None else succession_frame(kind)
    targets = links.groupby("from_code")["to_code"].agg(_join_codes).rename("successors")
    sources = links.groupby("to_code")["from_code"].size().rename("n_sources")
    merged = frame.merge(links, left_on="unit", right_on="to_code", how="inner")
    merged = merged.join(targets, on="from_code").join(sources, on="to_code")
    merged["rule"] = _rules_for(merged["variable"], rules, default)
    split = merged["partial"].astype(bool) | merged["successors"].str.contains(",")
    identity = ~split & (merged["n_sources"] == 1)
    apportion = ~split & ~identity & (merged["rule"] == Rule.SUM)
    merged["method"] = np.select([split, identity, apportion], ["undefined", "identity", "apportion"], "inherit")
    merged["value"] = np.select(
        [split, identity, apportion],
        [np.nan, merged["value"], merged["value"] * merged["target_share"]],
        merged["value"],
    )
    no_share = apportion & merged["target_share"].isna()
    merged["note"] = np.select(
        [split, no_share],
        ["split among " + merged["successors"] + "; not defined", "its share of the new unit is unknown"],
        "",
    )
    merged.loc[no_share, "value"] = np.nan
    merged = merged.drop(columns="unit").rename(columns={"from_code": "unit"})
    # A split unit meets each of its successors once; one "undefined" row per value is enough.
    merged = merged.drop_duplicates(subset=["unit", "variable", "period"])
    ordered = merged.sort_values(["unit", "variable", "period"], kind="stable")
    return ordered[BACKWARD_COLUMNS].reset_index(drop=True)
