"""The declaration as a workbook in the layout of the imported form.

The first sheet has the list's own columns, in its order and with its headers (unknown columns
included), one row per component in the list's order, then the declaration: the figure, the
self-score, the appraised score, the item's state, the evidence (số hiệu – ngày – trích yếu, one
document a line) and the evidence files' names. A second sheet gives the estimate of the main
indicators, the pillars and the DTI; a hidden sheet says what the workbook is (`chiso.workbooks`).
Read back as a component list, the first sheet imports to the same components.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.orm import Session

from chiso import clock, workbooks
from chiso.collection.cells import evidence_text
from chiso.ministry import service
from chiso.ministry.schemas import Estimate
from chiso.permissions import Actor, check

SCHEMA = "chiso/dti-declaration"
DECLARED = (
    ("value", "Giá trị kê khai"),
    ("self_score", "Điểm tự chấm"),
    ("appraised_score", "Điểm thẩm định"),
    ("state", "Trạng thái"),
    ("evidence_docs", "Minh chứng (số hiệu – ngày – trích yếu)"),
    ("evidence_files", "Tệp minh chứng"),
)
STATES = {
    "draft": "Nháp",
    "submitted": "Đã nộp",
    "resubmitted": "Đã nộp lại",
    "returned": "Trả lại",
    "accepted": "Đã chấp nhận",
    "approved": "Đã phê duyệt",
    "published": "Đã công bố",
}
SHEET = "Kê khai"
ESTIMATE_SHEET = "Ước tính"


def write(*, session: Session, year: int, path: Path, actor: Actor) -> Estimate:
    """Write the year's declaration to `path` (.xlsx), atomically; returns the estimate it shows."""
    check(actor, "ministry.view")
    stored, _period = service.declared_list(session=session, year=year)
    est = service.estimate(session=session, year=year, actor=actor)
    by_code = {c.code: c for c in est.components}
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{SHEET} {year}"
    headers = [*stored.columns, *(label for _, label in DECLARED)]
    for column, header in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=column, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(stored.rows, start=2):
        for column, header in enumerate(stored.columns, start=1):
            ws.cell(row=r, column=column, value=row["cells"].get(header, "") or None)
        c = by_code[row["code"]]
        declared = {
            "value": c.value,
            "self_score": c.self_score,
            "appraised_score": c.appraised_score,
            "state": STATES.get(c.state, c.state),
            "evidence_docs": evidence_text([(n, d, s) for n, d, s, _f in c.evidence]) or None,
            "evidence_files": "\n".join(f for *_rest, f in c.evidence if f) or None,
        }
        for k, (key, _label) in enumerate(DECLARED, start=len(stored.columns) + 1):
            cell = ws.cell(row=r, column=k, value=declared[key])
            if key.startswith("evidence"):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    summary = wb.create_sheet(ESTIMATE_SHEET)
    for column, header in enumerate(("STT", "Chỉ số", "Điểm đạt", "Điểm tối đa", "Giá trị (0–1)"), start=1):
        summary.cell(row=1, column=column, value=header).font = Font(bold=True)
    lines: list[tuple[str, str, float | None, float | None, float]] = [
        (m.number, m.name, m.points, m.max_points, m.value) for m in est.mains
    ]
    lines += [("", name, None, None, value) for _code, name, value in est.pillars]
    lines.append(("", "DTI", None, None, est.dti))
    for r, line in enumerate(lines, start=2):
        for column, value in enumerate(line, start=1):
            summary.cell(row=r, column=column, value=value)
    workbooks.write_meta(
        wb,
        SCHEMA,
        {
            "year": str(year),
            "province": stored.province,
            "period": est.period,
            "framework_sha256": stored.framework_version.sha256,
            "component_list": stored.file_name,
            "note": stored.note,
            "generated_at": clock.of(session).now().isoformat(timespec="seconds"),
        },
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        wb.save(tmp)
        tmp.replace(path)
    finally:
        wb.close()
        tmp.unlink(missing_ok=True)
    return est
