"""Running the worker from the settings: in the foreground (`chiso worker`) or beside the web server."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy.orm import Session

from chiso.clock import bind
from chiso.db import make_engine, session_factory
from chiso.events.delivery import Policy, run, source_of
from chiso.settings import Settings


def policy_of(settings: Settings) -> Policy:
    return Policy(attempts=settings.webhook_attempts, backoff_seconds=settings.webhook_backoff_seconds)


def sessions_of(settings: Settings) -> tuple[Callable[[], Session], Callable[[], None]]:
    """A session factory on the settings' database and clock, and what disposes of its engine."""
    engine = make_engine(settings.url)
    factory = session_factory(engine)
    clock = settings.make_clock()
    return (lambda: bind(factory(), clock)), engine.dispose


def start(settings: Settings) -> Callable[[], None]:
    """Start the worker in a background thread; returns what stops it (and waits for its pass to end)."""
    sessions, dispose = sessions_of(settings)
    stop = threading.Event()
    thread = threading.Thread(
        target=run,
        kwargs={
            "sessions": sessions,
            "source": source_of(settings.province),
            "stop": stop,
            "policy": policy_of(settings),
        },
        name="chiso-events-worker",
        daemon=True,
    )
    thread.start()

    def stopped() -> None:
        stop.set()
        thread.join(timeout=30)
        dispose()

    return stopped
