"""Evidence written into the XLSX template reads back the same, whatever the form left empty."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from chiso.collection import cells

DOCS = [
    ("12/BC-VNPT", None, ""),  # a document number alone, as the declaration form may save it
    ("22/KH-UBND", None, "Kế hoạch diễn tập"),  # no date
    ("15/BC-UBND", dt.date(2025, 10, 1), "Báo cáo – số liệu"),  # a dash inside the summary
]


@pytest.mark.parametrize("doc", DOCS, ids=[d[0] for d in DOCS])
def test_evidence_text_reads_back(doc, tmp_path: Path):
    read = cells.evidence(cells.evidence_text([doc]), None, tmp_path)
    assert [(e.doc_number, e.doc_date, e.summary) for e in read] == [doc]


def test_a_summary_alone_is_still_refused(tmp_path: Path):
    with pytest.raises(cells.CellError, match="số hiệu – ngày – trích yếu"):
        cells.evidence("Báo cáo tháng mười", None, tmp_path)
