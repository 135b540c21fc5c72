"""Every entry point of the webhook services checks `hooks.manage` (directly, or through `get`)."""

from __future__ import annotations

import ast
from pathlib import Path

from chiso.permissions import ACTIONS

HOOKS = Path(__file__).resolve().parents[2] / "src" / "chiso" / "events" / "hooks.py"


def test_every_hooks_entry_point_checks_a_permission():
    tree = ast.parse(HOOKS.read_text(encoding="utf-8"))
    entry_points = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and not node.name.startswith("_")
        and "actor" in [a.arg for a in node.args.kwonlyargs]
    ]
    assert {n.name for n in entry_points} >= {"add", "get", "list_subscriptions", "remove", "ping", "log"}
    for node in entry_points:
        calls = {c.func.id for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
        assert calls & {"check", "get"}, f"hooks.{node.name} takes an actor but checks no permission"
    assert ACTIONS["hooks.manage"].roles == frozenset({"admin"})
