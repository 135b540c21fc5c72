"""Points from measured figures need no evidence document; the same figures declared by hand do."""

from __future__ import annotations

from chiso.collection.validation import ItemState, UnitState, load_rules, validate
from chiso.framework import load_framework

FIGURES = {"dossiers_full_online": 2.0, "dossiers_received": 3.0}


def _evidence_errors(state: UnitState) -> list[str]:
    framework = load_framework("commune-2025")
    problems = validate(framework, load_rules(framework.code), state)
    return [p.indicator for p in problems if p.severity == "error" and p.column == "evidence"]


def test_measured_figures_need_no_evidence():
    measured = UnitState(figures=dict(FIGURES), items={"c4_4": ItemState()}, measured=set(FIGURES))
    assert "c4_4" not in _evidence_errors(measured)


def test_declared_or_self_scored_figures_still_need_evidence():
    declared = UnitState(figures=dict(FIGURES), items={"c4_4": ItemState()})
    assert "c4_4" in _evidence_errors(declared)
    half = UnitState(figures=dict(FIGURES), items={"c4_4": ItemState()}, measured={"dossiers_received"})
    assert "c4_4" in _evidence_errors(half)
    self_scored = UnitState(figures=dict(FIGURES), items={"c4_4": ItemState(20.0, 0)}, measured=set(FIGURES))
    assert "c4_4" in _evidence_errors(self_scored)
