"""A declaration counts at once: the stored 766 results of its period are scored again from their stored
inputs, and they are what a full computation (`rank766 --store`) then gives: totals, points, ranks and
the declarations' versions in the lineage.

The records are the hand-checked September 2025 set of test_service766.py: without declarations Đức
Xuân has 49,18 and Bắc Kạn 42,5 (Đức Xuân first of the two communes); declaring that Bắc Kạn had no
feedback gives it 5.1 and 5.2 (+12: 54,5, first); declaring the same for Đức Xuân gives it 61,18 (first
again). On both databases; two re-scores of one period at once on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import TEST_CLOCK, fresh_database
from tests.sources.test_service766 import BAC_KAN, DEPT, DOSSIERS, DUC_XUAN, EXPECTED, PROCEDURES, _write

from chiso import migrations
from chiso.clock import VIETNAM, FixedClock, bind
from chiso.db import make_engine
from chiso.events.models import OutboxEvent
from chiso.permissions import MEASURE, Actor
from chiso.service766 import declarations, rescore
from chiso.service766.compute import compute
from chiso.service766.models import Service766Declaration, Service766Score
from chiso.service766.schemas import DeclarationIn
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain

OFFICE = Actor("vanphong", frozenset({"programme_officer"}))
FEEDBACK = ("feedback", "feedback_on_time", "feedback_satisfied")
WITHOUT_FEEDBACK = EXPECTED[DUC_XUAN]["service_766"] - 12  # 49,18: 5.1 and 5.2 undeclared
BAC_KAN_TOTAL = EXPECTED[BAC_KAN]["service_766"]  # 42,5


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake(tmp_path / "lake", FixedClock(dt.datetime(2025, 10, 6, 9, tzinfo=VIETNAM)))
    for source, rows in (("procedures", PROCEDURES), ("dossiers", DOSSIERS)):
        ingest_file(_write(tmp_path / f"{source}.jsonl", rows), source, lake=lake)
    return lake


def _store(session: Session, lake: Lake) -> None:
    """What `rank766 --store measure` does: read the declarations, compute by month and year, store."""
    declared = declarations.frame(session=session, province="19", actor=MEASURE)
    index = compute(lake=lake, province="19", grains=[Grain.MONTH, Grain.YEAR], declared=declared)
    rescore.store(session=session, index=index, province="19", actor=MEASURE)
    session.flush()


def _figures(session: Session) -> dict[tuple[str, str], tuple[object, ...]]:
    session.expire_all()
    rows = session.scalars(select(Service766Score)).all()
    return {
        (r.unit_code, r.period): (r.total, r.rank, r.ranked, r.points, r.inputs, r.lineage.get("declarations"))
        for r in rows
    }


def _no_feedback(unit: str, period: str = "2025-09") -> list[DeclarationIn]:
    return [DeclarationIn(unit_code=unit, period=period, variable=v, value=0.0) for v in FEEDBACK]


def _score(session: Session, unit: str, period: str = "2025-09") -> Service766Score:
    return session.scalars(
        select(Service766Score).where(Service766Score.unit_code == unit, Service766Score.period == period)
    ).one()


def _same(left: dict, right: dict) -> None:
    """The same rows with the same figures, to 1e-9."""
    assert left.keys() == right.keys()
    for key, (total, rank, ranked, points, inputs, versions) in left.items():
        other = right[key]
        assert total == pytest.approx(other[0], abs=1e-9), key
        assert (rank, ranked, inputs, versions) == (other[1], other[2], other[4], other[5]), key
        assert points.keys() == other[3].keys(), key
        for node, value in points.items():
            assert (value is None) == (other[3][node] is None), (key, node)
            assert value is None or value == pytest.approx(other[3][node], abs=1e-9), (key, node)


def test_a_declaration_rescores_its_period_at_once_as_a_full_computation_would(db_session: Session, lake: Lake):
    _store(db_session, lake)
    assert _score(db_session, BAC_KAN).total == pytest.approx(BAC_KAN_TOTAL)
    assert (_score(db_session, DUC_XUAN).total, _score(db_session, DUC_XUAN).rank) == (
        pytest.approx(WITHOUT_FEEDBACK),
        1,
    )
    year_before = _score(db_session, DUC_XUAN, "2025")
    year = (year_before.total, year_before.computed_at, year_before.points)
    events = len(db_session.scalars(select(OutboxEvent)).all())

    done = declarations.declare(session=db_session, items=_no_feedback(BAC_KAN), actor=OFFICE)
    assert (done.rescored.periods, done.rescored.changed, done.rescored.unscored) == (["2025-09"], 2, [])
    bac_kan, duc_xuan = _score(db_session, BAC_KAN), _score(db_session, DUC_XUAN)
    assert (bac_kan.total, bac_kan.rank, bac_kan.ranked) == (pytest.approx(BAC_KAN_TOTAL + 12), 1, 2)
    assert (duc_xuan.total, duc_xuan.rank) == (pytest.approx(WITHOUT_FEEDBACK), 2)  # re-ranked, figures kept
    assert bac_kan.inputs["feedback"] == 0.0 and bac_kan.lineage["declarations"] == dict.fromkeys(FEEDBACK, 1)
    assert bac_kan.lineage["rescored_at"] and bac_kan.lineage["lake_snapshot"]  # the computation's lineage kept
    event = db_session.scalars(select(OutboxEvent).order_by(OutboxEvent.id.desc())).first()
    assert event is not None and event.type == "vn.chiso.service766.computed"
    assert event.data["periods"] == ["2025-09"] and event.subject == "service-766/19"
    leader = next(x for x in event.data["leaders"] if x["kind"] == "commune")
    assert (leader["unit_code"], leader["total"]) == (BAC_KAN, round(BAC_KAN_TOTAL + 12, 4))
    assert len(db_session.scalars(select(OutboxEvent)).all()) == events + 1

    declarations.declare(session=db_session, items=_no_feedback(DUC_XUAN), actor=OFFICE)
    assert _score(db_session, DUC_XUAN).total == pytest.approx(EXPECTED[DUC_XUAN]["service_766"])
    assert (_score(db_session, DUC_XUAN).rank, _score(db_session, BAC_KAN).rank) == (1, 2)
    again = _score(db_session, DUC_XUAN, "2025")  # the year: periods are independent
    assert (again.total, again.computed_at, again.points) == year
    rescored = _figures(db_session)

    _store(db_session, lake)  # the full computation, reading the lake again
    _same(rescored, _figures(db_session))


def test_a_year_declaration_rescores_the_year_and_a_period_without_results_nothing(db_session: Session, lake: Lake):
    _store(db_session, lake)
    before = _figures(db_session)
    events = len(db_session.scalars(select(OutboxEvent)).all())
    august = declarations.declare(session=db_session, items=_no_feedback(DUC_XUAN, "2025-08"), actor=OFFICE)
    assert (august.rescored.periods, august.rescored.changed) == ([], 0)  # no stored result in August
    assert august.rescored.unscored == [(DUC_XUAN, "2025-08")]
    assert _figures(db_session) == before and len(db_session.scalars(select(OutboxEvent)).all()) == events

    year = declarations.declare(session=db_session, items=_no_feedback(DUC_XUAN, "2025"), actor=OFFICE)
    assert year.rescored.periods == ["2025"]
    after = _figures(db_session)
    assert after[(DUC_XUAN, "2025")][0] == pytest.approx(before[(DUC_XUAN, "2025")][0] + 12)
    assert after[(DUC_XUAN, "2025-09")] == before[(DUC_XUAN, "2025-09")]  # the month is left as it was
    assert after[(DEPT, "2025")] == before[(DEPT, "2025")]  # ranked within its own kind: untouched
    _store(db_session, lake)
    _same(after, _figures(db_session))


def test_rows_stored_before_versions_were_noted_get_them_without_a_new_computed_at(db_session: Session, lake: Lake):
    """Results computed by an older Chiso (no versions in the lineage) and re-scored to the same figures."""
    declarations.declare(session=db_session, items=_no_feedback(DUC_XUAN), actor=OFFICE)
    _store(db_session, lake)
    row = _score(db_session, DUC_XUAN)
    row.lineage = {k: v for k, v in row.lineage.items() if k != "declarations"}
    stamped = row.computed_at
    db_session.flush()
    declarations.declare(session=db_session, items=_no_feedback(BAC_KAN), actor=OFFICE)
    row = _score(db_session, DUC_XUAN)
    assert row.lineage["declarations"] == dict.fromkeys(FEEDBACK, 1) and row.computed_at == stamped


# --- two re-scores of one period at once (PostgreSQL: SQLite lets one writer in at a time) --------------


@pytest.fixture
def pg_engine(tmp_path):
    with fresh_database("postgresql", tmp_path) as url:
        engine = make_engine(url)
        try:
            migrations.upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def test_two_rescores_of_one_period_at_once_the_second_waits_and_reads_the_first(pg_engine, lake: Lake):
    """Without the lock the second would score September from Đức Xuân's figures as they were before the
    first committed, and overwrite its new total with the old one."""
    with bind(Session(pg_engine), TEST_CLOCK) as s:
        _store(s, lake)
        s.commit()
    with bind(Session(pg_engine), TEST_CLOCK) as first, bind(Session(pg_engine), TEST_CLOCK) as second:
        declarations.declare(session=first, items=_no_feedback(DUC_XUAN), actor=OFFICE)  # rows locked, uncommitted
        outcome: dict[str, object] = {}

        def declare_second() -> None:
            try:
                outcome["result"] = declarations.declare(session=second, items=_no_feedback(BAC_KAN), actor=OFFICE)
            except Exception as exc:  # reported by the assertion below
                outcome["result"] = exc

        thread = threading.Thread(target=declare_second)
        thread.start()
        thread.join(timeout=2)
        assert thread.is_alive(), "the second re-score should wait for the first one's locks"
        first.commit()
        thread.join(timeout=30)
        assert isinstance(outcome.get("result"), declarations.Declared), outcome
        second.commit()
    with bind(Session(pg_engine), TEST_CLOCK) as s:
        assert _score(s, DUC_XUAN).total == pytest.approx(EXPECTED[DUC_XUAN]["service_766"])  # the first's
        assert _score(s, BAC_KAN).total == pytest.approx(BAC_KAN_TOTAL + 12)  # and the second's
        rescored = _figures(s)
        _store(s, lake)
        _same(rescored, _figures(s))
        s.rollback()


def test_the_period_lock_alone_keeps_a_rescore_from_scoring_stale_figures(pg_engine, lake: Lake):
    """The same race without the audit chain's lock (which every `declare` also takes, and which
    serialises them already): the second re-score is called by itself, as a future caller might."""
    with bind(Session(pg_engine), TEST_CLOCK) as s:
        _store(s, lake)
        s.commit()
    with bind(Session(pg_engine), TEST_CLOCK) as first, bind(Session(pg_engine), TEST_CLOCK) as second:
        declarations.declare(session=first, items=_no_feedback(DUC_XUAN), actor=OFFICE)
        second.add_all(
            Service766Declaration(
                era="2025", unit_code=BAC_KAN, period="2025-09", variable=v, value=0.0, version=1, recorded_by="test"
            )
            for v in FEEDBACK
        )
        second.flush()
        outcome: dict[str, object] = {}

        def rescore_second() -> None:
            try:
                outcome["result"] = rescore.apply(session=second, places={(BAC_KAN, "2025-09")})
            except Exception as exc:  # reported by the assertion below
                outcome["result"] = exc

        thread = threading.Thread(target=rescore_second)
        thread.start()
        thread.join(timeout=2)
        assert thread.is_alive(), "the second re-score should wait for the first one's locks"
        first.commit()
        thread.join(timeout=30)
        assert isinstance(outcome.get("result"), rescore.Rescored), outcome
        second.commit()
    with bind(Session(pg_engine), TEST_CLOCK) as s:
        duc_xuan, bac_kan = _score(s, DUC_XUAN), _score(s, BAC_KAN)
        assert (duc_xuan.total, duc_xuan.rank) == (pytest.approx(EXPECTED[DUC_XUAN]["service_766"]), 1)
        assert (bac_kan.total, bac_kan.rank) == (pytest.approx(BAC_KAN_TOTAL + 12), 2)


def test_a_declaration_made_while_the_index_was_computed_counts_in_what_is_stored(db_session: Session, lake: Lake):
    _store(db_session, lake)
    # `rank766 --store` reads the declarations, then computes; a commune declares in between (its own
    # re-score updates the rows stored before, which the store then replaces with figures read earlier).
    read = declarations.frame(session=db_session, province="19", actor=MEASURE)
    declarations.declare(session=db_session, items=_no_feedback(BAC_KAN), actor=OFFICE)
    index = compute(lake=lake, province="19", grains=[Grain.MONTH, Grain.YEAR], declared=read)
    assert index.declared == {}  # computed without Bắc Kạn's figures
    rescore.store(session=db_session, index=index, province="19", actor=MEASURE)
    bac_kan = _score(db_session, BAC_KAN)
    assert (bac_kan.total, bac_kan.rank) == (pytest.approx(BAC_KAN_TOTAL + 12), 1)
    assert bac_kan.inputs["feedback"] == 0.0 and bac_kan.lineage["declarations"] == dict.fromkeys(FEEDBACK, 1)
    assert _score(db_session, DUC_XUAN).rank == 2
    stored = _figures(db_session)
    _store(db_session, lake)  # a computation that read the declaration gives the same rows
    _same(_figures(db_session), stored)
