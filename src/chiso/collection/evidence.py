"""Evidence files: the type is read from the content, the extension must agree, the size is bounded.

Files are stored content-addressed (sha256) under the settings' evidence folder, read-only, without
their extension: they are served as downloads, never executed or rendered as HTML. A refused file
leaves nothing behind, not even a temporary file.

Within a transaction a file is first written to the staging folder (evidence/.staging) and moved into
place when the transaction commits (a session event); a rollback deletes it. A process killed mid-way
leaves only staging files, which no row can cite; `chiso evidence gc` removes them once they are an
hour old, with the stored files that no row cites any more.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from chiso.clock import SYSTEM
from chiso.db import Base, import_models
from chiso.errors import ChisoError
from chiso.permissions import Actor
from chiso.permissions import check as check_permission

KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", (".pdf",)),
    "png": ("image/png", (".png",)),
    "jpg": ("image/jpeg", (".jpg", ".jpeg")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
}
ALLOWED_TEXT = "PDF, DOCX, XLSX, PNG, JPG"


class EvidenceRefused(ChisoError):
    kind = "validation"


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    kind: str
    media_type: str
    name: str


def detect(data: bytes) -> str | None:
    """The kind of file from its first bytes (and, for Office files, the parts inside the zip)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            return None
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return "docx"
            if any(n.startswith("xl/") for n in names):
                return "xlsx"
    return None


def check(path: Path, max_bytes: int) -> tuple[str, bytes]:
    """(kind, content) of an acceptable file, or EvidenceRefused saying why."""
    if not path.is_file():
        raise EvidenceRefused(f"{path}: tệp không tồn tại / file not found")
    size = path.stat().st_size
    if size > max_bytes:
        raise EvidenceRefused(
            f"{path.name}: tệp quá lớn / file too large: {size:,} bytes, the limit is {max_bytes:,} bytes"
        )
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # grew while being read
        raise EvidenceRefused(f"{path.name}: tệp quá lớn / file too large (over {max_bytes:,} bytes)")
    kind = detect(data)
    if kind is None:
        raise EvidenceRefused(
            f"{path.name}: loại tệp không được chấp nhận / file type not allowed; allowed: {ALLOWED_TEXT}"
        )
    extensions = KINDS[kind][1]
    if path.suffix.lower() not in extensions:
        raise EvidenceRefused(
            f"{path.name}: nội dung là {kind.upper()} nhưng phần mở rộng là {path.suffix or '(none)'} / "
            f"the content is {kind.upper()} but the extension says otherwise; rename it to {extensions[0]}"
        )
    return kind, data


def store(path: Path, folder: Path, max_bytes: int, session: Session | None = None) -> StoredFile:
    """Check the file, then keep it once under folder/ab/abcdef… (its sha256).

    With a session, the file is staged and only moved into place when the session's transaction
    commits; without one (no transaction to follow), it goes straight into place.
    """
    kind, data = check(path, max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    target = path_of(folder, digest)
    staged: list[Staged] = session.info.setdefault(STAGED, []) if session is not None else []
    if target.exists():
        os.utime(target)  # in use again: `gc` leaves files used within the hour alone
    elif session is None:
        _write(target, data, suffix="")
    elif not any(s.target == target for s in staged):
        transaction = session.get_nested_transaction() or session.get_transaction()
        staged.append(Staged(_write(folder / STAGING / digest, data, suffix=f"-{digest}"), target, transaction))
    return StoredFile(digest, len(data), kind, KINDS[kind][0], path.name)


def _write(target: Path, data: bytes, *, suffix: str) -> Path:
    """Write atomically next to `target`, read-only; with a suffix, keep the temporary name (staging)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".upload-" if not suffix else "", suffix=suffix, dir=target.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        tmp.chmod(0o444)
        if suffix:
            return tmp
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


# --- staging: files follow their transaction ---------------------------------------------------------
STAGING = ".staging"
STAGED = "chiso.evidence.staged"  # session.info: the files staged by the session's transaction


@dataclass(frozen=True)
class Staged:
    path: Path
    target: Path
    transaction: Any  # the (nested) SessionTransaction that staged it: its rollback discards the file


@event.listens_for(Session, "after_commit")
def _move_into_place(session: Session) -> None:
    for staged in session.info.pop(STAGED, []):
        if staged.target.exists():
            staged.path.unlink(missing_ok=True)
        else:
            staged.target.parent.mkdir(parents=True, exist_ok=True)
            staged.path.replace(staged.target)


@event.listens_for(Session, "after_soft_rollback")
def _discard(session: Session, previous_transaction: Any) -> None:
    kept = []
    for staged in session.info.get(STAGED, []):
        if _within(staged.transaction, previous_transaction):
            staged.path.unlink(missing_ok=True)
        else:
            kept.append(staged)
    session.info[STAGED] = kept


def _within(transaction: Any, ancestor: Any) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def path_of(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / sha256


@dataclass(frozen=True)
class FileStore:
    """Where evidence files go and how large they may be (from the settings)."""

    folder: Path
    max_bytes: int

    def digest(self, path: Path) -> str:
        """sha256 of an acceptable file, without keeping it (raises EvidenceRefused)."""
        return hashlib.sha256(check(path, self.max_bytes)[1]).hexdigest()

    def store(self, path: Path, *, session: Session | None = None) -> StoredFile:
        return store(path, self.folder, self.max_bytes, session)


# --- garbage collection ------------------------------------------------------------------------------
GRACE = dt.timedelta(hours=1)  # younger files may belong to a transaction still running


@dataclass(frozen=True)
class Removed:
    path: Path
    size: int
    why: str  # "unreferenced" (stored, no row cites it) or "staging" (left by a killed or failed process)


@dataclass(frozen=True)
class Collected:
    removed: list[Removed]
    restored: list[Path]  # staged files of committed rows, moved into place (killed between commit and move)
    dry_run: bool

    @property
    def freed(self) -> int:
        return sum(r.size for r in self.removed)


def referenced(session: Session) -> set[str]:
    """The sha256 of every file a row cites (every table with a `file_sha256` column)."""
    import_models()
    found: set[str] = set()
    for mapper in Base.registry.mappers:
        column = mapper.columns.get("file_sha256")
        if column is not None:
            found.update(session.scalars(select(column).where(column.is_not(None)).distinct()))
    return found


def collect_garbage(*, session: Session, files: FileStore, actor: Actor, dry_run: bool = False) -> Collected:
    """Remove stored files no row cites and staging files left behind, both older than GRACE."""
    check_permission(actor, "evidence.manage")
    cited = referenced(session)
    # File times come from the machine's clock, so their age is measured by it too (not the app's).
    cutoff = (SYSTEM.now() - GRACE).timestamp()
    removed: list[Removed] = []
    restored: list[Path] = []
    for path in sorted(files.folder.glob("??/*")):
        if _is_digest(path.name) and path.is_file() and path.name not in cited and path.stat().st_mtime < cutoff:
            removed.append(Removed(path, path.stat().st_size, "unreferenced"))
    staging = files.folder / STAGING
    for path in sorted(staging.iterdir()) if staging.is_dir() else []:
        if not path.is_file() or path.stat().st_mtime >= cutoff:
            continue
        digest = path.name.rpartition("-")[2]
        target = path_of(files.folder, digest)
        if digest in cited and not target.exists() and _is_digest(digest) and _sha256(path) == digest:
            restored.append(target)
            if not dry_run:
                target.parent.mkdir(parents=True, exist_ok=True)
                path.replace(target)
            continue
        removed.append(Removed(path, path.stat().st_size, "staging"))
    if not dry_run:
        for item in removed:
            item.path.unlink(missing_ok=True)
    return Collected(removed, restored, dry_run)


def _is_digest(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
