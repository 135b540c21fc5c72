"""One permission check per action: every service entry point that takes an actor calls `check`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from chiso.errors import PermissionDenied
from chiso.permissions import ACTIONS, Actor, check

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "chiso"
SERVICES = ["collection/service.py", "collection/review.py", "collection/exchange.py", "results/service.py",
            "values/service.py", "audit/service.py", "actors/service.py", "accounts/service.py",
            "dashboard/service.py", "dashboard/data.py", "dashboard/whatif.py", "programme/tasks.py",
            "programme/planfile.py", "programme/service.py", "collection/bulk.py", "reports/service.py",
            "service766/service.py", "service766/declarations.py", "service766/template.py"]  # fmt: skip
# Helpers called by entry points that have checked already (they take the actor only to name it),
# and export_json, which checks through export_rows.
HELPERS = {
    "move_period",
    "move_item",
    "publish_framework",
    "write",
    "write_many",
    "ensure",
    "latest",
    "lock",
    "record",
    "export_json",
}


@pytest.mark.parametrize("module", SERVICES)
def test_every_entry_point_checks_a_permission(module):
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_") or node.name in HELPERS:
            continue
        if "actor" not in [a.arg for a in node.args.kwonlyargs]:
            continue
        calls = {c.func.id for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
        assert "check" in calls, f"{module}: {node.name} takes an actor but checks no permission"


def test_officers_act_only_on_their_own_unit():
    officer = Actor("canbo", frozenset({"officer"}), "01840")
    check(officer, "declaration.edit", "01840")
    with pytest.raises(PermissionDenied, match="only for unit 01840"):
        check(officer, "declaration.edit", "01843")
    with pytest.raises(PermissionDenied, match="needs one of the roles"):
        check(officer, "results.publish")
    with pytest.raises(KeyError):
        check(officer, "declaration.delete")
    assert all(rule.description for rule in ACTIONS.values())
