"""`chiso demo`: what a newcomer sees first.

Until the web app exists, the national DTI 2022 ranking computed by the shipped framework from the
published main-indicator values (FACTS.md §2), next to the published DTI.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from chiso.cli.output import print_table
from chiso.demo import example_path
from chiso.framework import load_framework
from chiso.framework.describe import number
from chiso.scoring import ScoreRequest, score_files


def demo() -> None:
    """Bảng xếp hạng DTI 2022 tính từ số liệu công bố — the DTI 2022 ranking from published values."""
    fw = load_framework("dti-province-2022")
    path = example_path("dti-2022-published.csv")
    result, _ = score_files(ScoreRequest(fw, period_column="period"), [path])
    scores = result.scores.set_index("unit")
    ranks = result.rank_table().set_index("unit")
    names, published = _column(path, "name"), _column(path, "dti_published")
    columns = {
        node: scores[node].astype(float).round(4).to_dict() for node in ("dti", "government", "economy", "society")
    }
    rank_of = ranks["dti"].astype(float).to_dict()
    rows = []
    for unit in ranks.sort_values("dti").index:
        score = {node: float(column[unit]) for node, column in columns.items()}
        rows.append(
            (
                int(rank_of[unit]),
                unit,
                names.get(unit, ""),
                number(score["dti"]),
                published.get(unit, ""),
                number(score["government"]),
                number(score["economy"]),
                number(score["society"]),
            )
        )
    typer.echo(f"{fw.name} — {fw.provenance.decision}")
    typer.echo(f"Số liệu / Data: {path.name} (5 tỉnh, thành phố công bố năm 2022 / published 2022 rows)\n")
    print_table(("hạng", "mã", "tỉnh/thành phố", "DTI", "DTI công bố", "CQS", "KTS", "XHS"), rows)
    typer.echo(
        "\nDTI: tính lại từ 8 chỉ số chính / recomputed from the main indicators; CQS, KTS, XHS: trụ cột / pillars."
    )


def _column(path: Path, column: str) -> dict[str, str]:
    frame = pd.read_csv(path, dtype=str)
    return {unit: value.replace(".", ",") for unit, value in zip(frame["unit"], frame[column], strict=True)}
