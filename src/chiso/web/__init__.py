"""Chiso's web face: `create_app(settings)` for any ASGI server, `serve(settings, host, port)` to run it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from chiso.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    from chiso.web.app import create_app as create

    return create(settings)


def serve(
    settings: Settings | None = None, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None
) -> None:
    """Run the web app with uvicorn until interrupted (what `chiso serve` and the demo call).

    Forwarded headers are read by the app itself, from the proxies of `forwarded_allow_ips` only (not
    by uvicorn, which would believe 127.0.0.1 or its own FORWARDED_ALLOW_IPS whatever the setting).
    `workers` > 1 (default: the `web_workers` setting) starts that many processes on the same port; each
    builds its app from the settings, handed over through the CHISO_* environment variables.
    """
    import os
    import socket

    import uvicorn

    from chiso.settings import Settings
    from chiso.web.app import create_app as create

    settings = settings or Settings()
    workers = workers or settings.web_workers
    if workers == 1:
        uvicorn.run(create(settings), host=host, port=port, proxy_headers=False, log_level="info")
        return
    from uvicorn.supervisors import Multiprocess

    settings.signing_key()  # made once here: workers starting together would each make their own
    shared = settings.model_copy(update={"web_workers": workers, "data_dir": settings.data_dir.resolve()})
    os.environ.update(shared.environment())
    config = uvicorn.Config(
        "chiso.web.app:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        proxy_headers=False,  # the app believes only the proxies of the setting forwarded_allow_ips
        log_level="info",
    )
    listening = config.bind_socket()
    # The workers rebuild this socket with protocol 0, so asyncio does not set TCP_NODELAY on what they
    # accept, and every keep-alive answer waited ~40 ms (Nagle and delayed ACK). Accepted connections
    # inherit the option from the listening socket.
    listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[listening]).run()
