"""Evidence files: type from content, extension agrees, size bounded; a refused file leaves nothing."""

from __future__ import annotations

import io
import zipfile

import pytest

from chiso.collection import evidence
from chiso.collection.evidence import EvidenceRefused, FileStore

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{part}/document.xml", "<x/>")
    return buffer.getvalue()


def files_in(folder) -> list:
    return sorted(p for p in folder.rglob("*")) if folder.exists() else []


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("a.pdf", PDF, "pdf"),
        ("a.png", PNG, "png"),
        ("a.JPG", JPG, "jpg"),
        ("a.jpeg", JPG, "jpg"),
        ("a.docx", office("word"), "docx"),
        ("a.xlsx", office("xl"), "xlsx"),
    ],
)
def test_allowed_types_are_stored_by_content_hash(tmp_path, name, content, kind):
    source = tmp_path / name
    source.write_bytes(content)
    store = FileStore(tmp_path / "evidence", 1000)
    stored = store.store(source)
    assert stored.kind == kind and stored.size == len(content)
    kept = evidence.path_of(store.folder, stored.sha256)
    assert kept.read_bytes() == content and not kept.stat().st_mode & 0o222  # read-only
    assert store.store(source) == stored and len([p for p in files_in(store.folder) if p.is_file()]) == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("big.pdf", PDF + b"x" * 2000, "file too large: 2,"),
        ("page.pdf", b"<html><script>alert(1)</script></html>", "file type not allowed"),
        ("run.exe", b"MZ\x90\x00" + b"\x00" * 60, "file type not allowed"),
        ("macro.docm", office("word"), "extension says otherwise"),
        ("photo.pdf", PNG, "the content is PNG"),
        ("archive.docx", office("other"), "file type not allowed"),
        ("broken.xlsx", b"PK\x03\x04 not a zip", "file type not allowed"),
    ],
)
def test_refused_files_leave_nothing_behind(tmp_path, name, content, message):
    source = tmp_path / name
    source.write_bytes(content)
    store = FileStore(tmp_path / "evidence", 1000)
    with pytest.raises(EvidenceRefused, match=message) as caught:
        store.store(source)
    assert name in str(caught.value)
    assert files_in(store.folder) == []
