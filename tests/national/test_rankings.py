"""National rankings are kept between requests, and recomputed as soon as a figure changes."""

from __future__ import annotations

from chiso.national import service as national
from tests import factories as f


def record(db_session, admin, year: int, figures: dict[str, float]) -> None:
    mains = national.main_indicators(year)
    entries = [national.Entry(unit, main, value, {"test": True}) for unit, value in figures.items() for main in mains]
    national.record(session=db_session, year=year, era="2024", entries=entries, actor=admin)


def test_a_new_figure_changes_the_ranking_at_once(db_session):
    admin = f.people(db_session)["admin"]
    record(db_session, admin, 2022, {"19": 0.6, "22": 0.7, "48": 0.8})
    first = national.ranking(session=db_session, year=2022, era="2024")
    assert list(first["unit"]) == ["48", "22", "19"]
    first.loc[0, "unit"] = "changed by the caller"  # a caller's change does not reach the kept copy
    assert list(national.ranking(session=db_session, year=2022, era="2024")["unit"]) == ["48", "22", "19"]
    record(db_session, admin, 2022, {"19": 0.9})
    again = national.ranking(session=db_session, year=2022, era="2024")
    assert list(again["unit"]) == ["19", "48", "22"] and list(again["rank"]) == [1, 2, 3]
