"""The report as an A4 PDF, typeset by Typst (the `typst` package ships the compiler; no system fonts).

Typst embeds Libertinus Serif, which covers Vietnamese (every tone mark on every vowel); the document
is compiled with system fonts ignored, so the PDF looks the same on every machine.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

from chiso.errors import ChisoError
from chiso.reports.formats import cell
from chiso.reports.schemas import AnnualReport, Table

TEMPLATES = Path(__file__).parent / "templates"
WIDE = 16  # characters: a text column whose cells run longer takes the line's remaining width


def _share(kind: str, width: int) -> float:
    """How much of the line's remaining width a long text column takes (0: as wide as its cells)."""
    return round(min(width, 4 * WIDE) / WIDE, 2) if kind == "text" and width > WIDE else 0.0


def _table(table: Table) -> dict[str, Any]:
    cells = [[cell(c, v) for c, v in zip(table.columns, row, strict=True)] for row in table.rows]
    widths = [max((len(r[i]) for r in cells), default=0) for i in range(len(table.columns))]
    columns = [
        {"header": c.header, "kind": c.kind, "wide": _share(c.kind, widths[i])} for i, c in enumerate(table.columns)
    ]
    heading = -1 if table.heading is None else table.heading
    return {
        "key": table.key,
        "title": table.title,
        "note": table.note,
        "columns": columns,
        "cells": cells,
        "heading": heading,
    }


def document(report: AnnualReport, folder: Path) -> Path:
    """Write the Typst source, its data and its figures into `folder`; the main file's path."""
    sections = []
    for section in report.sections:
        figures = []
        for figure in section.figures:
            name = f"{figure.key}.svg".replace("/", "-")
            (folder / name).write_text(figure.svg, encoding="utf-8")
            legend = [list(pair) for pair in figure.legend]
            is_map = figure.key.startswith("map-")
            figures.append(
                {
                    "file": name,
                    "caption": figure.caption,
                    "legend": legend,
                    "map": is_map,
                    "simulated": figure.simulated,
                    "after": figure.after,
                }
            )
        sections.append(
            {
                "title": section.title,
                "paragraphs": section.paragraphs,
                "tables": [_table(t) for t in section.tables],
                "figures": figures,
            }
        )
    data = {
        "title": report.title,
        "province_name": report.province_name,
        "year": str(report.year),
        "made_on": f"{report.made_on:%d/%m/%Y}",
        "footer": f"Chiso — {report.province_name}, {report.made_on:%d/%m/%Y}",
        "simulated": report.simulated,
        "sections": sections,
    }
    (folder / "data.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    main = folder / "annual.typ"
    main.write_text((TEMPLATES / "annual.typ").read_text(encoding="utf-8"), encoding="utf-8")
    return main


def render(report: AnnualReport) -> bytes:
    import typst

    # The PDF's creation date is the report's day (the session's clock), so a report is reproducible.
    stamp = int(dt.datetime.combine(report.made_on, dt.time(12), dt.UTC).timestamp())
    with tempfile.TemporaryDirectory(prefix="chiso-report-") as folder:
        main = document(report, Path(folder))
        try:
            pdf: bytes = typst.compile(str(main), root=folder, ignore_system_fonts=True, timestamp=stamp)
        except typst.TypstError as exc:  # a bug in the template or its data, never the user's input
            raise ChisoError(f"không dựng được báo cáo PDF — cannot typeset the report: {exc}") from exc
    return pdf
