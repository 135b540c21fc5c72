"""Nouns imported when used, so that `chiso --help` and `chiso score` do not pay for the web app.

`chiso --help` lists each lazy noun with the help line declared beside it (a test checks that line
against the noun's own help); running a noun, or reading `commands`, imports its module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any, ClassVar

import typer

# Typer vendors its own Click: its groups take and return that one's contexts and commands.
from typer import _click as click
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info, get_group_from_info
from typer.models import CommandInfo, TyperInfo

from chiso.cli.output import refuse
from chiso.errors import ChisoError

Loaded = typer.Typer | Callable[..., Any]


@dataclass(frozen=True)
class Lazy:
    """A noun (a Typer app) or a command (a function): `module:attribute`, or a loader function."""

    target: str | Callable[[], Loaded]
    help: str

    def load(self) -> Loaded:
        if callable(self.target):
            return self.target()
        module, _, attribute = self.target.partition(":")
        loaded: Loaded = getattr(importlib.import_module(module), attribute)
        return loaded


class _Commands(MutableMapping[str, click.Command]):
    """The group's commands: the loaded ones, and the lazy ones loaded on first access."""

    def __init__(self, group: LazyGroup, loaded: dict[str, click.Command]) -> None:
        self._group = group
        self._loaded = dict(loaded)
        self._names = [*loaded, *(n for n in group.lazy if n not in loaded)]

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            if name not in self._group.lazy:
                raise KeyError(name)
            self._loaded[name] = self._group.build(name, self._group.lazy[name].load())
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command
        if name not in self._names:
            self._names.append(name)

    def __delitem__(self, name: str) -> None:
        self._loaded.pop(name, None)
        self._names.remove(name)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def loaded(self, name: str) -> bool:
        return name in self._loaded


class LazyGroup(TyperGroup):
    lazy: ClassVar[dict[str, Lazy]] = {}
    _listing = False

    @classmethod
    def of(cls, lazy: dict[str, Lazy]) -> type[LazyGroup]:
        return type("LazyChisoGroup", (cls,), {"lazy": dict(lazy)})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Commands(self, dict(self.commands))

    def build(self, name: str, loaded: Loaded) -> click.Command:
        if isinstance(loaded, typer.Typer):
            return get_group_from_info(
                TyperInfo(loaded, name=name),
                pretty_exceptions_short=True,
                suggest_commands=True,
                rich_markup_mode=self.rich_markup_mode,
            )
        return get_command_from_info(
            CommandInfo(name=name, callback=loaded),
            pretty_exceptions_short=True,
            rich_markup_mode=self.rich_markup_mode,
        )

    def invoke(self, ctx: click.Context) -> Any:
        """Any domain error a command lets through: its message and exit code (chiso.errors.OUTCOMES)."""
        try:
            return super().invoke(ctx)
        except ChisoError as exc:
            refuse(exc)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # names only: TyperGroup's reads the commands, loading them all

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        commands = self.commands
        assert isinstance(commands, _Commands)
        if self._listing and cmd_name in self.lazy and not commands.loaded(cmd_name):
            # Listing the nouns for --help: their help line, not their modules.
            return TyperCommand(cmd_name, help=self.lazy[cmd_name].help)
        return commands.get(cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
