"""Every CLI command is documented in the README."""

from __future__ import annotations

from pathlib import Path

import typer.main

from chiso.cli.main import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def commands(group, prefix=("chiso",)):
    for name, command in getattr(group, "commands", {}).items():
        path = (*prefix, name)
        if getattr(command, "commands", None):
            yield from commands(command, path)
        else:
            yield " ".join(path)


def test_every_command_is_in_the_readme():
    click_app = typer.main.get_command(app)
    names = sorted(commands(click_app))
    assert "chiso score" in names and "chiso framework validate" in names
    missing = [n for n in names if n not in README]
    assert not missing, f"undocumented commands: {missing}"


def test_readme_opens_with_the_two_commands():
    head = README.split("```", 2)[1]
    assert "python3 tools/dev.py run" in head and "python3 tools/dev.py test" in head
