"""The cross-check against the second source: its remaining differences are the ones documented."""

from __future__ import annotations

from pathlib import Path

from tests.units.units_crosscheck import CATEGORIES, differences, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "units-crosscheck.md"


def test_remaining_differences_are_the_documented_ones() -> None:
    found = differences()
    assert DOC.read_text(encoding="utf-8") == render(found), (
        "the cross-check changed: review the differences, then regenerate the page with "
        "`.venv/bin/python tests/units/units_crosscheck.py > docs/units-crosscheck.md`"
    )


def test_every_difference_has_an_explained_category() -> None:
    unexplained = {d.category for d in differences()} - set(CATEGORIES)
    assert not unexplained, f"new kinds of difference, explain them in units_crosscheck.CATEGORIES: {unexplained}"


def test_codes_and_parents_agree_everywhere() -> None:
    structural = [d for d in differences() if not d.category.endswith(("name", "subtype")) and "link" not in d.category]
    assert structural == []
