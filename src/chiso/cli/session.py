"""What the database commands share: settings, one transaction per command, the acting user.

Until accounts and login come with the web app, a command names its actor with `--as USER` (or the
CHISO_AS environment variable); the user must exist (`chiso db upgrade --admin USER` creates the first
administrator; `chiso period open --officer UNIT=USER --appraiser USER` the others).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import click
import typer
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from chiso import clock
from chiso.actors import service as actors
from chiso.audit import service as audit
from chiso.cli.output import fail, refuse
from chiso.clock import Clock
from chiso.collection.evidence import FileStore
from chiso.db import make_engine, session_factory, transaction
from chiso.errors import ChisoError, PermissionDenied
from chiso.permissions import Actor
from chiso.settings import Settings

AS_HELP = "Người thực hiện — the user acting (accounts and login come with the web app)."
AsOption = typer.Option(..., "--as", envvar="CHISO_AS", help=AS_HELP)


@dataclass(frozen=True)
class Work:
    session: Session
    actor: Actor
    settings: Settings

    @property
    def clock(self) -> Clock:
        return clock.of(self.session)

    @property
    def files(self) -> FileStore:
        return FileStore(self.settings.evidence_dir, self.settings.upload_max_bytes)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        fail(f"settings: {exc}")


def cli_clock() -> Clock:
    """The command's clock: frozen by the setting CHISO_CLOCK, else the system's."""
    return load_settings().make_clock()


@contextmanager
def database() -> Iterator[Engine]:
    engine = make_engine(load_settings().url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def work(user: str) -> Iterator[Work]:
    """One transaction as `user`: committed if the command succeeds, rolled back on any error."""
    settings = load_settings()
    engine = make_engine(settings.url)
    try:
        with transaction(engine, settings.make_clock()) as session:
            yield Work(session, actors.get_by_user(session=session, user=user), settings)
    except PermissionDenied as exc:
        _audit_refusal(engine, settings, user, exc)
        refuse(exc)
    except ChisoError as exc:
        refuse(exc)
    except DBAPIError as exc:
        fail(f"database {engine.url.render_as_string()}: {exc.orig} (has `chiso db upgrade` been run?)")
    finally:
        engine.dispose()


def _audit_refusal(engine: Engine, settings: Settings, user: str, exc: PermissionDenied) -> None:
    """Record the refusal in a transaction of its own: the command's was rolled back."""
    command = click.get_current_context(silent=True)
    audit.record_apart(
        sessions=session_factory(engine),
        clock=settings.make_clock(),
        actor=user,
        action="permission.refused",
        entity="command",
        entity_key=exc.action or (command.command_path if command else "chiso"),
        unit_code=exc.unit_code,
        after={"command": command.command_path if command else "chiso", "address": "cli"},
        reason=str(exc),
    )
