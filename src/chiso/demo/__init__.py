"""Example data shipped with Chiso, and what `chiso demo` shows with it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def example_path(name: str) -> Path:
    """Path of a shipped example file (e.g. `dti-2022-published.csv`)."""
    return Path(str(resources.files("chiso.demo") / "data" / name))
