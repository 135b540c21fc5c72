"""Chiso's web face: `create_app(settings)` for any ASGI server, `serve(settings, host, port)` to run it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from chiso.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    from chiso.web.app import create_app as create

    return create(settings)


def serve(settings: Settings | None = None, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the web app with uvicorn until interrupted (what `chiso serve` and the demo call)."""
    import uvicorn

    from chiso.web.app import create_app as create

    uvicorn.run(create(settings), host=host, port=port, proxy_headers=True, log_level="info")
