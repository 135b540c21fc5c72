"""Entry point of the `chiso` command: assembles one sub-command per noun."""

from __future__ import annotations

import typer

from chiso.cli import (
    audit,
    collect,
    db,
    demo,
    evidence,
    framework,
    period,
    programme,
    results,
    review,
    rollup,
    score,
    serve,
    sources,
    tasks,
    units,
    users,
)

app = typer.Typer(
    name="chiso",
    help="Chiso: bộ chỉ số chuyển đổi số — indicator frameworks, scoring, units, collection, results.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(framework.app, name="framework")
app.add_typer(programme.app, name="programme")
app.add_typer(tasks.app, name="tasks")
units.app.command(name="rollup")(rollup.rollup)
app.add_typer(units.app, name="units")
app.add_typer(sources.app, name="sources")
app.command(name="score")(score.score)
app.add_typer(demo.app, name="demo")
app.add_typer(db.app, name="db")
app.add_typer(period.app, name="period")
app.add_typer(collect.app, name="collect")
app.add_typer(review.app, name="review")
app.add_typer(results.app, name="results")
app.add_typer(users.app, name="users")
app.command(name="serve")(serve.serve)
app.add_typer(audit.app, name="audit")
app.add_typer(evidence.app, name="evidence")


if __name__ == "__main__":
    app()
