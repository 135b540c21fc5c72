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
    forwarded_allow_ips: str | None = typer.Option(
        None,
        "--forwarded-allow-ips",
        help=(
            "Reverse proxies whose X-Forwarded-For/-Proto are believed: addresses or networks, comma-separated "
            "('' none, '*' any; default: CHISO_FORWARDED_ALLOW_IPS, 127.0.0.1)."
        ),
    ),
) -> None:
    """Chạy ứng dụng web — serve the web app and the API (http://127.0.0.1:8000 by default)."""
    from chiso.web import serve as run

    settings = load_settings()
    if forwarded_allow_ips is not None:
        settings = settings.model_copy(update={"forwarded_allow_ips": forwarded_allow_ips})
    run(settings, host=host, port=port, workers=workers)
