"""`chiso serve`: the web app (pages and JSON API) on the database of the settings."""

from __future__ import annotations

import typer

from chiso.cli.session import load_settings


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, max=64, help="Processes (default: CHISO_WEB_WORKERS, 1); about one per core."
    ),
) -> None:
    """Chạy ứng dụng web — serve the web app and the API (http://127.0.0.1:8000 by default)."""
    from chiso.web import serve as run

    run(load_settings(), host=host, port=port, workers=workers)
