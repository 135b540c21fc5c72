"""The example component list (demo), written as a file, and a declaration made through the services."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from chiso.actors import service as actors
from chiso.collection import review
from chiso.collection import service as collection
from chiso.collection.schemas import DeclarationIn, EvidenceIn
from chiso.demo import ministry as example
from chiso.ministry import service as ministry
from chiso.national import service as national
from chiso.permissions import Actor
from chiso.tables import write_table

YEAR = 2025
PROVINCE = "19"
PERIOD = ministry.period_code(YEAR)
OPENS, CLOSES = dt.date(2026, 3, 1), dt.date(2026, 4, 30)


def example_file(folder: Path, name: str = "danh-muc.xlsx", rows: list[dict] | None = None) -> Path:
    path = folder / name
    frame = pd.DataFrame(rows if rows is not None else example.example_rows(YEAR, PROVINCE), columns=example.COLUMNS)
    write_table(path, {"Danh mục": frame})
    return path


def figure(number: str) -> float:
    """A figure for component 3.2: 32."""
    return float(number.replace(".", ""))


def self_score(max_points: float, number: str) -> float:
    """Most components claim full marks; the 1.x claim half."""
    return max_points / 2 if number.startswith("1.") else max_points


def appraised(max_points: float, number: str) -> float | None:
    """The DX office lowers the 6.x components to a quarter; the others keep the self-score."""
    return max_points / 4 if number.startswith("6.") else None


def officers(session, admin: Actor, leads) -> dict[str, Actor]:
    return {
        unit: actors.ensure(
            session=session, user=f"canbo.{unit.lower()}", roles={"officer"}, unit_code=unit, actor=admin
        )
        for unit in leads
    }


def declare_and_appraise(session, admin: Actor, appraiser: Actor) -> None:
    """Every lead department declares its components (figure, self-score, one document) and submits;
    the DX office accepts (lowering the 6.x) and approves each department."""
    stored = ministry.current_list(session=session, year=YEAR)
    leads = ministry.assignments(stored)
    people = officers(session, admin, leads)
    fw = collection.framework_of(collection.get_period(session=session, code=PERIOD))
    for unit, codes in leads.items():
        for code in codes:
            node = fw.node(code)
            collection.declare(
                session=session,
                period_code=PERIOD,
                unit_code=unit,
                item_in=DeclarationIn(
                    indicator=code,
                    values={code: figure(node.number or "")},
                    self_score=self_score(node.max_points or 0, node.number or ""),
                    evidence=(EvidenceIn(doc_number=f"{node.number}/BC-{unit}", doc_date=dt.date(2026, 3, 10),
                                         summary=f"Báo cáo {node.name[:30].strip()}"),),
                ),
                actor=people[unit],
            )  # fmt: skip
        collection.submit(session=session, period_code=PERIOD, unit_code=unit, actor=people[unit])
        for code in codes:
            node = fw.node(code)
            score = appraised(node.max_points or 0, node.number or "")
            review.accept(
                session=session,
                period_code=PERIOD,
                unit_code=unit,
                actor=appraiser,
                indicators=[code],
                appraised_score=score,
            )
        review.approve(session=session, period_code=PERIOD, unit_code=unit, actor=appraiser)


def expected_mains() -> dict[str, float]:
    """The main indicators the declaration above gives: Σ points / max points."""
    rows = example.example_rows(YEAR, PROVINCE)
    names = {m.name: m for m in ministry.components.method(YEAR).mains}
    got: dict[str, float] = {}
    for row in rows:
        main = names[row["Chỉ số chính"]]
        number, top = row["Mã"], float(row["Điểm tối đa"])
        score = appraised(top, number)
        got[main.code] = got.get(main.code, 0.0) + (score if score is not None else self_score(top, number))
    return {code: points / (names_by_code(code).max_points or 1) for code, points in got.items()}


def names_by_code(code: str):
    return next(m for m in ministry.components.method(YEAR).mains if m.code == code)


PUBLISHED = {  # what the Ministry "published" in the tests: awareness lower than estimated, the rest equal to 0.8
    "awareness": 0.6,
    "institutions": 0.8,
    "infrastructure": 0.8,
    "human_resources": 0.8,
    "cybersecurity": 0.8,
    "gov_activity": 0.8,
    "econ_activity": 0.8,
    "society_activity": 0.8,
}


def publish(session, admin: Actor) -> None:
    """The Ministry's figures for the province and two others, as the national import records them."""
    entries = [national.Entry(PROVINCE, code, value, {"source": "test"}) for code, value in PUBLISHED.items()]
    entries += [national.Entry(unit, code, 0.7, {"source": "test"}) for unit in ("01", "04") for code in PUBLISHED]
    national.record(session=session, year=YEAR, era="2025", entries=entries, actor=admin)
