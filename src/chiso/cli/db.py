"""`chiso db upgrade | downgrade`: run the migrations on the database of the settings."""

from __future__ import annotations

import typer
from sqlalchemy.exc import DBAPIError

from chiso import migrations
from chiso.actors import service as actors
from chiso.cli.output import fail
from chiso.cli.session import database
from chiso.db import transaction

app = typer.Typer(help="Cơ sở dữ liệu — the database (migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    revision: str = typer.Option("head", help="Migration to go to (default: the latest)."),
    admin: str | None = typer.Option(None, "--admin", help="Also create this administrator (the first user)."),
) -> None:
    """Tạo hoặc nâng cấp cơ sở dữ liệu — create or upgrade the database."""
    with database() as engine:
        try:
            migrations.upgrade(engine, revision)
            if admin:
                with transaction(engine) as session:
                    actors.ensure(session=session, user=admin, roles={"admin"}, actor=None)
            at = migrations.current(engine)
        except DBAPIError as exc:
            fail(f"database {engine.url.render_as_string()}: {exc.orig}")
    typer.echo(f"Cơ sở dữ liệu ở phiên bản {at} / database at revision {at}: {engine.url.render_as_string()}")
    if admin:
        typer.echo(f"Quản trị / administrator: {admin}")


@app.command("downgrade")
def downgrade(
    revision: str = typer.Option("base", help="Migration to go back to (default: base, an empty database)."),
    yes: bool = typer.Option(False, "--yes", help="Confirm: going back drops tables and their data."),
) -> None:
    """Hạ cấp cơ sở dữ liệu — go back to an earlier migration (drops data)."""
    if not yes:
        fail("downgrading drops tables and their data; add --yes to confirm")
    with database() as engine:
        try:
            migrations.downgrade(engine, revision)
            at = migrations.current(engine)
        except DBAPIError as exc:
            fail(f"database {engine.url.render_as_string()}: {exc.orig}")
    typer.echo(f"Cơ sở dữ liệu ở phiên bản {at or 'base (trống / empty)'} / database at revision {at or 'base'}")
