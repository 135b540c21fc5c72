"""Reading cells the way officers type them: numbers in either notation, dates dd/mm/yyyy, evidence lines."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from chiso import numbers
from chiso.collection.schemas import EvidenceIn

SEPARATOR = " – "
# A dash between spaces; "15/BC-UBND" keeps its hyphen, and an empty date ("1/BC –  – trích yếu") stays a part.
_SPLIT = re.compile(r"(?<=\s)[–—-](?=\s)")


class CellError(ValueError):
    pass


_WHOLE_FILE = (
    "hoặc đọc cả tệp theo một kiểu: --numbers vi (1.234 = 1234) hay --numbers en (1.234 = 1,234)"
    " / or read the whole file in one notation: --numbers vi (1.234 = 1234) or --numbers en (1.234 = 1.234)"
)


@dataclass
class Reading:
    """How an import reads numbers written as text, and how many cells it read each way (for its report)."""

    notation: numbers.Notation | None = None  # said by the importer: settles numbers that read two ways
    cells: Counter[str] = field(default_factory=Counter)

    def describe(self) -> str:
        counts = self.cells
        vi = [f"{counts['number']} ô số"] if counts["number"] else []
        en = [f"{counts['number']} number cells"] if counts["number"] else []
        for notation in numbers.NOTATIONS:
            if counts[notation]:
                vi.append(f"{counts[notation]} ô {numbers.NAMES[notation]}")
                en.append(f"{counts[notation]} in {numbers.NAMES_EN[notation]}")
        if counts["alike"]:
            vi.append(f"{counts['alike']} ô đọc như nhau theo cả hai kiểu")
            en.append(f"{counts['alike']} the same in both")
        if self.notation is None:
            rule = "số đọc được hai cách (1.234) bị từ chối", "numbers that read two ways (1.234) are refused"
        else:
            example = "1.234 = 1234" if self.notation == "vi" else "1,234 = 1234"
            rule = (
                f"{counts['settled']} ô đọc được hai cách, đọc theo {numbers.NAMES[self.notation]}: {example}",
                f"{counts['settled']} that read two ways, read in {numbers.NAMES_EN[self.notation]}: {example}",
            )
        return (
            f"Số liệu: {', '.join(vi) or 'không có ô số'}; {rule[0]}"
            f" / Numbers: {', '.join(en) or 'no number cells'}; {rule[1]}"
        )


def number(raw: object, reading: Reading | None = None) -> float | None:
    """A number from a cell: 12 · 12.5 · "12,5" · "1.234,5" · "1,234.5" · "15 %" (→ 0.15); empty → None.

    A cell that is a number already (XLSX, JSON) is taken as it is; text is read by chiso.numbers, and
    text that reads as two numbers (1.234) is refused unless `reading` says the file's notation.
    """
    reading = reading or Reading()
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, int | float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise CellError("không phải số hữu hạn / not a finite number")
        reading.cells["number"] += 1
        return float(raw)
    text = str(raw).strip()
    percent = text.endswith("%")
    text = text.removesuffix("%")
    try:
        value = numbers.parse(text, notation=reading.notation)
    except numbers.AmbiguousNumber as exc:
        raise CellError(f"{exc} — {_WHOLE_FILE}") from None
    except numbers.NumberRefused:
        raise CellError(f"không phải số / not a number: {raw!r}") from None
    if value is None:
        raise CellError(f"không phải số / not a number: {raw!r}")
    found = numbers.readings(text)
    if len(found) == 1:
        reading.cells[next(iter(found))] += 1
    else:
        reading.cells["alike" if len(set(found.values())) == 1 else "settled"] += 1
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
        parts = [p.strip() for p in _SPLIT.split(line, maxsplit=2)]
        if len(parts) == 1 and " " not in line:  # a document number alone, as a form may save it
            parts.append("")
        if len(parts) < 2:
            raise CellError(f"ghi 'số hiệu – ngày – trích yếu' / write 'number – date – summary': {line!r}")
        number_, when = parts[0], date(parts[1])
        summary = parts[2] if len(parts) > 2 else ""
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
