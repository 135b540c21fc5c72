"""Shared CLI helpers: errors on stderr with a non-zero exit, and plain tables on stdout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

import typer

EXIT_INPUT = 2  # bad input: nothing was written


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    typer.echo(f"Lỗi / Error: {message}", err=True)
    raise typer.Exit(code)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[["" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            typer.echo("  ".join("-" * w for w in widths))
