"""Entry point of the `chiso` command: assembles one sub-command per noun."""

from __future__ import annotations

import typer

from chiso.cli import demo, framework, rollup, score, sources, units

app = typer.Typer(
    name="chiso",
    help="Chiso: bộ chỉ số chuyển đổi số — indicator frameworks, scoring, units.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(framework.app, name="framework")
units.app.command(name="rollup")(rollup.rollup)
app.add_typer(units.app, name="units")
app.add_typer(sources.app, name="sources")
app.command(name="score")(score.score)
app.command(name="demo")(demo.demo)


if __name__ == "__main__":
    app()
