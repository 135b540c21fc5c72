"""Reading cells the way officers type them: numbers with a decimal comma, dates dd/mm/yyyy, evidence lines."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path, PurePosixPath, PureWindowsPath

from chiso.collection.schemas import EvidenceIn

SEPARATOR = " – "
_SPLIT = re.compile(r"\s+[–—-]\s+")


class CellError(ValueError):
    pass


def number(raw: object) -> float | None:
    """A number from a cell: 12 · 12.5 · "12,5" · "1.234,5" · "15 %" (→ 0.15); empty → None."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, int | float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise CellError("không phải số hữu hạn / not a finite number")
        return float(raw)
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
    percent = text.endswith("%")
    text = text.rstrip("%")
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise CellError(f"không phải số / not a number: {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise CellError(f"không phải số hữu hạn / not a finite number: {raw!r}")
    return value / 100 if percent else value


def date(raw: object) -> dt.date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(f"ngày không hợp lệ / not a date (dd/mm/yyyy): {text!r}")


def evidence(raw: object, files: object, folder: Path) -> tuple[EvidenceIn, ...]:
    """Evidence lines "số hiệu – ngày – trích yếu" (one per line or separated by ";"), with files in order."""
    text = "" if raw is None else str(raw).strip()
    lines = [line.strip() for line in re.split(r"[\n;]", text) if line.strip()]
    names = [n.strip() for n in re.split(r"[\n;]", "" if files is None else str(files)) if n.strip()]
    if len(names) > len(lines):
        raise CellError(f"{len(names)} tệp nhưng {len(lines)} văn bản / more files than documents: one file per line")
    out = []
    for n, line in enumerate(lines):
        parts = _SPLIT.split(line, maxsplit=2)
        if len(parts) < 2:
            raise CellError(f"ghi 'số hiệu – ngày – trích yếu' / write 'number – date – summary': {line!r}")
        number_, when = parts[0].strip(), date(parts[1].strip())
        summary = parts[2].strip() if len(parts) > 2 else ""
        file = inside(folder, names[n]) if n < len(names) else None
        out.append(EvidenceIn(doc_number=number_, doc_date=when, summary=summary, file=file))
    return tuple(out)


def inside(folder: Path, name: str) -> Path:
    """A file named in an imported file: only in that file's folder or below it.

    The import runs on the server with the server's rights, so a name must not reach any other file: no
    absolute path or drive, no `..`, and no symbolic link that leads out of the folder.
    """
    windows = PureWindowsPath(name)
    if PurePosixPath(name).is_absolute() or windows.is_absolute() or windows.drive or ".." in windows.parts:
        raise CellError(
            f"tệp {name!r}: chỉ ghi tên tệp trong thư mục của tệp nhập, không ghi đường dẫn tuyệt đối hay '..' "
            "/ name a file in the imported file's folder (or below it), not an absolute path or '..'"
        )
    path = folder / name
    if not path.resolve().is_relative_to(folder.resolve()):
        raise CellError(
            f"tệp {name!r} dẫn ra ngoài thư mục của tệp nhập (liên kết) "
            "/ leads out of the imported file's folder (a link)"
        )
    return path


def evidence_text(docs: list[tuple[str, dt.date | None, str]]) -> str:
    return "\n".join(
        SEPARATOR.join((n, "" if d is None else d.strftime("%d/%m/%Y"), s)).rstrip(" –") for n, d, s in docs
    )
