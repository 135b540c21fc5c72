"""Dependencies point inward: the engine is pure, the framework spec knows nothing of the engine."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "chiso"
FORBIDDEN_IN_ENGINE = {"sqlalchemy", "fastapi", "starlette", "typer", "httpx", "requests", "duckdb", "pyspark"}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted((PACKAGE / "engine").glob("*.py")), ids=lambda p: p.name)
def test_engine_is_pure(path: Path):
    for module in imports(path):
        root = module.split(".")[0]
        assert root not in FORBIDDEN_IN_ENGINE, f"{path.name} imports {module}"
        if root == "chiso":
            assert module.startswith(("chiso.engine", "chiso.framework.spec")), f"{path.name} imports {module}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "framework").glob("*.py")), ids=lambda p: p.name)
def test_framework_does_not_reach_out(path: Path):
    for module in imports(path):
        assert not module.startswith(("chiso.engine", "chiso.cli", "chiso.units")), f"{path.name} imports {module}"


def test_no_module_is_oversized():
    sizes = {p.relative_to(PACKAGE): len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    assert not {p: n for p, n in sizes.items() if n > 600}
