"""Example data shipped with Chiso, and the demo database (`chiso demo build`).

`build(session, settings, seed=…)` creates the demo for the new Thái Nguyên province through the
services (see `chiso.demo.builder`); `example_path` gives the shipped example files.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chiso.demo.builder import Summary


def example_path(name: str) -> Path:
    """Path of a shipped example file (e.g. `dti-2022-published.csv`)."""
    return Path(str(resources.files("chiso.demo") / "data" / name))


def build(session: Any, settings: Any, *, seed: int | None = None, **options: Any) -> Summary:
    """Build the demo database (see `chiso.demo.builder.build`)."""
    from chiso.demo import builder

    return builder.build(session, settings, seed=builder.DEFAULT_SEED if seed is None else seed, **options)
