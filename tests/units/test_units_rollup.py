"""Values across the 1/7/2025 break, by the rule each variable declares."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import chiso
from chiso.units.errors import UnitsError
from chiso.units.rollup import Rule, derive_new_units, derive_old_units

# DTI 2022 main indicators (Decision 922/QĐ-BTTTT) and their maximum points; smart city has 0.
MAIN_INDICATORS = {
    "awareness": 100,
    "institutions": 100,
    "infrastructure": 100,
    "human_resources": 100,
    "cybersecurity": 100,
    "gov_activity": 200,
    "econ_activity": 150,
    "society_activity": 150,
}
# Made-up values for old Thái Nguyên (19) and old Bắc Kạn (06).
OLD_VALUES = {
    "19": [1.0000, 1.0000, 0.8123, 0.7012, 0.6345, 0.8456, 0.6021, 0.4987],
    "06": [0.6120, 0.7000, 0.5234, 0.4411, 0.5102, 0.6033, 0.3120, 0.2456],
}


def dti(values: dict[str, float]) -> float:
    """DTI = (100·(NT+TC+HT+NL+AT) + 200·CQ + 150·KT + 150·XH) / 1000."""
    return sum(points * values[code] for code, points in MAIN_INDICATORS.items()) / 1000


def old_frame() -> pd.DataFrame:
    rows = [
        (unit, code, 2024, value)
        for unit, values in OLD_VALUES.items()
        for code, value in zip(MAIN_INDICATORS, values, strict=True)
    ]
    return pd.DataFrame(rows, columns=["unit", "variable", "period", "value"])


def merged_thai_nguyen() -> pd.DataFrame:
    derived = derive_new_units(old_frame(), rules={code: Rule.MEAN for code in MAIN_INDICATORS})
    assert set(derived["unit"]) == {"19"}
    return derived


def test_main_indicators_of_the_merged_province_are_the_means_of_its_predecessors() -> None:
    derived = merged_thai_nguyen().set_index("variable")
    for position, code in enumerate(MAIN_INDICATORS):
        expected = (OLD_VALUES["19"][position] + OLD_VALUES["06"][position]) / 2
        assert derived.loc[code, "value"] == pytest.approx(expected)
        assert derived.loc[code, "rule"] == "mean"
        assert derived.loc[code, "predecessors"] == "06,19"
        assert derived.loc[code, "missing"] == ""


def test_index_recomputed_from_the_rolled_up_indicators() -> None:
    values = dict(zip(merged_thai_nguyen()["variable"], merged_thai_nguyen()["value"], strict=True))
    old_19 = dict(zip(MAIN_INDICATORS, OLD_VALUES["19"], strict=True))
    old_06 = dict(zip(MAIN_INDICATORS, OLD_VALUES["06"], strict=True))
    # The index is linear in the main indicators, so the index of the means is the mean of the indices.
    assert dti(values) == pytest.approx((dti(old_19) + dti(old_06)) / 2)
    assert dti(values) == pytest.approx(0.616005, abs=1e-9)  # (0.74904 + 0.48297) / 2


def test_index_recomputed_by_the_engine() -> None:
    derived = merged_thai_nguyen()[["unit", "variable", "period", "value"]]
    result = chiso.score(chiso.load_framework("dti-province-2022"), derived)
    row = result.scores.set_index("unit").loc["19"]
    values = dict(zip(derived["variable"], derived["value"], strict=True))
    assert row["dti"] == pytest.approx(dti(values), abs=1e-9)


def test_sum_uses_source_shares_and_weighted_uses_target_shares() -> None:
    frame = pd.DataFrame(
        [("19", "population", 2024, 1_300_000.0), ("06", "population", 2024, 320_000.0),
         ("19", "rate", 2024, 0.8), ("06", "rate", 2024, 0.4)],
        columns=["unit", "variable", "period", "value"],
    )  # fmt: skip
    derived = derive_new_units(frame, rules={"population": "sum", "rate": "weighted"}).set_index("variable")
    assert derived.loc["population", "value"] == 1_620_000
    assert derived.loc["population", "rule"] == "sum"
    # Weighted by each old province's share of the new one's area (Bắc Kạn is the larger).
    assert derived.loc["rate", "value"] == pytest.approx(0.8 * 0.4199 + 0.4 * 0.5801)
    assert derived.loc["rate", "rule"] == "weighted"


def test_a_missing_predecessor_leaves_the_value_undefined() -> None:
    frame = old_frame()
    derived = derive_new_units(frame[frame["unit"] == "19"]).set_index("variable")
    assert math.isnan(derived.loc["awareness", "value"])
    assert derived.loc["awareness", "missing"] == "06"
    assert "06" in derived.loc["awareness", "note"]


def test_unchanged_provinces_keep_their_values() -> None:
    frame = pd.DataFrame([("01", "x", 2024, 0.7)], columns=["unit", "variable", "period", "value"])
    for rule in Rule:
        [row] = derive_new_units(frame, default=rule).itertuples()
        assert (row.unit, row.value, row.rule) == ("01", 0.7, rule.value)


def test_communes_split_with_unknown_shares_cannot_be_summed() -> None:
    # Old 00019 was split among four new wards; how much went to each is not published.
    olds = ["00004", "00013", "00016", "00019", "00022", "00028", "00040", "00055", "00073", "00112"]
    frame = pd.DataFrame([(c, "dossiers", 2024, 10.0) for c in olds], columns=["unit", "variable", "period", "value"])
    derived = derive_new_units(frame, kind="commune", default="sum").set_index("unit")
    assert math.isnan(derived.loc["00004", "value"])
    assert derived.loc["00004", "note"] == "the share of a split predecessor is unknown"
    means = derive_new_units(frame, kind="commune", default="mean").set_index("unit")
    assert means.loc["00004", "value"] == 10.0


def test_reverse_view_inherits_apportions_or_is_undefined() -> None:
    new = pd.DataFrame(
        [("19", "score", 2025, 0.7), ("01", "score", 2025, 0.9), ("19", "population", 2025, 1_800_000.0)],
        columns=["unit", "variable", "period", "value"],
    )
    old = derive_old_units(new, rules={"population": "sum"}).set_index(["unit", "variable"])
    assert old.loc[("06", "score"), ["value", "method"]].tolist() == [0.7, "inherit"]
    assert old.loc[("01", "score"), ["value", "method"]].tolist() == [0.9, "identity"]
    assert old.loc[("06", "population"), "value"] == pytest.approx(1_800_000 * 0.5801)
    assert old.loc[("06", "population"), "method"] == "apportion"
    split = derive_old_units(
        pd.DataFrame([("00004", "score", 2025, 1.0)], columns=["unit", "variable", "period", "value"]), kind="commune"
    ).set_index("unit")
    assert split.loc["00019", "method"] == "undefined"
    assert math.isnan(split.loc["00019", "value"])
    assert split.loc["00013", "method"] == "inherit"


def test_bad_rules_and_frames_are_refused() -> None:
    with pytest.raises(UnitsError, match="Unknown roll-up rule 'median'"):
        derive_new_units(old_frame(), rules={"awareness": "median"})
    with pytest.raises(UnitsError, match="needs columns"):
        derive_new_units(pd.DataFrame({"unit": ["19"], "value": [1.0]}))
    with pytest.raises(UnitsError, match="provinces and communes"):
        derive_new_units(old_frame(), kind="district")


def test_reported_values_are_not_modified() -> None:
    frame = old_frame()
    before = frame.copy()
    derive_new_units(frame)
    pd.testing.assert_frame_equal(frame, before)
