"""Reading posted forms: numbers in Vietnamese or English notation, dates, uploaded files."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

from starlette.datastructures import FormData, UploadFile

from chiso.collection.evidence import EvidenceRefused


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def number(form: FormData, name: str) -> float | None:
    """A number typed as 0,5 or 0.5 or 1.234,5 (Vietnamese) or 1,234.5; empty is None."""
    raw = str(form.get(name) or "").strip().replace(" ", "").replace("\u00a0", "")
    if not raw:
        return None
    if "," in raw and "." in raw:
        raw = raw.replace(".", "").replace(",", ".") if raw.rfind(",") > raw.rfind(".") else raw.replace(",", "")
    else:
        raw = raw.replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", raw):
        raise FieldError(name, "không phải số / not a number")
    return float(raw)


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
