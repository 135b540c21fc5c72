"""`chiso --help`, `chiso score` and `chiso framework` import only what they use (issue 16 item 5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from tests.conftest import EXAMPLES, FIXTURES

HEAVY = ("chiso.web", "chiso.demo", "chiso.db", "sqlalchemy", "scipy", "fastapi")
SRC = str(Path(__file__).resolve().parents[2] / "src")

PROBE = """
import json, sys
sys.argv = ["chiso", *json.loads(sys.argv[1])]
from chiso.cli.main import app
try:
    app(prog_name="chiso")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {"sqlalchemy", "scipy", "fastapi"}
                        or m.startswith(("chiso.web", "chiso.demo", "chiso.db")))))
"""


def imported_after(*args: str) -> list[str]:
    """Heavy modules loaded by `chiso ARGS` in a fresh interpreter (the last line it prints)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([str(a) for a in args])],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_no_web_database_or_scipy():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    code = "import sys, chiso.cli.main; print(sorted(m for m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    for module in HEAVY:
        assert f"'{module}'" not in loaded and f"'{module}." not in loaded, module


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("framework", "list"),
        ("framework", "show", "asem"),
        (
            "score",
            "--framework",
            EXAMPLES / "frameworks" / "asem.yaml",
            "--values",
            FIXTURES / "asem" / "ASEM_iData.csv",
            "--unit-column",
            "uCode",
            "--out",
            "{out}",
        ),
    ],
    ids=["help", "framework-list", "framework-show", "score"],
)
def test_commands_import_only_what_they_use(args, tmp_path):
    args = tuple(str(a).replace("{out}", str(tmp_path / "r.csv")) for a in args)
    assert imported_after(*args) == []


def test_the_help_lines_of_lazy_nouns_are_their_own(cli):
    """`chiso --help` shows each noun's help line without importing it: the line must be the noun's."""
    from chiso.cli.main import app

    group = typer.main.get_command(app)
    for name, entry in group.lazy.items():
        command = group.commands[name]
        assert (command.help or "").strip().splitlines()[0] == entry.help, name
    assert cli("--help").exit_code == 0
