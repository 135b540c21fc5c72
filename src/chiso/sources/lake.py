"""The lake: ingested records as Parquet under Chiso's data directory, written atomically.

    <data dir>/lake/<source>/part-<ingest id>.parquet        valid records, one part per ingested file
    <data dir>/lake/<source>/_index/                         what the parts hold (`index.py`): written at
                                                             ingestion, read by measures
    <data dir>/quarantine/<source>/<ingest id>.parquet       rejected records with the reason
    <data dir>/ingest/<ingest id>.json                       the ingestion report (written last)
    <data dir>/.staging/                                     work files; ignored by readers, cleared on use

Every file appears by renaming a complete temporary file, so a crash leaves either the old state or the
new one. The ingestion id is the source and the first 16 hex digits of the file's SHA-256: ingesting
the same file again finds its report and adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chiso.clock import SYSTEM, Clock

DATA_DIR_ENV = "CHISO_DATA_DIR"
DEFAULT_DATA_DIR = Path("var")


def resolve_data_dir(value: Path | str | None = None) -> Path:
    """`--data-dir`, else $CHISO_DATA_DIR, else ./var."""
    if value:
        return Path(value)
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call `write` on a temporary file beside `path`, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(0o666 & ~_umask())  # mkstemp makes files private; the lake follows the umask like any file
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Lake:
    root: Path
    clock: Clock = field(default=SYSTEM, compare=False)  # stamps ingest reports and measured values

    @classmethod
    def at(cls, data_dir: Path | str | None = None, clock: Clock = SYSTEM) -> Lake:
        return cls(resolve_data_dir(data_dir), clock)

    def records_dir(self, source: str) -> Path:
        return self.root / "lake" / source

    def part_path(self, source: str, ingest_id: str) -> Path:
        return self.records_dir(source) / f"part-{ingest_id}.parquet"

    def parts(self, source: str) -> list[Path]:
        """The committed parts of a source (temporary files never match)."""
        return sorted(self.records_dir(source).glob("part-*.parquet"))

    def index_dir(self, source: str) -> Path:
        """The source's index (see `chiso.sources.index`): part summaries and the version index."""
        return self.records_dir(source) / "_index"

    def summaries_path(self, source: str) -> Path:
        return self.index_dir(source) / "parts.json"

    def versions_dir(self, source: str) -> Path:
        return self.index_dir(source) / "versions"

    def versions_path(self, source: str, part: str) -> Path:
        """The version index file of one part (named by the part's file name)."""
        return self.versions_dir(source) / part

    def quarantine_path(self, source: str, ingest_id: str) -> Path:
        return self.root / "quarantine" / source / f"{ingest_id}.parquet"

    def quarantine_files(self, source: str | None = None) -> list[Path]:
        pattern = f"{source}/*.parquet" if source else "*/*.parquet"
        return sorted((self.root / "quarantine").glob(pattern))

    def report_path(self, ingest_id: str) -> Path:
        return self.root / "ingest" / f"{ingest_id}.json"

    def reports(self) -> list[dict[str, Any]]:
        found = []
        for path in sorted((self.root / "ingest").glob("*.json")):
            found.append(json.loads(path.read_text(encoding="utf-8")))
        return found

    def read_report(self, ingest_id: str) -> dict[str, Any] | None:
        path = self.report_path(ingest_id)
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def write_report(self, report: dict[str, Any]) -> None:
        text = json.dumps(report, ensure_ascii=False, indent=1)
        atomic_write(self.report_path(report["ingest_id"]), lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def staging(self) -> Path:
        """A fresh private work directory; the caller removes it (see `discard`)."""
        base = self.root / ".staging"
        base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=base))

    @staticmethod
    def discard(path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)

    def snapshot(self, sources: list[str]) -> str:
        """A short id of the committed parts of these sources: equal ids, equal records."""
        digest = hashlib.sha256()
        for source in sorted(sources):
            for part in self.parts(source):
                digest.update(f"{source}/{part.name}:{part.stat().st_size}\n".encode())
        return digest.hexdigest()[:16]
