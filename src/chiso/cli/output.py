"""Shared CLI helpers: errors on stderr with a non-zero exit, and plain tables on stdout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

import typer

from chiso.errors import ChisoError, outcome_of

EXIT_INPUT = 2  # bad input: nothing was written (chiso.errors.OUTCOMES gives each error's code)


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    typer.echo(f"Lỗi / Error: {message}", err=True)
    raise typer.Exit(code)


def refuse(exc: ChisoError) -> NoReturn:
    """A domain error: its message in Vietnamese, then English, with the flag to fix it (the error's
    hint: the CLI's own, never in the message), and the exit code of chiso.errors.OUTCOMES."""
    exit_code = outcome_of(exc).exit
    if not exc.coded:
        fail(str(exc), exit_code)
    from chiso.web.i18n import gettext  # the catalogue of the pages: one set of messages for both

    hint = f" ({exc.hint})" if exc.hint else ""
    typer.echo(f"Lỗi: {exc.message()}{hint}", err=True)
    typer.echo(f"Error: {exc.message(gettext('en'), 'en')}{hint}", err=True)
    raise typer.Exit(exit_code)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[["" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            typer.echo("  ".join("-" * w for w in widths))
