"""Evidence files: the type is read from the content, the extension must agree, the size is bounded.

Files are stored content-addressed (sha256) under the settings' evidence folder, read-only, without
their extension: they are served as downloads, never executed or rendered as HTML. A refused file
leaves nothing behind, not even a temporary file.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from chiso.errors import ChisoError

KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", (".pdf",)),
    "png": ("image/png", (".png",)),
    "jpg": ("image/jpeg", (".jpg", ".jpeg")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
}
ALLOWED_TEXT = "PDF, DOCX, XLSX, PNG, JPG"


class EvidenceRefused(ChisoError):
    pass


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


def store(path: Path, folder: Path, max_bytes: int) -> StoredFile:
    """Check the file, then keep it once under folder/ab/abcdef… (its sha256)."""
    kind, data = check(path, max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    target = folder / digest[:2] / digest
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".upload-", dir=target.parent)
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            tmp.chmod(0o444)
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
    return StoredFile(digest, len(data), kind, KINDS[kind][0], path.name)


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

    def store(self, path: Path) -> StoredFile:
        return store(path, self.folder, self.max_bytes)
