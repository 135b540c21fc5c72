"""Errors a user can act on, shared by the services; the CLI prints them and exits with code 2."""

from __future__ import annotations

from typing import Any


class ChisoError(Exception):
    """Base of the errors that services raise for bad requests (never for bugs)."""


class NotFound(ChisoError):
    pass


class PermissionDenied(ChisoError):
    """Refused by `chiso.permissions.check`, which says who asked for what (the audit log records it)."""

    def __init__(
        self, message: str, *, actor: Any = None, action: str | None = None, unit_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.actor, self.action, self.unit_code = actor, action, unit_code


class TransitionRefused(ChisoError):
    """A workflow action not allowed in the current state; says what is allowed instead."""

    def __init__(
        self, subject: str, state: str, action: str, allowed: list[str] | tuple[str, ...], detail: str = ""
    ) -> None:
        self.subject, self.state, self.action, self.allowed = subject, state, action, tuple(allowed)
        choices = ", ".join(allowed) if allowed else "nothing"
        more = f" ({detail})" if detail else ""
        super().__init__(f"{subject} is {state!r}: cannot {action!r}{more}; allowed in this state: {choices}")


class ConflictError(ChisoError):
    """Someone else changed the record since it was read; carries the current value to start again from."""

    def __init__(self, subject: str, current: Any, message: str = "") -> None:
        self.subject, self.current = subject, current
        super().__init__(
            message or f"{subject} was changed by someone else; current value: {current!r}. Re-read it and retry."
        )


class ImmutableError(ChisoError):
    """An attempt to change something that is fixed once written (a published run, the audit log)."""
