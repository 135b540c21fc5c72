"""Programme files: YAML → validated Programme, and the programmes shipped with Chiso."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from chiso.errors import ChisoError
from chiso.programme.spec import Programme
from chiso.yamlio import safe_yaml

SHIPPED_PACKAGE = "chiso.programme.data"


class ProgrammeError(ChisoError, ValueError):
    """A programme that cannot be found or read, with what to do about it."""


def shipped() -> list[Programme]:
    folder = resources.files(SHIPPED_PACKAGE)
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".yaml"))
    return [_parse((folder / name).read_text(encoding="utf-8"), name) for name in names]


def load_programme(reference: str | Path) -> Programme:
    """A programme by file path, shipped code (`thai-nguyen-01-nq-tu`) or document number (`01/NQ-TU`)."""
    path = Path(reference)
    if path.suffix in {".yaml", ".yml"}:
        if not path.exists():
            raise ProgrammeError(f"{path}: file not found")
        return _parse(path.read_text(encoding="utf-8"), str(path))
    wanted = str(reference).strip().casefold()
    for programme in shipped():
        if wanted in {programme.code.casefold(), programme.document.number.casefold()}:
            return programme
    known = ", ".join(f"{p.code} ({p.document.number})" for p in shipped())
    raise ProgrammeError(f"no programme {reference!r}; shipped: {known}; or give a .yaml file")


def _parse(text: str, origin: str) -> Programme:
    try:
        return Programme.model_validate(safe_yaml(text))
    except yaml.YAMLError as exc:
        raise ProgrammeError(f"{origin}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "\n".join(
            f"  - {'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
        )
        raise ProgrammeError(f"{origin}: {exc.error_count()} problem(s):\n{problems}") from exc
