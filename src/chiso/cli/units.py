"""`chiso units …` — placeholder until the administrative-unit registry lands (issue 3)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Đơn vị hành chính — administrative units.", no_args_is_help=True)
