"""Dependencies point inward: `chiso.sources` never reaches the CLI; the engine never reaches sources."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "chiso"


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted((PACKAGE / "sources").glob("*.py")), ids=lambda p: p.name)
def test_sources_do_not_import_the_cli(path: Path):
    assert not {m for m in imports(path) if m.startswith(("chiso.cli", "typer"))}


@pytest.mark.parametrize("path", sorted((PACKAGE / "engine").glob("*.py")), ids=lambda p: p.name)
def test_the_scoring_engine_does_not_import_sources(path: Path):
    assert not {m for m in imports(path) if m.startswith("chiso.sources")}
