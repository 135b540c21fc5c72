"""Reading posted forms: numbers in Vietnamese or English notation, dates, uploaded files."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

from starlette.datastructures import FormData, UploadFile

from chiso import numbers
from chiso.collection.evidence import EvidenceRefused


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def number(form: FormData, name: str) -> float | None:
    """A number typed in either notation (chiso.numbers); empty is None; one that reads two ways is refused."""
    try:
        return numbers.parse(str(form.get(name) or ""))
    except numbers.NumberRefused as exc:
        raise FieldError(name, str(exc)) from None


def date(form: FormData, name: str) -> dt.date | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise FieldError(name, "ngày không hợp lệ (dd/mm/yyyy) / invalid date")


async def saved_upload(upload: UploadFile, folder: Path, max_bytes: int) -> Path:
    """Write an upload under its own (sanitised) name in `folder`, refusing it past `max_bytes`."""
    name = Path(upload.filename or "tep").name
    name = re.sub(r"[^\w.\-]+", "_", name)[-120:] or "tep"
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise EvidenceRefused(f"{name}: tệp quá lớn / file too large (over {max_bytes:,} bytes)")
    target = folder / name
    target.write_bytes(data)
    return target


def temporary_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="chiso-upload-")
